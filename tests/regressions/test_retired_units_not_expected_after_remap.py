"""After the 2025 remap, the province's roll-up for 2026 listed the 13 abolished districts as rows expecting a
report each ("0/1"): a team at a unit retired before the period began is no longer expected to report."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.db.models import OrgUnit
from bot.services import reports
from tests.services.test_remap import remapped

DEADLINE = datetime(2027, 1, 31, tzinfo=UTC)


@pytest.mark.parametrize("start,end", [(date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 3, 1), date(2026, 3, 31))],
                         ids=["whole-year", "one-month"])
async def test_abolished_districts_are_not_rows_expecting_reports_in_2026(any_db, demo_roster, tmp_path, start, end):
    await remapped(any_db, tmp_path)
    async with any_db.session() as session:
        province = await session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
        view = await reports.rollup(session, province, start, end, deadline=DEADLINE, count_ids=[])
    assert [row.unit.name for row in view.units if row.unit.kind == "district"] == []
    assert all(row.unit.retired_on is None for row in view.units)
    # The 2024 view on today's tree still expects the districts' teams: they were live then.
    async with any_db.session() as session:
        old = await reports.rollup(session, province, date(2024, 1, 1), date(2024, 12, 31), deadline=DEADLINE,
                                   count_ids=[])
    assert old.total.expected > view.total.expected
