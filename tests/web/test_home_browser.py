"""The home page in a real Chromium: a phone (360 px) and an office screen (1366 px), Vietnamese and English,
no horizontal scroll, no raw message ids; screenshots land in var/screenshots/ for people to look at."""

import random
from datetime import date, timedelta

from aiohttp import web
from sqlalchemy import insert, select

from bot.db.broadcasts import Broadcast, BroadcastAck
from bot.db.console import ConsoleAccount
from bot.db.models import Delivery, Member, OrgUnit, Team
from bot.db.reports import Report
from bot.delivery.sender import Outbox
from bot.services import signin
from bot.web.console import create_console, mount
from tests.browser import requires_chromium, screenshot_path, serve
from tests.fakes.members import add_members
from tests.web.conftest import START, console_settings
from tests.web.test_home import figures

pytestmark = requires_chromium
WIDTHS = (360, 1366)
STATUS = {"telegram": {"status": "ok", "reason": ""}, "zalo_oa": {"status": "degraded", "reason": "token expired"},
          "web": {"status": "ok", "reason": ""}}


async def busy_province(db) -> None:
    """Members in a few districts, this month's reports from part of their teams, two broadcasts with answers."""
    await figures(db)
    members = await add_members(db, 400, en_every=0)
    rng = random.Random(3)
    async with db.session() as session:
        teams = (await session.execute(select(Team.id, OrgUnit.path, Member.id)
                                       .join(OrgUnit, Team.unit_id == OrgUnit.id)
                                       .join(Member, Member.team_id == Team.id).where(Member.id.in_(members)))).all()
        reports = [{"team_id": t, "unit_path": p, "type_id": "visit", "status": "approved",
                    "activity_date": date(2026, 11, rng.randint(1, 24)), "filed_by_member_id": m,
                    "draft_key": f"busy-{m}", "created_at": START, "counts": {}, "duplicate_photo": False}
                   for t, p, m in teams if rng.random() < 0.45]
        await session.execute(insert(Report), reports)
        for days, ack in ((2, True), (9, False)):
            sent = Broadcast(text_vi="Họp tổ cuối tháng lúc 8 giờ sáng thứ Bảy tại nhà văn hóa thôn", ack=ack,
                             text_en="Team meeting on Saturday at 8 am in the village hall", status="sending",
                             created_at=START - timedelta(days=days))
            session.add(sent)
            await session.flush()
            await session.execute(insert(Delivery), [
                {"broadcast_id": sent.id, "channel": "telegram", "external_id": str(m), "member_id": m, "priority": 1,
                 "status": "sent" if rng.random() < 0.9 else "queued", "payload": {}, "created_at": sent.created_at}
                for m in members])
            if ack:
                await session.execute(insert(BroadcastAck), [
                    {"broadcast_id": sent.id, "member_id": m, "answer": "help" if rng.random() < 0.1 else "ok",
                     "at": START} for m in members if rng.random() < 0.7])
        await session.commit()


async def link_for(db, role: str) -> str:
    """A fresh one-time sign-in path for the console account with that role."""
    async with db.session() as session:
        account = (await session.execute(select(ConsoleAccount).where(ConsoleAccount.role == role))).scalar_one()
        token = await signin.issue_link(session, account, START)
        await session.commit()
    return f"/admin/signin/t/{token}"


async def look(page, name: str) -> None:
    """At each width: no horizontal scroll, and a full-page screenshot."""
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 800})
        scroll = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"{name} at {width} px scrolls sideways by {scroll} px"
        await page.screenshot(path=screenshot_path(f"home-{name}-{width}.png"), full_page=True)


async def test_the_home_page_fits_a_phone_and_a_desktop_in_both_languages(browser, demo_roster, clock, people):
    await busy_province(demo_roster)
    app = web.Application()
    mount(app, create_console(demo_roster, console_settings(), clock, Outbox(demo_roster, {}, clock),
                              app_status=lambda: STATUS))
    async with serve(app) as base:
        for role in ("admin", "officer"):
            context = await browser.new_context(viewport={"width": 1366, "height": 800})
            page = await context.new_page()
            await page.goto(base + await link_for(demo_roster, role))
            await page.wait_for_url(base + "/admin/")
            assert await page.locator("#completeness .row").count() > 0
            assert await page.locator("#reach .badge.degraded").count() == 1  # Zalo OA, as the app reports it
            await look(page, f"{role}-vi")
            assert "Waiting for review" not in await page.inner_text("main")
            await page.click("button[name=lang][value=en]")
            await page.wait_for_url(base + "/admin/")
            text = await page.inner_text("main")
            assert "Waiting for review" in text and "Chờ duyệt" not in text
            await look(page, f"{role}-en")
            await context.close()
