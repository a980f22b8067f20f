"""Unit kinds as data: their names come from content/units/kinds.yaml and the levels from the tree itself.

A roster may use any kind slug (province, district, commune, ward, special_zone,
village …); nothing in the code names one. A *level* is one depth of the
territorial tree below a root: in the 2025 tree xã, phường and đặc khu are one
level ("Xã, phường, đặc khu"), in the 2023 tree huyện and xã are two. Kinds
marked `branch: agency` (bodies that are not places) are kept out of the
territorial levels.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OrgUnit
from bot.i18n import LOCALES
from bot.services.guides import CONTENT_ROOT, Problem
from bot.services.org import in_subtree, live

KINDS_FILE = CONTENT_ROOT / "units" / "kinds.yaml"
TERRITORY, AGENCY = "territory", "agency"
BRANCHES = (TERRITORY, AGENCY)


@dataclass(frozen=True)
class Kind:
    """One kind of unit: its slug, its [one, many] name per language and its branch of the tree."""

    slug: str
    names: dict[str, tuple[str, str]]
    branch: str = TERRITORY


@dataclass(frozen=True)
class Level:
    """One depth of the tree (absolute `OrgUnit.depth`) with the kinds of the live units usually found there, in
    kinds order, and how many units it has."""

    depth: int
    kinds: tuple[str, ...]
    units: int

    @property
    def key(self) -> str:
        """A stable form value for the level: its kinds, comma-separated ('commune,ward,special_zone')."""
        return ",".join(self.kinds)

    def label(self, locale: str) -> str:
        """'Xã, phường, đặc khu' / 'Communes, wards, special zones' ('Province' for one): its kinds in `locale`."""
        text = ", ".join(kind_name(kind, locale, self.units > 1) for kind in self.kinds)
        return text[:1].upper() + text[1:]


def _parse(raw: object) -> tuple[dict[str, Kind], list[str]]:
    """The kinds a kinds.yaml document defines, and what is wrong with it (in English, for editors)."""
    entries = raw.get("kinds") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        return {}, ["expected a mapping 'kinds:' of slug → {vi: [one, many], en: [one, many]}"]
    kinds, problems = {}, []
    for slug, entry in entries.items():
        if not isinstance(slug, str) or not slug.replace("_", "").isalpha() or not slug.islower() or len(slug) > 16:
            problems.append(f"kind {slug!r}: the slug must be a lower-case word of up to 16 letters (a_z and _)")
            continue
        entry = entry if isinstance(entry, dict) else {}
        names, branch = {}, entry.get("branch", TERRITORY)
        for locale in LOCALES:
            pair = entry.get(locale)
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(isinstance(word, str) and word.strip() for word in pair)):
                problems.append(f"kind {slug}: '{locale}' must be [singular, plural] names")
                continue
            names[locale] = (pair[0].strip(), pair[1].strip())
        if branch not in BRANCHES:
            problems.append(f"kind {slug}: branch {branch!r} must be one of {', '.join(BRANCHES)}")
        unknown = sorted(set(entry) - {*LOCALES, "branch"})
        if unknown:
            problems.append(f"kind {slug}: unknown key(s) {', '.join(map(str, unknown))}")
        kinds[slug] = Kind(slug, names, branch if branch in BRANCHES else TERRITORY)
    return kinds, problems


def _read(path: Path) -> object:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def load_kinds(path: Path = KINDS_FILE) -> dict[str, Kind]:
    """The kinds of kinds.yaml in file order (top of the tree first); a broken file gives what could be read."""
    return _parse(_read(path))[0]


def check_kinds(path: Path = KINDS_FILE) -> list[Problem]:
    """What is wrong with kinds.yaml, for `cdsbot content check`."""
    try:
        raw = _read(path)
    except (OSError, yaml.YAMLError) as error:
        return [Problem(Path(path), f"cannot read the unit kinds: {error}")]
    return [Problem(Path(path), message) for message in _parse(raw)[1]]


def kind_name(kind: str, locale: str, plural: bool = False) -> str:
    """The kind's name in `locale` ('xã', 'communes'); an unknown kind is shown as its slug, never an error."""
    found = load_kinds().get(kind)
    if found is None or not found.names:
        return kind
    pair = found.names.get(locale) or found.names.get("vi") or next(iter(found.names.values()))
    return pair[1 if plural else 0]


def kinds_name(kinds, locale: str, plural: bool = True) -> str:
    """Several kinds named together, in kinds order: 'xã/phường' (for titles such as 'by xã/phường')."""
    return "/".join(kind_name(kind, locale, plural) for kind in sort_kinds(kinds))


def branch_of(kind: str) -> str:
    """The branch a kind belongs to: 'agency' for bodies that are not places, else 'territory' (unknown kinds too)."""
    found = load_kinds().get(kind)
    return found.branch if found else TERRITORY


def sort_kinds(kinds) -> list[str]:
    """Kinds in kinds.yaml order (top of the tree first), unknown ones last by slug."""
    order = {slug: i for i, slug in enumerate(load_kinds())}
    return sorted(set(kinds), key=lambda kind: (order.get(kind, len(order)), kind))


async def levels(session: AsyncSession, root: OrgUnit | None, today: date | None = None,
                 branch: str = TERRITORY) -> list[Level]:
    """The levels of the live tree below `root` (itself included; None: the whole tree), top first.

    A kind belongs to the depth where most of its units are, so a few villages hung straight under a district
    (Lý Sơn in 2023) stay on the villages' level instead of making one of their own.
    """
    query = select(OrgUnit.depth, OrgUnit.kind, func.count()).where(live(today)).group_by(OrgUnit.depth, OrgUnit.kind)
    if root is not None:
        query = query.where(in_subtree(root))
    counts: dict[str, dict[int, int]] = {}
    for depth, kind, units in await session.execute(query):
        if branch_of(kind) == branch:
            counts.setdefault(kind, {})[depth] = units
    by_depth: dict[int, list[str]] = {}
    for kind, depths in counts.items():
        by_depth.setdefault(max(sorted(depths), key=depths.__getitem__), []).append(kind)
    return [Level(depth, tuple(sort_kinds(kinds)), sum(sum(counts[kind].values()) for kind in kinds))
            for depth, kinds in sorted(by_depth.items())]


async def known_kinds(session: AsyncSession) -> set[str]:
    """Kinds a level filter may name: those of kinds.yaml and any the roster gave a unit (a typo is neither)."""
    found = await session.execute(select(OrgUnit.kind).distinct())
    return set(load_kinds()) | set(found.scalars())


def pick_levels(values: list[str], all_levels: list[Level]) -> list[str]:
    """Kinds for a level filter typed as kinds ('commune ward') or level numbers, 1 at the top ('2': every kind there);
    an unknown value is kept for the audience check to refuse."""
    picked = []
    for value in values:
        number = int(value) if value.isdigit() else 0
        picked += all_levels[number - 1].kinds if 0 < number <= len(all_levels) else [value]
    return list(dict.fromkeys(picked))


def describe_levels(all_levels: list[Level], locale: str) -> str:
    """'1 Tỉnh (province); 2 Xã, phường, đặc khu (commune, ward, special_zone)': the levels a filter may name."""
    return "; ".join(f"{number} {level.label(locale)} ({', '.join(level.kinds)})"
                     for number, level in enumerate(all_levels, 1))
