"""A report is offered the plan (DX Day of a year) when its date falls in the window the department stored in the
console for that year, not in the campaign file's usual window: the chat's one-tap offer follows the moved dates."""

from datetime import UTC, date, datetime

import pytest

from bot.clock import FakeClock
from bot.services import calendar_overrides, periods
from tests.chat import Harness
from tests.handlers.test_report import join

MOVED = dict(period_start=date(2026, 10, 12), period_end=date(2026, 11, 15), deadline=date(2026, 11, 16),
             department_deadline=date(2026, 11, 25))  # the file's: 28/09–31/10, teams by 12/10, department 15/10


@pytest.fixture
async def harness(demo_roster):
    async with demo_roster.session() as session:
        campaign = periods.parse("campaign:national-dx-day:2026").campaign
        cal = calendar_overrides.defaults(campaign, 2026)
        moved = calendar_overrides.YearCalendar(2026, cal.week_start, cal.week_end, **MOVED)
        await calendar_overrides.save(session, campaign, moved, by="test", now=datetime(2026, 9, 1, tzinfo=UTC))
        await session.commit()
    return Harness(demo_roster, clock=FakeClock(datetime(2026, 11, 5, 2, 0, tzinfo=UTC)))


async def _report_today(chat) -> None:
    await chat.tap("menu:report") if "menu:report" in chat.payloads else await chat.send(payload="menu:report")
    await chat.tap("report:type:vneid")
    await chat.tap("report:date:today")


async def test_a_report_inside_the_moved_window_is_offered_the_plan(harness):
    chat = await join(harness, "p1", "Nguyễn Văn An")
    await _report_today(chat)  # 05/11/2026: after the file's window, inside the moved one
    assert "Was this part of a campaign?" in chat.text
    assert "report:plan:national-dx-day:2026" in chat.payloads
    await chat.tap("report:plan:national-dx-day:2026")
    assert "how many?" in chat.text


async def test_a_report_in_the_files_window_but_outside_the_moved_one_is_not(harness):
    harness.clock.set(datetime(2026, 10, 1, 2, 0, tzinfo=UTC))  # in the file's window, before the moved one
    chat = await join(harness, "p2", "Trần Thị Bình")
    await _report_today(chat)
    assert "how many?" in chat.text and "campaign" not in chat.text
    assert "report:plan:national-dx-day:2026" not in chat.payloads
