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

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or self.name["vi"]

    def count(self, count_id: str) -> CountSpec | None:
        return next((c for c in self.counts if c.id == count_id), None)


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
    raw_counts = raw.get("counts")
    if not isinstance(raw_counts, list) or not raw_counts:
        problems.append(f"{where}: needs a non-empty list of counts")
        return None
    counts = [_count(c, where, problems) for c in raw_counts]
    ids = [c.id for c in counts if c]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{where}: count id '{dup}' appears twice")
    note_required = raw.get("note_required", False)
    if not isinstance(note_required, bool):
        problems.append(f"{where}: note_required must be true or false")
    if not name or None in counts:
        return None
    return ReportType(raw["id"], name, tuple(counts), note_required is True)


def parse_report_types(path: Path) -> tuple[list[ReportType], list[Problem]]:
    """Read and check the file; types with problems are left out and the problems returned."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
