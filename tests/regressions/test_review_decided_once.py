"""Issue: two reviewers deciding the same report at once both succeeded (two history lines, two audit entries, two
contradicting messages to the member), and the Approve / Return buttons of a report's first notice still worked
after it was corrected and sent again. A decision is now a conditional update: exactly one wins, the loser is told
who decided it and when, and a button naming an older version of the report is refused."""

import asyncio

import pytest
from sqlalchemy import func, select

from bot.db.console import AuditEntry
from bot.db.models import Member
from bot.db.reports import Report, ReportEvent
from bot.i18n import Translator
from bot.services import access, review_queue
from bot.services.members import promote
from tests.chat import Harness
from tests.handlers.test_report import file_simple, join, stored_reports
from tests.web.conftest import START, client, clock, csrf_of, people, sign_in  # noqa: F401 (fixtures)
from tests.web.test_review_browser import QUEUE, file, member


@pytest.fixture
async def harness(any_db, demo_roster):  # SQLite, and PostgreSQL when CDSBOT_TEST_POSTGRES_URL is set
    return Harness(demo_roster)


async def _two_leaders_and_a_report(harness):
    """Two leaders of one team, each shown the member's new report; (first, second, member, report)."""
    first = await join(harness, "once-l1", "Trưởng Tổ Một", role="leader")
    second = await join(harness, "once-l2", "Phó Tổ Hai", role="leader")
    member = await join(harness, "once-m", "Thành Viên Ba")
    report = await file_simple(harness, member, people="12")
    first.last, second.last, member.last = await first.replies(), await second.replies(), await member.replies()
    return first, second, member, report


async def _history(harness, report) -> tuple[list[str], int]:
    """The report's history kinds and how many audit entries name it."""
    async with harness.db.session() as session:
        kinds = list((await session.execute(select(ReportEvent.kind).where(ReportEvent.report_id == report.id)
                                            .order_by(ReportEvent.id))).scalars())
        audited = await session.scalar(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.target == report.number))
    return kinds, audited


async def _decide_as(harness, name: str, report_id: int, approve: bool, loaded: asyncio.Event,
                     both_loaded: asyncio.Event) -> bool:
    """One reviewer's decision in its own session, after both reviewers read the report as pending."""
    async with harness.db.session() as session:
        reviewer = (await session.execute(select(Member).where(Member.full_name == name))).scalar_one()
        report = await session.get(Report, report_id)
        assert report.status == "pending"
        loaded.set()
        await both_loaded.wait()
        decider = review_queue.Decider.of_member(await access.actor_for_member(session, reviewer), reviewer, "fake")
        try:
            notices = await review_queue.decide(session, decider, report, approve, None if approve else "Sai số",
                                                harness.clock.now())
        except review_queue.AlreadyDecided:
            await session.rollback()
            return False
        await review_queue.deliver(session, notices, harness.clock.now())
        await session.commit()
        return True


async def test_two_reviewers_deciding_at_once_one_wins_and_the_member_hears_once(harness):
    _first, _second, member, report = await _two_leaders_and_a_report(harness)
    loaded = [asyncio.Event(), asyncio.Event()]
    both = asyncio.Event()

    async def wait_both():
        await loaded[0].wait()
        await loaded[1].wait()
        both.set()

    results = await asyncio.gather(
        _decide_as(harness, "Trưởng Tổ Một", report.id, True, loaded[0], both),
        _decide_as(harness, "Phó Tổ Hai", report.id, False, loaded[1], both), wait_both())
    assert sorted(results[:2]) == [False, True]
    kinds, audited = await _history(harness, report)
    assert len(kinds) == 1 and audited == 1
    [stored] = await stored_reports(harness.db)
    assert stored.status == kinds[0] and stored.status in ("approved", "returned")
    told = await member.replies()
    assert len(told) == 1 and ("approved by" if stored.status == "approved" else "returned by") in told[0].text
    async with harness.db.session() as session:  # the loser reads who decided it and when, in Vietnamese
        refusal = await review_queue.refusal(session, Translator("vi"), stored, None)
    winner = "Trưởng Tổ Một" if stored.status == "approved" else "Phó Tổ Hai"
    verb = "duyệt" if stored.status == "approved" else "trả lại"
    assert refusal == f"Báo cáo {report.number} đã được {winner} {verb} (23/11/2026 09:00); không có gì thay đổi."


async def test_the_second_reviewer_in_chat_is_told_who_decided_and_nothing_is_sent(harness):
    first, second, member, report = await _two_leaders_and_a_report(harness)
    await first.tap(f"review:approve:{report.id}:0")
    member.last = await member.replies()
    await second.tap(f"review:return:{report.id}:0")  # still on the notice from before the approval
    assert f"Report {report.number} was already approved by Trưởng Tổ Một (23 Nov 2026 09:00)" in second.text
    assert "Why are you returning" not in second.text
    assert await member.replies() == []
    assert await _history(harness, report) == (["approved"], 1)


async def test_a_button_from_before_the_report_was_sent_again_is_refused(harness):
    leader, _second, member, report = await _two_leaders_and_a_report(harness)
    await leader.tap(f"review:return:{report.id}:0")
    await leader.send("Số người phải là 15")
    member.last = await member.replies()
    await member.tap(f"report:fix:{report.id}")
    await member.tap("report:send")
    leader.last = await leader.replies()
    assert f"review:approve:{report.id}:1" in leader.payloads  # the new notice names the new version
    member.last = await member.replies()
    for stale in (f"review:approve:{report.id}:0", f"review:return:{report.id}:0"):  # the first notice's buttons
        await leader.send(payload=stale)
        assert f"Report {report.number} has changed since you saw it" in leader.text
    assert [r.status for r in await stored_reports(harness.db)] == ["pending"]
    assert await _history(harness, report) == (["returned", "resubmitted"], 1)
    assert await member.replies() == []
    await leader.send(payload=f"review:approve:{report.id}")  # a button from before versions: decided as it is now
    assert f"Report {report.number} approved" in leader.text
    assert await _history(harness, report) == (["returned", "resubmitted", "approved"], 2)


async def test_the_console_tells_who_decided_it_while_the_page_was_open(any_db, client, demo_roster, people):  # noqa: F811
    filer = await member(demo_roster, "21409-01", "Năm", "+84905000055", "chat-55")
    leader_id = await member(demo_roster, "21409-01", "Trưởng Tổ Sáu", "+84905000056", "chat-56")
    report = await file(demo_roster, filer, "console-once", 5)
    await sign_in(client, demo_roster, *people["officer"])
    token = await csrf_of(client, QUEUE)  # the officer's page shows the report as pending
    async with demo_roster.session() as session:  # meanwhile its leader returns it in chat
        await promote(session, leader_id, "leader")
        leader = await session.get(Member, leader_id)
        decider = review_queue.Decider.of_member(await access.actor_for_member(session, leader), leader, "web")
        await review_queue.decide(session, decider, await session.get(Report, report.id), False, "Thiếu ảnh",
                                  START)
        await session.commit()
    page = await (await client.post(QUEUE, data={"csrf_token": token, "approve": str(report.id)})).text()
    assert f"Báo cáo {report.number} đã được Trưởng Tổ Sáu trả lại (25/11/2026 10:00)" in page
    assert "Đã duyệt" not in page
    async with demo_roster.session() as session:
        assert (await session.get(Report, report.id)).status == "returned"
        actions = (await session.execute(select(AuditEntry.action).where(AuditEntry.target == report.number)))
        assert list(actions.scalars()) == ["report_returned"]
