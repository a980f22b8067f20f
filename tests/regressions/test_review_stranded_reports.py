"""Issue 12 item 3: reviewers were only told when a report was filed, so a report filed while its team had no
leader (and no officer above it) reached nobody and could never be found again. The queue is computed when it is
read: the next leader, or an officer appointed above the team later, finds it in /review and decides it."""

import pytest

from bot.services.members import promote
from tests.chat import Harness
from tests.handlers.test_report import file_simple, join, members, stored_reports


@pytest.fixture
async def harness(any_db, demo_roster):  # SQLite, and PostgreSQL when CDSBOT_TEST_POSTGRES_URL is set
    return Harness(demo_roster)


async def _appoint(harness, name: str, role: str) -> None:
    member_id = next(m.id for m in await members(harness.db) if m.full_name == name)
    async with harness.db.session() as session:
        await promote(session, member_id, role)
        await session.commit()


async def test_a_report_filed_without_a_leader_waits_for_the_next_one(harness):
    future_leader = await join(harness, "st1", "Người Sẽ Làm Tổ Trưởng")
    member = await join(harness, "st2", "Người Báo Cáo Sớm")
    report = await file_simple(harness, member)  # village 21409-03 has no leader, the commune no officer
    future_leader.last = await future_leader.replies()
    assert future_leader.text == ""  # nobody could be told
    await _appoint(harness, "Người Sẽ Làm Tổ Trưởng", "leader")
    await future_leader.send(payload="menu:main")
    assert "menu:review" in future_leader.payloads
    await future_leader.tap("menu:review")
    assert "1 report waits for your decision" in future_leader.text
    await future_leader.tap(f"review:open:{report.id}")
    await future_leader.tap(f"review:approve:{report.id}:0")
    assert (await stored_reports(harness.db))[0].status == "approved"


async def test_an_officer_appointed_later_above_the_team_decides_it(harness):
    member = await join(harness, "st3", "Người Báo Cáo Muộn")
    report = await file_simple(harness, member)
    officer = await join(harness, "st4", "Cán Bộ Huyện Mới", unit="533", role="officer")  # the district, above
    await officer.send("/review")
    assert f"review:open:{report.id}" in officer.payloads
    await officer.tap(f"review:open:{report.id}")
    await officer.tap(f"review:return:{report.id}:0")
    await officer.send("Cần thêm ảnh")
    assert (await stored_reports(harness.db))[0].status == "returned"
