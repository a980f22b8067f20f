"""Tying a report to the running plan in one tap, the written report types, and the "điển hình" mark."""

from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from tests.chat import Harness
from tests.handlers.test_report import join, stored_reports

DX_WEEK = datetime(2027, 10, 5, 2, 0, tzinfo=UTC)  # 05/10/2027: within DX Day 2027's window


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster, clock=FakeClock(DX_WEEK))


async def _start(chat, type_id: str) -> None:
    await chat.tap("menu:report") if "menu:report" in chat.payloads else await chat.send(payload="menu:report")
    await chat.tap(f"report:type:{type_id}")
    await chat.tap("report:date:today")


async def test_a_report_in_the_dx_week_is_tied_to_dx_day_in_one_tap(harness):
    chat = await join(harness, "p1", "Nguyễn Văn An")
    await _start(chat, "results")
    assert "Was this part of a campaign?" in chat.text
    assert "National Digital Transformation Day 10/10/2027" in [b.label for m in chat.last for b in m.all_buttons()]
    await chat.tap("report:plan:national-dx-day:2027")
    for number in ("12", "3", "2"):  # only the type's own fields are asked
        assert "how many?" in chat.text
        await chat.send(number)
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    assert "Campaign: National Digital Transformation Day 10/10/2027" in chat.text
    await chat.tap("report:send")
    [report] = await stored_reports(harness.db)
    assert report.plan == "national-dx-day:2027"
    assert report.counts == {"activated": 12, "dossiers": 3, "shops_listed": 2}


async def test_regular_work_is_not_tied_and_outside_a_plan_nothing_is_asked(harness):
    chat = await join(harness, "p2", "Trần Thị Bình")
    await _start(chat, "vneid")
    await chat.tap("report:plan:none")
    await chat.send("7")
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    await chat.tap("report:send")
    [report] = await stored_reports(harness.db)
    assert report.plan is None
    harness.clock.set(datetime(2027, 12, 2, 2, 0, tzinfo=UTC))  # no plan runs in December
    await _start(chat, "vneid")
    assert "how many?" in chat.text and "campaign" not in chat.text


async def test_a_good_practice_is_a_text_and_the_leader_marks_it_exemplary(harness):
    leader = await join(harness, "p3", "Trưởng Tổ Ba", role="leader")
    member = await join(harness, "p4", "Lê Văn Cường")
    await _start(member, "good_practice")
    await member.tap("report:plan:national-dx-day:2027")
    await member.tap("report:no_photo")  # no count is asked: straight to photos, then the text
    assert "Describe the good practice" in member.text and "report:skip_note" not in member.payloads
    await member.send("Mở lớp dạy dùng VNeID buổi tối tại nhà văn hóa thôn.")
    await member.tap("report:send")
    [report] = await stored_reports(harness.db)
    assert report.note.startswith("Mở lớp") and not report.featured
    leader.last = await leader.replies()
    await leader.tap(f"review:feature:{report.id}")
    assert f"Report {report.number} is marked exemplary" in leader.text
    [report] = await stored_reports(harness.db)
    assert report.featured
    await member.send(payload=f"review:feature:{report.id}")  # the author cannot mark their own
    assert "You cannot mark that report" in member.text
    assert (await stored_reports(harness.db))[0].featured


async def test_difficulties_are_a_text_without_photos(harness):
    officer = await join(harness, "p5", "Cán Bộ Xã", unit="21409", role="officer")
    await _start(officer, "difficulties")
    await officer.tap("report:plan:national-dx-day:2027")
    assert "Type the difficulties" in officer.text  # no count, no photo: straight to the text
    await officer.send("Sóng điện thoại yếu ở thôn 3.")
    await officer.tap("report:send")
    [report] = await stored_reports(harness.db)
    assert (report.type_id, report.note, report.plan) == ("difficulties", "Sóng điện thoại yếu ở thôn 3.",
                                                          "national-dx-day:2027")
