"""The review queue in chat: /review lists what waits (oldest first), pages through it, sends a report's photos,
and an officer decides for the teams below; decisions reach the member and the audit log."""

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.console import AuditEntry
from bot.db.models import Member
from tests.chat import Harness
from tests.handlers.test_report import file_simple, join, put_photo, stored_reports, to_count
from tests.report_images import photo


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def file_with_photos(harness, chat, seeds: tuple[int, ...]):
    """A report with these photos, sent; returns the stored row."""
    await to_count(chat)
    await chat.send("9")
    for seed in seeds:
        await chat.send(photo=put_photo(harness, f"q{seed}", photo(seed)))
    await chat.tap("report:photos_done")
    await chat.tap("report:skip_note")
    await chat.tap("report:send")
    return (await stored_reports(harness.db))[-1]


async def test_review_lists_oldest_first_pages_and_sends_the_photos(harness):
    leader = await join(harness, "q1", "Trưởng Tổ Ba", role="leader")
    member = await join(harness, "q2", "Thành Viên Ba")
    with_photos = await file_with_photos(harness, member, (71, 72))
    for people in range(1, 7):  # six more, a minute apart: seven in all, two pages of five
        harness.clock.advance(minutes=1)
        await file_simple(harness, member, people=str(people))
    reports = await stored_reports(harness.db)
    await leader.send(payload="menu:main")
    assert "menu:review" in leader.payloads and "Reports to review (7)" in str(leader.last[-1].buttons)
    await leader.send("/review")
    assert "7 reports wait for your decision" in leader.text and "Page 1 of 2" in leader.text
    opened = [p for p in leader.payloads if p.startswith("review:open:")]
    assert opened == [f"review:open:{r.id}" for r in reports[:5]]  # oldest first
    await leader.tap("review:page:2")
    assert [p for p in leader.payloads if p.startswith("review:open:")] == [f"review:open:{r.id}" for r in reports[5:]]
    assert "review:page:1" in leader.payloads and "review:page:3" not in leader.payloads

    await leader.send(payload=f"review:open:{with_photos.id}")
    sent = [m.photo for m in leader.last if m.photo]
    assert len(sent) == 2 and all(Path(p).is_file() and Path(p).stat().st_size > 0 for p in sent)
    assert "Photo 1 of 2" in leader.text and "2 photos" in leader.last[-1].text
    await leader.tap(f"review:approve:{with_photos.id}:0")
    member.last = await member.replies()
    assert f"Your report {with_photos.number} was approved by Trưởng Tổ Ba" in member.text
    await leader.send("/review")
    assert "6 reports wait" in leader.text
    async with harness.db.session() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action.like('report_%')))).scalar_one()
    assert (entry.action, entry.actor_name, entry.target, entry.address) == (
        "report_approved", "Trưởng Tổ Ba", with_photos.number, "chat:fake")


async def test_an_officer_decides_for_the_teams_below_and_members_see_no_queue(harness):
    officer = await join(harness, "q3", "Cán Bộ Xã", unit="21409", role="officer")
    other_officer = await join(harness, "q4", "Cán Bộ Xã Khác", unit="21412", role="officer")
    member = await join(harness, "q5", "Người Báo Cáo")  # village 21409-03: no leader
    report = await file_simple(harness, member)
    await officer.send("/review")
    assert "1 report waits" in officer.text and f"review:open:{report.id}" in officer.payloads
    await officer.tap(f"review:open:{report.id}")
    await officer.tap(f"review:return:{report.id}:0")
    await officer.send("Thiếu ảnh")
    member.last = await member.replies()
    assert "was returned by Cán Bộ Xã: Thiếu ảnh" in member.text
    await other_officer.send("/review")
    assert "No report is waiting for your decision" in other_officer.text
    await member.send("/review")
    assert "Only team leaders and officers review reports" in member.text
    assert "menu:review" not in member.payloads
    async with harness.db.session() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action.like('report_%')))).scalar_one()
        officer_id = (await session.execute(select(Member.id).where(Member.full_name == "Cán Bộ Xã"))).scalar_one()
    assert (entry.action, entry.detail, entry.actor_account_id) == ("report_returned", {"reason": "Thiếu ảnh"}, None)
    assert (await stored_reports(harness.db))[0].reviewed_by_member_id == officer_id
