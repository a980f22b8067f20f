"""A draft map for `units remap`, read from a new roster's "formed from" text against the current tree.

Names are matched exactly first, then without the kind word ("Phổ Hòa" for "Xã Phổ Hòa"), then the same
two without diacritics; a disambiguation in parentheses ("(thành phố Quảng Ngãi)") must name one of the
unit's ancestors. What matches nothing, or several units, is listed for a person to settle; a new unit
none of whose predecessors is in the tree (the former Kon Tum province) becomes a unit with no predecessor.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OrgUnit
from bot.services import roster
from bot.services.remap import MAP_COLUMNS

KIND_WORDS = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "huyện", "tỉnh", "xã")
UNCHANGED = "giữ nguyên"  # "kept as it was": the unit's own name
_ITEM = re.compile(r"^(?P<name>[^()]+?)\s*(?:\((?P<where>[^()]*)\))?$")


def fold(text: str) -> str:
    """Lower case, no diacritics, đ as d, single spaces: 'Xã Phổ Hòa' → 'xa pho hoa'."""
    bare = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in bare if unicodedata.category(c) != "Mn").lower().split())


def short(text: str) -> str:
    """The name without its kind word: 'Thị trấn Châu Ổ' → 'Châu Ổ'."""
    name = " ".join(text.split())
    for word in KIND_WORDS:
        if name.lower().startswith(word + " "):
            return name[len(word) + 1:]
    return name


@dataclass
class Draft:
    """The map's rows, and what a person must settle (each with the roster's line)."""

    rows: list[list[str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    new_units: list[str] = field(default_factory=list)  # new units with no predecessor in the tree
    untouched: list[str] = field(default_factory=list)  # current units no new unit was formed from
    matched: int = 0


class _Index:
    """The current tree's units by their four name keys, with each unit's ancestors' folded names."""

    def __init__(self, units: list[OrgUnit]):
        by_id = {u.id: u for u in units}
        self.keys: list[dict[str, list[OrgUnit]]] = [{}, {}, {}, {}]
        self.around: dict[int, set[str]] = {}
        for unit in units:
            for index, key in enumerate(_keys(unit.name)):
                self.keys[index].setdefault(key, []).append(unit)
            ids = [int(i) for i in unit.path.strip("/").split("/")[:-1]]
            self.around[unit.id] = {k for i in ids if i in by_id for k in (fold(by_id[i].name),
                                                                             fold(short(by_id[i].name)))}

    def find(self, item: str) -> list[OrgUnit]:
        """The units an item of the text names: the first key that finds any, narrowed by its parentheses."""
        found = _ITEM.match(item.strip())
        if found is None:
            return []
        where = fold(found["where"] or "")
        for index, key in enumerate(_keys(found["name"])):
            units = [u for u in self.keys[index].get(key, []) if not where or where in self.around[u.id]
                     or fold(short(where)) in self.around[u.id]]
            if units:
                return units
        return []


def _keys(name: str) -> tuple[str, str, str, str]:
    return " ".join(name.split()), short(name), fold(name), fold(short(name))


def read_new_roster(path: Path) -> tuple[list[dict], list[str]]:
    """The new roster's rows (with their line) and its problems; it needs the `formed_from` column."""
    rows, problems = roster.parse_roster(path)
    if problems:
        return [], problems
    text = path.read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if roster.NOTE_COLUMN not in (reader.fieldnames or []):
        return [], [f"{path}:1: a draft needs the column {roster.NOTE_COLUMN}"]
    notes = {record["code"].strip(): record[roster.NOTE_COLUMN] or "" for record in reader}
    return [dict(row._asdict(), formed_from=notes.get(row.code, "")) for row in rows], []


async def draft_map(session: AsyncSession, path: Path) -> tuple[Draft, list[str]]:
    """Match each new unit's "formed from" names to current units; the draft map and the roster's problems."""
    rows, problems = read_new_roster(path)
    current = list((await session.execute(select(OrgUnit).where(OrgUnit.retired_on.is_(None)))).scalars())
    if problems:
        return Draft(), problems
    parents = {r["parent_code"] for r in rows}
    index, draft, matched = _Index([u for u in current if u.code not in parents]), Draft(), set()
    for row in rows:
        if row["code"] in parents and any(u.code == row["code"] for u in current):
            continue  # a parent the new tree keeps (the province)
        found = _match_row(index, row, draft)
        matched |= {u.code for u in found}
        described = [row["code"], row["name"], row["kind"], row["parent_code"]]
        draft.rows += [[u.code, *described] for u in found] or [["", *described]]
        if not found:
            draft.new_units.append(f"{path}:{row['line']}: {row['code']} {row['name']}")
    _retire_ancestors(draft, current, matched, parents)
    draft.matched = len(matched)
    return draft, []


def _match_row(index: _Index, row: dict, draft: Draft) -> list[OrgUnit]:
    """The current units one new unit was formed from; names not found (when some were) go to `unmatched`."""
    text = row["formed_from"].strip()
    items = [row["name"]] if fold(text) == fold(UNCHANGED) else [i for i in re.split(r",|\s+và\s+", text) if i.strip()]
    found, missing = [], []
    for item in items:
        units = index.find(item)
        units = [u for u in units if u.code == row["code"]] or units  # a new unit keeps its seat's code
        if len(units) == 1:
            found += [u for u in units if u not in found]
        else:
            why = "no current unit" if not units else f"{len(units)} units ({', '.join(u.code for u in units)})"
            missing.append(f"{item.strip()!r}: {why}")
    if found:
        draft.unmatched += [f"line {row['line']}: {row['code']} {row['name']}: {m}" for m in missing]
    return found


def _retire_ancestors(draft: Draft, current: list[OrgUnit], matched: set[str], parents: set[str]) -> None:
    """Rows retiring the units above matched ones that the new tree drops (districts); list the untouched."""
    by_id = {u.id: u for u in current}
    above = {int(i) for u in current if u.code in matched for i in u.path.strip("/").split("/")[:-1]}
    for unit in current:
        if unit.id in above and unit.code not in matched and unit.code not in parents:
            draft.rows.append([unit.code, "", "", "", ""])
    for unit in current:
        parent = by_id.get(unit.parent_id)
        if unit.code not in matched and parent is not None and parent.code not in matched and unit.id not in above \
                and parent.id in above:
            draft.untouched.append(f"{unit.code} {unit.name}")


def write_map(draft: Draft, source: Path) -> str:
    """The draft as a map file: a header comment, the rows, and what to settle as comments."""
    out = io.StringIO()
    out.write(f"# Draft map from {source.name}: check it and settle the lines below, then run\n"
              "# cdsbot units remap THIS_FILE --effective YYYY-MM-DD --dry-run\n")
    out.writelines(f"# not matched: {line}\n" for line in draft.unmatched)
    out.writelines(f"# left where it is (no new unit names it): {line}\n" for line in draft.untouched)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MAP_COLUMNS)
    writer.writerows(draft.rows)
    return out.getvalue()
