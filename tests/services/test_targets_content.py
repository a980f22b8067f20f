"""`cdsbot content check` on the report types and targets: a field without a translation is refused."""

from pathlib import Path

import pytest

from bot.services.content import check_content
from bot.services.report_types import parse_report_types

ROOT = Path(__file__).resolve().parents[2]
GOOD_TYPES = """types:
  - id: results
    name: {vi: "Kết quả", en: "Results"}
    counts:
      - id: activated
        label: {vi: "Số tài khoản đã kích hoạt", en: "Accounts activated"}
        max: 200
  - id: good_practice
    kind: practice
    name: {vi: "Sáng kiến, cách làm hay", en: "Good practice"}
"""
GOOD_TARGETS = """targets:
  - id: vneid
    name: {vi: "Định danh", en: "Identity"}
    count: results.activated
    base: population
    percent: {2027: 30}
"""


def _content(tmp_path: Path, types: str = GOOD_TYPES, targets: str = GOOD_TARGETS) -> Path:
    (tmp_path / "guides").mkdir()
    (tmp_path / "report_types.yaml").write_text(types, encoding="utf-8")
    (tmp_path / "targets.yaml").write_text(targets, encoding="utf-8")
    return tmp_path


def _problems(root: Path) -> list[str]:
    return [p.message for p in check_content(root)]


def test_valid_types_and_targets_pass(tmp_path):
    assert _problems(_content(tmp_path)) == []
    kinds = {t.id: (t.kind, t.note_required, t.counts) for t in parse_report_types(tmp_path / "report_types.yaml")[0]}
    assert kinds["good_practice"] == ("practice", True, ())


def test_a_field_without_its_english_label_is_refused(tmp_path):
    body = GOOD_TYPES.replace('en: "Accounts activated"', 'en: ""')
    assert any("count 'activated' label needs a non-empty text for each of vi, en" in p
               for p in _problems(_content(tmp_path, types=body)))


@pytest.mark.parametrize("edit,problem", [
    (("kind: practice", "kind: essay"), "kind must be one of activity, practice, difficulties, recommendations"),
    (("kind: practice", "kind: practice\n    note_required: false"), "always asks for its text"),
    (("  - id: good_practice\n    kind: practice\n", "  - id: good_practice\n"), "needs a non-empty list of counts"),
])
def test_written_kinds_are_checked(tmp_path, edit, problem):
    assert any(problem in p for p in _problems(_content(tmp_path, types=GOOD_TYPES.replace(*edit))))


@pytest.mark.parametrize("edit,problem", [
    (("results.activated", "results.missing"), "is not a <type>.<count> of report_types.yaml"),
    (("{2027: 30}", "{2027: 130}"), "percent must map years to a percentage"),
    (("base: population", "base: area"), "base must be one of population, households"),
    (('en: "Identity"', 'en: ""'), "name needs a non-empty text for each of vi, en"),
])
def test_bad_targets_are_refused(tmp_path, edit, problem):
    assert any(problem in p for p in _problems(_content(tmp_path, targets=GOOD_TARGETS.replace(*edit))))


def test_the_shipped_content_is_valid():
    assert check_content(ROOT / "content") == []
