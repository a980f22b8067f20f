"""Property: for any tree and any map merging its communes, the roll-up on the tree as it stood before the
remap shows exactly what the roll-up showed before it (every row, figures and completeness), at every level."""

import asyncio
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from sqlmodel import SQLModel

import bot.db.lineage  # noqa: F401  (registers the tables for create_all)
import bot.db.reports  # noqa: F401
from bot.db.session import Database
from bot.services import org, remap, remap_apply, reports, rollup_history, roster
from tests.services.test_remap import DEADLINE, seed
from tests.services.test_remap_property import YEAR, cases, files
from tests.services.test_rollup_history import figures


async def views(session, codes: list[str], day: date | None) -> dict[str, dict]:
    """Each unit's 2024 roll-up rows, on today's tree (`day` None) or on the tree of `day`."""
    found = {}
    for code in codes:
        unit = await org.unit_by_code(session, code)
        found[code] = figures(await rollup_history.rollup_on(session, unit, *YEAR, day=day, deadline=DEADLINE))
    return found


async def run(case) -> None:
    shape, goes, kinds = case
    codes = ["P"] + [f"D{d}" for d in range(len(shape))] + [f"C{c}" for c in goes]
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{folder}/t.db")
        async with database.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        tree, mapping = files(Path(folder), shape, goes, kinds)
        async with database.session() as session:
            assert not (await roster.import_rosters(session, [tree])).problems
            await seed(session, every=2)
            before = await views(session, codes, None)
            plan = await remap.plan_remap(session, mapping, date(2025, 7, 1))
            await remap_apply.apply_remap(session, plan)
            await session.commit()
        async with database.session() as session:
            then = await views(session, codes, date(2024, 12, 31))
            province_now = await reports.rollup(session, await org.unit_by_code(session, "P"), *YEAR,
                                                deadline=DEADLINE, count_ids=[])
        await database.dispose()
    assert then == before
    assert province_now.total.reports == before["P"]["total"][0]  # and today's tree loses none of them


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_tree_as_at_before_a_random_remap_reads_as_it_did(case):
    asyncio.run(run(case))
