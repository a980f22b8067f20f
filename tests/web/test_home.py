"""The console's home page over HTTP: the province at a glance for an admin, one commune for its officer."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from bot.db.models import OrgUnit, Team
from bot.db.reports import Report
from bot.db.schedules import Schedule
from tests.web.conftest import START, add_member, sign_in


async def add_report(db, unit_code: str, member_id: int, day: date, status: str = "approved") -> None:
    """A report of the unit's team, filed by the member."""
    async with db.session() as session:
        team_id, path = (await session.execute(select(Team.id, OrgUnit.path).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                               .where(OrgUnit.code == unit_code))).one()
        session.add(Report(team_id=team_id, unit_path=path, type_id="visit", activity_date=day, status=status,
                           filed_by_member_id=member_id, draft_key=f"home-{unit_code}-{day}-{status}",
                           created_at=START))
        await session.commit()


async def figures(demo_roster) -> None:
    """Two villages of Đức Nhuận registered, one reporting; a commune elsewhere with a report waiting."""
    first = await add_member(demo_roster, "21409-01", "Nguyễn Văn Một", "+84905000011", "chat-11")
    await add_member(demo_roster, "21409-03", "Phạm Thị Ba", "+84905000013", "chat-13")
    other = await add_member(demo_roster, "21412-01", "Võ Văn Khác", "+84905000021", "chat-21")
    await add_report(demo_roster, "21409-01", first, date(2026, 11, 3))
    await add_report(demo_roster, "21409-01", first, date(2026, 11, 4), "pending")
    await add_report(demo_roster, "21412-01", other, date(2026, 11, 5), "pending")
    async with demo_roster.session() as session:
        session.add(Schedule(name="Nhắc báo cáo tháng 12", action="reminder", template={"target": "members"},
                             rule={}, next_at=START + timedelta(days=3), created_at=START))
        await session.commit()


def tile(page: str, name: str) -> str:
    """The big number of one tile."""
    return re.search(rf'id="tile-{name}".*?class="tile-figure">([^<]+)<', page, re.S).group(1)


async def test_the_admin_sees_the_province_by_district(client, demo_roster, people):
    await figures(demo_roster)
    await sign_in(client, demo_roster, *people["admin"])
    response = await client.get("/admin/")
    page = await response.text()
    assert response.status == 200
    assert "<h1>Tỉnh Quảng Ngãi</h1>" in page and "theo huyện" in page
    assert (tile(page, "teams"), tile(page, "members"), tile(page, "reports"), tile(page, "review")) == (
        "4", "5", "3", "2")  # the admin's and officer's own team (Đức Nhuận) counts too; pending reports count
    assert 'href="/admin/reports/rollup?unit=533&amp;period=2026-11"' in page  # Mộ Đức's bar: its roll-up
    assert "Nhắc báo cáo tháng 12" in page
    assert "Waiting for review" not in page  # Vietnamese, with no raw English message id


async def test_an_officer_sees_only_their_commune(client, demo_roster, people):
    await figures(demo_roster)
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get("/admin/")).text()
    assert "<h1>Xã Đức Nhuận</h1>" in page and "theo thôn" in page
    assert (tile(page, "teams"), tile(page, "members"), tile(page, "reports"), tile(page, "review")) == (
        "3", "4", "2", "1")
    assert "unit=21409-01&amp;" in page and "21412" not in page
    assert 'href="/admin/units/21409"' in page  # teams and members lead to the unit page that lists them


async def test_the_page_speaks_english_when_asked(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    client.session.cookie_jar.update_cookies({"cdsbot_lang": "en"})
    page = await (await client.get("/admin/")).text()
    assert "Waiting for review" in page and "Reporting this month, by village" in page
    assert "No data" in page and "Chờ duyệt" not in page


async def test_every_figure_links_to_a_page_the_officer_may_open(client, demo_roster, people):
    await figures(demo_roster)
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get("/admin/")).text()
    main = page[page.index("<main>"):]
    links = set(re.findall(r'href="(/admin/[^"]*)"', main))
    assert {"/admin/units/21409", "/admin/reports/rollup?unit=21409-01&amp;period=2026-11",
            "/admin/audit?action=broadcast_created"} <= links
    for link in links:
        assert (await client.get(link.replace("&amp;", "&"))).status == 200, link
