"""Issue 15 item 14: a returned report is opened, corrected and sent again under the same number, its history kept;
reviewers see it is a resubmission; returned reports never count, a resubmitted one is back in review."""

from datetime import date

import pytest
from sqlalchemy import select

from bot.db.reports import ReportEvent
from bot.services import reports
from tests.chat import Harness
from tests.handlers.test_report import file_simple, join, stored_reports

MONTH = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def _returned(harness, reason: str = "Số người phải là 15"):
    """A member's report (12 people, one photo) returned by their leader; (leader, member, report)."""
    leader = await join(harness, "ret-leader", "Trưởng Tổ Một", role="leader")
    member = await join(harness, "ret-member", "Thành Viên Hai")
    report = await file_simple(harness, member, people="12", photo_seed=61)
    leader.last = await leader.replies()
    await leader.tap(f"review:return:{report.id}:0")
    await leader.send(reason)
    member.last = await member.replies()
    return leader, member, report


async def _team_month(harness, report) -> tuple[int, int]:
    async with harness.db.session() as session:
        return await reports.team_period(session, report.team_id, *MONTH)


async def test_corrected_from_the_notice_and_sent_again_under_the_same_number(harness):
    leader, member, report = await _returned(harness)
    assert await _team_month(harness, report) == (0, 0)  # a returned report does not count
    await member.tap(f"report:fix:{report.id}")
    assert "returned by Trưởng Tổ Một: “Số người phải là 15”" in member.text
    assert "People helped: 12" in member.text and "Photos: 1" in member.text
    await member.tap("report:edit")
    await member.tap("report:edit:counts")
    await member.send("15")
    assert "People helped: 15" in member.text
    await member.tap("report:send")
    assert f"Report {report.number} received" in member.text
    [again] = await stored_reports(harness.db)
    assert (again.id, again.status, again.people, again.return_reason) == (report.id, "pending", 15, None)
    assert await _team_month(harness, report) == (1, 15)  # back in the figures, waiting for review
    leader.last = await leader.replies()
    assert f"Report {report.number} sent again by Thành Viên Hai" in leader.text
    assert "returned by Trưởng Tổ Một: Số người phải là 15" in leader.text and "sent again" in leader.text
    assert "1 photo" in leader.text
    await leader.tap(f"review:approve:{report.id}:1")
    async with harness.db.session() as session:
        events = (await session.execute(select(ReportEvent).order_by(ReportEvent.id))).scalars().all()
    assert [(e.kind, e.reason) for e in events] == [("returned", "Số người phải là 15"), ("resubmitted", None),
                                                    ("approved", None)]
    assert (await stored_reports(harness.db))[0].status == "approved"


async def test_the_menu_lists_returned_reports_and_cancelling_keeps_it_returned(harness):
    _leader, member, report = await _returned(harness)
    await member.send("/menu")
    assert member.payloads[:2] == ["menu:report", "menu:returned"]
    await member.tap("menu:returned")
    await member.tap(f"report:fix:{report.id}")
    assert "Số người phải là 15" in member.text
    await member.tap("report:cancel")
    assert f"report {report.number} stays returned" in member.text
    assert [r.status for r in await stored_reports(harness.db)] == ["returned"]
    await member.tap("menu:returned")
    await member.tap(f"report:fix:{report.id}")
    await member.tap("report:send")  # sent again unchanged: the reviewer decides
    assert [r.status for r in await stored_reports(harness.db)] == ["pending"]
    await member.send("/menu")
    assert "menu:returned" not in member.payloads


async def test_only_the_filer_can_open_a_returned_report(harness):
    _leader, _member, report = await _returned(harness)
    other = await join(harness, "ret-other", "Người Khác")
    await other.send(payload=f"report:fix:{report.id}")
    assert "not waiting for a correction from you" in other.text
    await other.send(payload="report:send")
    assert [r.status for r in await stored_reports(harness.db)] == ["returned"]


async def test_a_resend_after_sending_again_changes_nothing(harness):
    _leader, member, report = await _returned(harness)
    await member.tap(f"report:fix:{report.id}")
    await member.send(payload="report:send", message_id="resend-1")
    await member.send(payload="report:send", message_id="resend-2")  # an old button tapped twice
    assert f"{report.number} was already sent" in member.text
    async with harness.db.session() as session:
        kinds = (await session.execute(select(ReportEvent.kind).order_by(ReportEvent.id))).scalars().all()
    assert kinds == ["returned", "resubmitted"]
    await member.send(payload=f"report:fix:{report.id}")  # the notice's button, once it is back in review
    assert "not waiting for a correction" in member.text
