"""Property: for any tree and any map merging its communes, the roll-up on the tree as it stood before the
remap shows exactly what the roll-up showed before it (every row, figures and completeness), at every level."""

import asyncio
from datetime import date

from hypothesis import HealthCheck, given, settings

from bot.services import org, remap, remap_apply, reports, rollup_history
from tests.services.test_remap import DEADLINE
from tests.services.test_remap_property import YEAR, cases, seeded
from tests.services.test_rollup_history import figures


async def views(session, codes: list[str], day: date | None) -> dict[str, dict]:
    """Each unit's 2024 roll-up rows, on today's tree (`day` None) or on the tree of `day`."""
    found = {}
    for code in codes:
        unit = await org.unit_by_code(session, code)
        found[code] = figures(await rollup_history.rollup_on(session, unit, *YEAR, day=day, deadline=DEADLINE))
    return found


async def run(case) -> None:
    shape, goes, _kinds = case
    codes = ["P"] + [f"D{d}" for d in range(len(shape))] + [f"C{c}" for c in goes]
    async with seeded(case) as (database, mapping):
        async with database.session() as session:
            before = await views(session, codes, None)
            plan = await remap.plan_remap(session, mapping, date(2025, 7, 1))
            await remap_apply.apply_remap(session, plan)
            await session.commit()
        async with database.session() as session:
            then = await views(session, codes, date(2024, 12, 31))
            province_now = await reports.rollup(session, await org.unit_by_code(session, "P"), *YEAR,
                                                deadline=DEADLINE, count_ids=[])
    assert then == before
    assert province_now.total.reports == before["P"]["total"][0]  # and today's tree loses none of them


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_tree_as_at_before_a_random_remap_reads_as_it_did(case):
    asyncio.run(run(case))
