"""Report types as data: `content/report_types.yaml` loaded, checked, and looked up.

Each type names the counts a report of that kind asks for; names and labels
come in both languages from the file itself (content, not code strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.services.guides import CONTENT_ROOT, LANGS, Problem

FILE_NAME = "report_types.yaml"
MAX_BOUND = 100_000
ACTIVITY = "activity"
# Kinds other than activities carry a text (and photos) rather than counts; the results report quotes them.
WRITTEN_KINDS = ("practice", "difficulties", "recommendations")
KINDS = (ACTIVITY, *WRITTEN_KINDS)
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class CountSpec:
    """One number a report asks for, with a bound above which the member must confirm."""

    id: str
    label: dict[str, str]
    max: int

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label["vi"]


@dataclass(frozen=True)
class ReportType:
    """A kind of activity: its name and the counts it asks for."""

    id: str
    name: dict[str, str]
    counts: tuple[CountSpec, ...]
    note_required: bool = False
    kind: str = ACTIVITY  # activity / practice (a good practice, may be featured) / difficulties / recommendations

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or self.name["vi"]

    def count(self, count_id: str) -> CountSpec | None:
        return next((c for c in self.counts if c.id == count_id), None)

    @property
    def asks_photos(self) -> bool:
        """Activities and good practices have photos; difficulties and recommendations are text only."""
        return self.kind in (ACTIVITY, "practice")


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        for key in {k for k in keys if keys.count(k) > 1}:
            raise yaml.constructor.ConstructorError(None, None, f"key '{key}' appears twice in one entry",
                                                    node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """The file's YAML, refusing duplicated keys (a pasted entry missing its `- id:` line would hide another)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)


def _bilingual(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict) or any(not isinstance(value.get(lang), str) or not value[lang].strip()
                                          for lang in LANGS):
        problems.append(f"{where} needs a non-empty text for each of {', '.join(LANGS)}")
        return {}
    return {lang: value[lang].strip() for lang in LANGS}


def _count(raw: Any, where: str, problems: list[str]) -> CountSpec | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not _ID_RE.match(raw["id"]):
        problems.append(f"{where}: each count needs an id of lower-case letters, digits and _")
        return None
    label = _bilingual(raw.get("label"), f"{where} count '{raw['id']}' label", problems)
    bound = raw.get("max")
    if not isinstance(bound, int) or isinstance(bound, bool) or not 1 <= bound <= MAX_BOUND:
        problems.append(f"{where} count '{raw['id']}': max must be a whole number from 1 to {MAX_BOUND}")
        return None
    return CountSpec(raw["id"], label, bound) if label else None


def _type(raw: Any, index: int, problems: list[str]) -> ReportType | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not _ID_RE.match(raw["id"]):
        problems.append(f"type #{index + 1}: needs an id of lower-case letters, digits and _")
        return None
    where = f"type '{raw['id']}'"
    name = _bilingual(raw.get("name"), f"{where} name", problems)
    kind = _kind(raw, where, problems)
    raw_counts = raw.get("counts", [] if kind in WRITTEN_KINDS else None)
    if not isinstance(raw_counts, list) or not (raw_counts or kind in WRITTEN_KINDS):
        problems.append(f"{where}: needs a non-empty list of counts")
        return None
    counts = [_count(c, where, problems) for c in raw_counts]
    ids = [c.id for c in counts if c]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{where}: count id '{dup}' appears twice")
    note_required = raw.get("note_required", False)
    if not isinstance(note_required, bool):
        problems.append(f"{where}: note_required must be true or false")
    if not name or None in counts or kind is None:
        return None
    return ReportType(raw["id"], name, tuple(counts), note_required is True or kind in WRITTEN_KINDS, kind)


def _kind(raw: dict, where: str, problems: list[str]) -> str | None:
    """The type's kind (default: an activity); the written kinds always ask for their text."""
    kind = raw.get("kind", ACTIVITY)
    if kind not in KINDS:
        problems.append(f"{where}: kind must be one of {', '.join(KINDS)}")
        return None
    if kind in WRITTEN_KINDS and raw.get("note_required") is False:
        problems.append(f"{where}: a {kind} type always asks for its text (note_required cannot be false)")
    return kind


def parse_report_types(path: Path) -> tuple[list[ReportType], list[Problem]]:
    """Read and check the file; types with problems are left out and the problems returned."""
    try:
        data = read_yaml(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], [Problem(path, f"cannot read report types: {exc}")]
    if not isinstance(data, dict) or not isinstance(data.get("types"), list) or not data["types"]:
        return [], [Problem(path, "expected a mapping with a non-empty list under 'types'")]
    messages: list[str] = []
    types = [t for i, raw in enumerate(data["types"]) if (t := _type(raw, i, messages))]
    ids = [t.id for t in types]
    messages.extend(f"type id '{dup}' appears twice" for dup in sorted({i for i in ids if ids.count(i) > 1}))
    return types, [Problem(path, m) for m in messages]


def check_report_types(root: Path = CONTENT_ROOT) -> list[Problem]:
    """Problems in `<root>/report_types.yaml`, for `cdsbot content check`."""
    path = Path(root) / FILE_NAME
    if not path.is_file():
        return [Problem(path, "report types file not found")]
    return parse_report_types(path)[1]


@cache
def load_report_types(root: Path = CONTENT_ROOT) -> dict[str, ReportType]:
    """The types by id, in file order; raises ValueError naming every problem."""
    types, problems = parse_report_types(Path(root) / FILE_NAME)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return {t.id: t for t in types}
