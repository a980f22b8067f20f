"""Property: for any tree and any map merging its communes, a remap keeps every report and every figure."""

import asyncio
import tempfile
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel

import bot.db.lineage  # noqa: F401  (registers the tables for create_all)
import bot.db.reports  # noqa: F401
from bot.db.session import Database
from bot.services import org, remap, remap_apply, reports, roster
from tests.services.test_remap import DEADLINE, counts, seed

YEAR = (date(2024, 1, 1), date(2024, 12, 31))


@st.composite
def cases(draw):
    """A province of 1-3 districts of 1-5 communes (some with a village), and where each commune goes."""
    shape = draw(st.lists(st.lists(st.booleans(), min_size=1, max_size=5), min_size=1, max_size=3))
    communes = [f"{d}{c}" for d, district in enumerate(shape) for c in range(len(district))]
    new_units = draw(st.integers(1, len(communes)))
    goes = draw(st.lists(st.integers(0, new_units - 1), min_size=len(communes), max_size=len(communes)))
    kinds = draw(st.lists(st.sampled_from(["commune", "ward"]), min_size=new_units, max_size=new_units))
    return shape, dict(zip(communes, goes, strict=True)), kinds


def files(folder: Path, shape, goes: dict[str, int], kinds: list[str]) -> tuple[Path, Path]:
    """The roster of the tree and the map of the case."""
    lines = ["code,name,kind,parent_code", "P,Tỉnh,province,"]
    for d, district in enumerate(shape):
        lines.append(f"D{d},Huyện {d},district,P")
        for c, village in enumerate(district):
            lines.append(f"C{d}{c},Xã {d}-{c},commune,D{d}")
            lines += [f"V{d}{c},Thôn {d}-{c},village,C{d}{c}"] if village else []
    rows = [f"C{code},N{new},Mới {new},{kinds[new]},P" for code, new in goes.items()]
    rows += [f"D{d},,,," for d in range(len(shape))]
    tree, mapping = folder / "tree.csv", folder / "map.csv"
    tree.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping.write_text("old_code,new_code,new_name,new_kind,new_parent_code\n" + "\n".join(rows) + "\n",
                       encoding="utf-8")
    return tree, mapping


async def totals(session, codes) -> dict[str, tuple]:
    """Each unit's 2024 roll-up total: (reports, people)."""
    found = {}
    for code in codes:
        view = await reports.rollup(session, await org.unit_by_code(session, code), *YEAR, deadline=DEADLINE,
                                    count_ids=[])
        found[code] = (view.total.reports or 0, view.total.people or 0)
    return found


@asynccontextmanager
async def seeded(case):
    """A fresh SQLite database holding the case's tree with reports of every other team, and the case's map file."""
    shape, goes, kinds = case
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{folder}/t.db")
        async with database.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        tree, mapping = files(Path(folder), shape, goes, kinds)
        async with database.session() as session:
            assert not (await roster.import_rosters(session, [tree])).problems
            await seed(session, every=2)  # commits the tree too
        try:
            yield database, mapping
        finally:
            await database.dispose()


async def run(case) -> None:
    _shape, goes, _kinds = case
    async with seeded(case) as (database, mapping):
        async with database.session() as session:
            before, old = await counts(session), await totals(session, ["P"] + [f"C{c}" for c in goes])
            plan = await remap.plan_remap(session, mapping, date(2025, 7, 1))
            assert plan.problems == []
            await remap_apply.apply_remap(session, plan)
            await session.commit()
        async with database.session() as session:
            after = await counts(session)
            new = await totals(session, ["P"] + [f"N{n}" for n in set(goes.values())])
    assert (after["teams"], after["members"], after["reports"]) == (before["teams"], before["members"],
                                                                     before["reports"])
    assert new["P"] == old["P"]
    for n in set(goes.values()):
        parts = [old[f"C{c}"] for c, g in goes.items() if g == n]
        assert new[f"N{n}"] == (sum(p[0] for p in parts), sum(p[1] for p in parts))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_random_trees_and_merge_maps_keep_every_total(case):
    asyncio.run(run(case))

