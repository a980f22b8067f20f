"""The report-duty calendar: the year's duties with the teams' and the department's deadlines (DX Day's from the
calendar in the database), what is in per unit and who is still missing, drill-down, and the scope."""

import re
from datetime import date
from html import unescape

from bot.clock import FakeClock
from tests.web.conftest import add_member, sign_in
from tests.web.test_rollup import add_report
from tests.web.test_written_parts import chat_answer

DX_DAY = "campaign:national-dx-day:2026"


def row(page: str, attribute: str, value: str) -> list[str]:
    """The visible cells of the table row carrying data-<attribute>="value"."""
    found = re.search(rf'<tr [^>]*data-{attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", found, re.S)]


async def test_the_years_duties_with_both_deadlines(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    page = await (await client.get("/admin/duties?year=2026")).text()
    assert row(page, "key", DX_DAY)[1:4] == ["28/09/2026–31/10/2026", "12/10/2026", "15/10/2026"]
    assert row(page, "key", "2026")[2:4] == ["25/11/2026", "30/11/2026"]  # the steering report by 30/11
    assert row(page, "key", "2026-Q3")[2:4] == ["10/10/2026", "15/10/2026"]
    assert row(page, "key", "2026-12")[4] == "chưa đến kỳ"  # the clock is in November: December is not open
    assert (await client.get("/admin/duties?year=abc")).status == 400


async def test_a_duty_shows_what_is_in_and_who_is_missing_and_drills_down(client, demo_roster, people):
    reporter = await add_member(demo_roster, "21409-01", "Nguyễn Văn Một", "+84905000011", "chat-11")
    await add_report(demo_roster, "21409-01", reporter, date(2026, 10, 5), "public_services", {"people": 4})
    await sign_in(client, demo_roster, *people["officer"])
    page = unescape(await (await client.get(f"/admin/duties/{DX_DAY}?unit=21409")).text())
    assert "Tổ gửi báo cáo trước: 12/10/2026" in re.sub(r"<[^>]+>", "", page)
    assert row(page, "code", "21409-01")[1] == "1/1" and row(page, "code", "21409-02")[1] == "0/1"
    missing = page[page.index('id="missing-teams"'):page.index('id="missing-written"')]
    assert "Thôn 2" in missing and "Thôn 1" not in missing
    written = page[page.index('id="missing-written"'):]
    assert "Xã Đức Nhuận: Lê Văn Cán Bộ" in written  # the commune's officer has not sent the written parts yet
    assert row(page, "code", "21409")[3] == "0/1 đơn vị"

    await chat_answer(demo_roster, "21409", "difficulties", "Thiếu điện thoại", date(2026, 10, 11))
    page = unescape(await (await client.get(f"/admin/duties/{DX_DAY}?unit=21409")).text())
    assert "Lê Văn Cán Bộ" not in page[page.index('id="missing-written"'):]
    drill = unescape(await (await client.get(f"/admin/duties/{DX_DAY}?unit=21409-02")).text())
    assert "Thôn 2" in drill[drill.index('id="missing-teams"'):]
    assert (await client.get(f"/admin/duties/{DX_DAY}?unit=21412")).status == 403
    assert (await client.get("/admin/duties/campaign:nothing:2026")).status == 404


async def test_the_calendar_set_in_the_console_moves_the_duty(client, demo_roster, people, clock: FakeClock):
    from bot.services import calendar_overrides, campaigns

    campaign = campaigns.load_campaign("national-dx-day")
    async with demo_roster.session() as session:
        cal = calendar_overrides.defaults(campaign, 2026)
        moved = calendar_overrides.YearCalendar(2026, cal.week_start, cal.week_end, cal.period_start,
                                                cal.period_end, date(2026, 10, 11), date(2026, 10, 16))
        await calendar_overrides.save(session, campaign, moved, by="test", now=clock.now())
        await session.commit()
    await sign_in(client, demo_roster, *people["admin"])
    page = await (await client.get("/admin/duties?year=2026")).text()
    assert row(page, "key", DX_DAY)[2:4] == ["11/10/2026", "16/10/2026"]
