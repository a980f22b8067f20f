"""Targets per indicator and year (`content/targets.yaml`) and a roll-up's progress against them.

A target is a percentage of a unit's base figure (people or households): "30 % of people have an activated
digital identity". For a unit with a base, the goal is base × percent; the reported figure is shown as a
share of the base and as a share of the goal. A unit without a base has no percentage ("no base").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import format_decimal
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services import bases as base_figures
from bot.services.guides import CONTENT_ROOT, Problem
from bot.services.report_types import FILE_NAME as REPORT_TYPES_FILE
from bot.services.report_types import ReportType, _bilingual, parse_report_types, read_yaml
from bot.services.reports import Rollup, UnitRow

FILE_NAME = "targets.yaml"
BASE_WORDS = {"population": N_("population"), "households": N_("households")}


@dataclass(frozen=True)
class Target:
    """One indicator's target: which count, over which base, what percentage in each year."""

    id: str
    name: dict[str, str]
    type_id: str
    count_id: str
    base: str  # population / households
    percent: dict[int, float]

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or self.name["vi"]


@dataclass(frozen=True)
class Progress:
    """A unit's figure for a target: the value reported, its base, and the percentages (None without a base)."""

    target: Target
    percent: float  # the year's target, % of the base
    value: int
    base: int | None

    @property
    def goal(self) -> float | None:
        return None if not self.base else self.base * self.percent / 100

    @property
    def of_base(self) -> float | None:
        return None if not self.base else 100 * self.value / self.base

    @property
    def of_target(self) -> float | None:
        return None if not self.goal else 100 * self.value / self.goal


def _target(raw: Any, where: str, types: dict[str, ReportType], problems: list[str]) -> Target | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        problems.append(f"{where}: needs an id")
        return None
    where = f"target '{raw['id']}'"
    name = _bilingual(raw.get("name"), f"{where} name", problems)
    type_id, _, count_id = str(raw.get("count", "")).partition(".")
    kind = types.get(type_id)
    if kind is None or kind.count(count_id) is None:
        problems.append(f"{where}: count '{raw.get('count')}' is not a <type>.<count> of report_types.yaml")
    if raw.get("base") not in base_figures.FIELDS:
        problems.append(f"{where}: base must be one of {', '.join(base_figures.FIELDS)}")
    percent = raw.get("percent")
    if not isinstance(percent, dict) or not percent or not all(
            isinstance(y, int) and isinstance(p, int | float) and not isinstance(p, bool) and 0 < p <= 100
            for y, p in percent.items()):
        problems.append(f"{where}: percent must map years to a percentage above 0 and at most 100")
        return None
    if not name or problems:
        return None
    return Target(raw["id"], name, type_id, count_id, raw["base"], {int(y): float(p) for y, p in percent.items()})


def parse_targets(path: Path) -> tuple[list[Target], list[Problem]]:
    """Read and check the targets file; targets with problems are left out and the problems returned."""
    try:
        data = read_yaml(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], [Problem(path, f"cannot read targets: {exc}")]
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        return [], [Problem(path, "expected a mapping with a list under 'targets'")]
    types = {t.id: t for t in parse_report_types(path.parent / REPORT_TYPES_FILE)[0]}
    found, problems = [], []
    for i, raw in enumerate(data["targets"]):
        messages: list[str] = []
        if (target := _target(raw, f"target #{i + 1}", types, messages)) is not None:
            found.append(target)
        problems.extend(Problem(path, m) for m in messages)
    ids = [t.id for t in found]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    problems.extend(Problem(path, f"target id '{d}' appears twice") for d in twice)
    return found, problems


def check_targets(root: Path = CONTENT_ROOT) -> list[Problem]:
    """Problems in `<root>/targets.yaml` (none when the file is absent: targets are optional)."""
    path = Path(root) / FILE_NAME
    return parse_targets(path)[1] if path.is_file() else []


@cache
def load_targets(root: Path = CONTENT_ROOT) -> tuple[Target, ...]:
    """The targets in file order; raises ValueError naming every problem."""
    path = Path(root) / FILE_NAME
    if not path.is_file():
        return ()
    found, problems = parse_targets(path)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return tuple(found)


def row_value(row: UnitRow, target: Target) -> int:
    """The target's count summed in one roll-up row (the roll-up must be asked with `kinds`)."""
    total = (row.by_type or {}).get(target.type_id)
    return (total.counts.get(target.count_id) or 0) if total else 0


def chosen(year: int, targets: tuple[Target, ...] | None = None) -> list[Target]:
    """The targets set for `year` (from content/targets.yaml unless given)."""
    return [t for t in (load_targets() if targets is None else targets) if year in t.percent]


def row_progress(row: UnitRow, base: base_figures.Base | None, year: int, targets: list[Target]) -> list[Progress]:
    """One roll-up row's progress on each target (no percentages without a base)."""
    return [Progress(t, t.percent[year], row_value(row, t), base.of(t.base) if base else None) for t in targets]


def progress(result: Rollup, figures: dict[int, base_figures.Base], year: int,
             targets: tuple[Target, ...] | None = None) -> tuple[dict[int, list[Progress]], list[Progress]]:
    """({child unit id: progress on each target for `year`}, the whole subtree's). The root's own team is
    not a unit with a base of its own, so its row is left out."""
    wanted = chosen(year, targets)
    rows = {r.unit.id: row_progress(r, figures.get(r.unit.id), year, wanted) for r in result.units if not r.own_team}
    return rows, row_progress(result.total, figures.get(result.root.id), year, wanted)


async def rollup_progress(session: AsyncSession, result: Rollup, year: int, targets: tuple[Target, ...] | None = None
                          ) -> tuple[dict[int, list[Progress]], list[Progress]]:
    """`progress` with the subtree's base figures read here: what the roll-up page and the results report show."""
    return progress(result, await base_figures.bases_under(session, result.root), year, targets)


def percent_text(locale: str, value: float) -> str:
    """"45,2%" in Vietnamese, "45.2%" in English: always one decimal."""
    return f"{format_decimal(value, format='#,##0.0', locale=locale)}%"
