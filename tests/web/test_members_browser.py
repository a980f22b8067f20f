"""Members, teams and roster import in a real Chromium: an officer finds the members of their commune (with phone
numbers) and nobody else's, and cannot change roles even with a forged form; an admin promotes a member, who is
told in their language; a roster upload shows what it would change, line by line, before it is applied.
Screenshots at 360 px and 1366 px land in var/screenshots/console/."""

from sqlalchemy import select

from bot.db.console import AuditEntry
from bot.db.models import Member, OrgUnit, Team
from tests.browser import requires_chromium, serve
from tests.web.conftest import COMMUNE, OTHER_COMMUNE
from tests.web.test_home_browser import link_for
from tests.web.test_review_browser import console, member, told
from tests.web.test_rollup_browser import shoot

pytestmark = requires_chromium
MEMBERS = "/admin/members"


async def signed_in(browser, db, base: str, role: str):
    """A page signed in as the console account with that role (from tests/web/conftest.py's `people`)."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(base + await link_for(db, role))
    await page.wait_for_url(base + "/admin/")
    return context, page


async def search(page, text: str) -> str:
    """Type into the search box and return the results table's text."""
    await page.fill("#q", text)
    await page.click(".search-bar button")
    await page.wait_for_load_state()
    return await page.inner_text(".members-table")


async def role_of(db, member_id: int) -> str:
    async with db.session() as session:
        return (await session.get(Member, member_id)).role


async def test_an_officer_finds_only_their_communes_members_and_cannot_change_roles(browser, demo_roster, clock,
                                                                                   people):
    binh = await member(demo_roster, "21409-02", "Nguyễn Thị Bình", "+84905111222", "chat-binh")
    xa = await member(demo_roster, OTHER_COMMUNE + "-01", "Phạm Văn Xa", "+84905333444", "chat-xa")
    async with serve(console(demo_roster, clock)) as base:
        context, page = await signed_in(browser, demo_roster, base, "officer")
        await page.click(f"nav a[href='{MEMBERS}']")
        found = await search(page, "0905111")  # part of a phone number, typed as people write it
        assert "Nguyễn Thị Bình" in found and "+84905111222" in found
        assert await page.locator(".role-form").count() == 0  # officers do not manage roles
        await shoot(page, "members-search")
        for text in ("Phạm Văn Xa", "0905333444", OTHER_COMMUNE):
            found = await search(page, text)
            assert "Phạm Văn Xa" not in found and "+84905333444" not in await page.content()
        everyone = await search(page, "")
        assert "Nguyễn Thị Bình" in everyone and "Phạm Văn Xa" not in everyone

        token = await page.get_attribute("input[name=csrf_token]", "value")
        for target in (xa, binh):  # another commune's member, and even one of their own: refused, nothing changes
            answer = await context.request.post(base + f"/admin/members/{target}/role",
                                                form={"csrf_token": token, "role": "admin"})
            assert answer.status == 403
        for path in (f"/admin/teams?unit={OTHER_COMMUNE}", f"/admin/units/{OTHER_COMMUNE}/invite-sheets.pdf",
                     "/admin/roster"):
            assert (await context.request.get(base + path)).status == 403, path
    assert (await role_of(demo_roster, xa), await role_of(demo_roster, binh)) == ("member", "member")
    assert await told(demo_roster, "chat-xa") == [] and await told(demo_roster, "chat-binh") == []


async def test_an_admin_promotes_a_member_who_is_told_in_their_language(browser, demo_roster, clock, people):
    binh = await member(demo_roster, "21409-02", "Nguyễn Thị Bình", "+84905111222", "chat-binh")
    anh = await member(demo_roster, "21409-03", "Trần Văn Anh", "+84905111333", "chat-anh", locale="en")
    async with serve(console(demo_roster, clock)) as base:
        _context, page = await signed_in(browser, demo_roster, base, "admin")
        await page.goto(base + MEMBERS)
        await search(page, "Bình")
        row = f"#member-{binh}"
        await page.select_option(f"{row} select[name=role]", "leader")
        await page.click(f"{row} .role-form button")
        await page.wait_for_selector("#role-changed")
        assert "Nguyễn Thị Bình" in await page.inner_text("#role-changed")
        assert await page.inner_text(f"{row} .role") == "tổ trưởng"
        await shoot(page, "members-promoted")
        await search(page, "Trần Văn Anh")
        await page.select_option(f"#member-{anh} select[name=role]", "officer")
        await page.click(f"#member-{anh} .role-form button")
        await page.wait_for_selector("#role-changed")
    assert (await role_of(demo_roster, binh), await role_of(demo_roster, anh)) == ("leader", "officer")
    assert await told(demo_roster, "chat-binh") == ["Vai trò của bạn trong Tổ CNSCĐ Thôn 2 bây giờ là: tổ trưởng."]
    assert await told(demo_roster, "chat-anh") == ["Your role in Tổ CNSCĐ Thôn 3 is now: officer."]
    async with demo_roster.session() as session:
        entries = (await session.execute(select(AuditEntry).where(AuditEntry.action == "member_promoted")
                                         .order_by(AuditEntry.id))).scalars().all()
    assert [(e.target, e.actor_name) for e in entries] == [("Nguyễn Thị Bình → leader", "Trần Thị Admin"),
                                                          ("Trần Văn Anh → officer", "Trần Thị Admin")]
    assert all("+84" not in str(e.detail) + e.target for e in entries)


async def test_the_teams_page_prints_the_communes_invite_sheets(browser, demo_roster, clock, people):
    async with serve(console(demo_roster, clock)) as base:
        context, page = await signed_in(browser, demo_roster, base, "officer")
        await page.goto(base + f"/admin/units/{COMMUNE}")
        await page.click("a[href='/admin/teams?unit=21409']")
        assert await page.locator(".teams-table tbody tr").count() == 6
        await shoot(page, "teams")
        sheet = await context.request.get(base + await page.get_attribute("#invite-sheets", "href"))
        assert sheet.status == 200 and sheet.headers["content-type"] == "application/pdf"
        assert (await sheet.body()).startswith(b"%PDF")


ROSTER_REFUSED = "code,name,kind,parent_code\n21409-06,Thôn 6,village,21409\n21409-07,Thôn 7,village,99999\n"
ROSTER = ("code,name,kind,parent_code\n# Đức Nhuận, corrected\n21409-01,Thôn Một,village,21409\n"
          f"21409-05,Thôn 5,village,{OTHER_COMMUNE}\n21409-06,Thôn 6,village,21409\n21409-02,Thôn 2,village,21409\n")


async def upload(page, tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    await page.set_input_files("#roster-file", str(path))
    await page.click("#roster-preview")
    await page.wait_for_selector("#preview")


async def units(db) -> dict[str, tuple[str, str]]:
    async with db.session() as session:
        rows = await session.execute(select(OrgUnit.code, OrgUnit.name, OrgUnit.path).where(
            OrgUnit.code.in_(["21409-01", "21409-05", "21409-06", "21409-07", OTHER_COMMUNE])))
        return {code: (name, path) for code, name, path in rows}


async def test_a_roster_upload_is_previewed_then_applied_all_or_nothing(browser, demo_roster, clock, people,
                                                                        tmp_path):
    before = await units(demo_roster)
    async with serve(console(demo_roster, clock)) as base:
        _context, page = await signed_in(browser, demo_roster, base, "admin")
        await page.click("nav a[href='/admin/roster']")
        await upload(page, tmp_path, "refused.csv", ROSTER_REFUSED)
        assert "1" in await page.inner_text("#count-refused")
        assert "3" in await page.inner_text(".roster-refused td.num")  # the line of the unknown parent
        assert await page.locator("#roster-apply").count() == 0
        await upload(page, tmp_path, "duc-nhuan.csv", ROSTER)
        for kind, line in (("added", "5"), ("renamed", "3"), ("moved", "4")):
            assert "1" in await page.inner_text(f"#count-{kind}")
            assert await page.inner_text(f".roster-{kind} td.num") == line
        assert "Thôn 1 → Thôn Một" in await page.inner_text(".roster-renamed")
        assert "1" in await page.inner_text("#count-unchanged")
        await shoot(page, "roster-preview")
        assert await units(demo_roster) == before  # nothing written by a preview
        await page.click("#roster-apply")
        await page.wait_for_selector("#roster-done", timeout=15000)
        assert "1" in await page.inner_text("#roster-done")
        await shoot(page, "roster-applied")
    after = await units(demo_roster)
    assert after["21409-01"][0] == "Thôn Một" and "21409-07" not in after
    assert after["21409-05"][1].startswith(after[OTHER_COMMUNE][1])  # moved under the other commune
    async with demo_roster.session() as session:
        new_team = (await session.execute(select(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                          .where(OrgUnit.code == "21409-06"))).scalar_one()
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "roster_imported")
                                       .order_by(AuditEntry.id.desc()).limit(1))).scalar_one()
    assert new_team.name == "Tổ CNSCĐ Thôn 6"
    assert (entry.target, entry.actor_name, entry.detail) == ("duc-nhuan.csv", "Trần Thị Admin",
                                                             {"created": 1, "updated": 2})
