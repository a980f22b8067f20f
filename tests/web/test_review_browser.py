"""The review queue in a real Chromium: an officer looks at a report's photos (thumbnails, full size, a look-alike
side by side), returns it with a reason the member reads in their own language, and approves several at once;
another commune's photo is refused. Screenshots at 360 px and 1366 px land in var/screenshots/console/."""

import asyncio
from datetime import date
from pathlib import Path

from aiohttp import web
from sqlalchemy import select

from bot.db.console import AuditEntry
from bot.db.models import Delivery, Member
from bot.db.reports import Report
from bot.delivery.sender import Outbox
from bot.services import photos, report_filing
from bot.web.console import create_console, mount
from tests.browser import requires_chromium, serve
from tests.report_images import photo, reencoded
from tests.web.conftest import OTHER_COMMUNE, START, add_member, console_settings
from tests.web.test_home_browser import link_for
from tests.web.test_rollup_browser import shoot

pytestmark = requires_chromium
QUEUE = "/admin/reports/review"
MEDIA = Path("var/media")  # the settings' default, under the test's own working directory


async def file(db, member_id: int, key: str, people: int, images: list[bytes] = ()) -> Report:
    """A pending report of the member's team, with these photos stored as the chat stores them."""
    async with db.session() as session:
        ids = [(await photos.store(session, MEDIA, data, START)).id for data in images]
        draft = {"key": key, "type": "public_services", "date": date(2026, 11, 24).isoformat(),
                 "counts": {"people": people}, "photos": ids, "note": f"Ghi chú {key}"}
        report, _ = await report_filing.file_report(session, draft, await session.get(Member, member_id), START)
        await session.commit()
        return report


async def member(db, unit: str, name: str, phone: str, chat: str, locale: str = "vi") -> int:
    member_id = await add_member(db, unit, name, phone, chat)
    async with db.session() as session:
        (await session.get(Member, member_id)).locale = locale
        await session.commit()
    return member_id


async def told(db, chat: str) -> list[str]:
    """The texts queued to a web chat."""
    async with db.session() as session:
        rows = (await session.execute(select(Delivery).where(Delivery.external_id == chat)
                                      .order_by(Delivery.id))).scalars()
        return [row.payload["text"] for row in rows]


async def signed_in_page(browser, db, base: str):
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    await page.goto(base + await link_for(db, "officer"))
    await page.wait_for_url(base + "/admin/")
    return context, page


def console(db, clock) -> web.Application:
    app = web.Application()
    mount(app, create_console(db, console_settings(), clock, Outbox(db, {}, clock)))
    return app


async def loaded(page, selector: str) -> list[int]:
    """The natural widths of the images (0 when one did not load)."""
    for _ in range(100):  # polled here: the console's CSP forbids the string evaluation wait_for_function uses
        if all(await page.eval_on_selector_all(selector, "imgs => imgs.map(i => i.complete)")):
            break
        await asyncio.sleep(0.05)
    return await page.eval_on_selector_all(selector, "imgs => imgs.map(i => i.naturalWidth)")


async def test_an_officer_looks_at_the_photos_and_returns_the_report_with_a_reason(browser, demo_roster, clock,
                                                                                   people):
    elsewhere = await member(demo_roster, OTHER_COMMUNE + "-01", "Người Xã Khác", "+84905000031", "chat-31")
    original = photo(81)
    other = await file(demo_roster, elsewhere, "other", 4, [original])
    anh = await member(demo_roster, "21409-03", "Nguyễn Văn Anh", "+84905000032", "chat-32", locale="en")
    report = await file(demo_roster, anh, "two-photos", 12, [photo(82), reencoded(original)])
    async with serve(console(demo_roster, clock)) as base:
        context, page = await signed_in_page(browser, demo_roster, base)
        await page.click(f"nav a[href='{QUEUE}']")
        card = f"#report-{report.number}"
        assert "Nguyễn Văn Anh" in await page.inner_text(card) and "12" in await page.inner_text(f"{card} .count")
        widths = await loaded(page, f"{card} .thumb img")
        assert len(widths) == 3 and all(0 < w <= 320 for w in widths)  # two photos + the look-alike beside one
        assert other.number in await page.inner_text(f"{card} .lookalike")
        await shoot(page, "review-queue")

        async with page.expect_popup() as opening:
            await page.click(f"{card} .photos > a.thumb")
        full = await opening.value
        await full.wait_for_load_state()
        assert await full.evaluate("document.images[0].naturalWidth") == 1200  # full size, as stored
        answer = await context.request.get(base + f"/admin/photos/{report.number}/1")
        assert answer.status == 200 and answer.headers["cache-control"].startswith("private")
        for path in (f"/admin/photos/{other.number}/1", f"/admin/photos/{other.number}/1/thumb"):
            assert (await context.request.get(base + path)).status == 403  # another commune's report
        assert len(list((MEDIA / "thumbs").rglob("*.jpg"))) == 3  # thumbnails cached on disk

        await page.click(f"{card} button[name=return]")  # no reason yet: asked for one, nothing changes
        assert await page.is_visible("#review-error")
        await page.fill(f"#reason-{report.id}", "Ảnh thứ hai trùng với báo cáo khác")
        await page.click(f"{card} button[name=return]")
        await page.wait_for_selector(".notice")
        assert await page.locator(card).count() == 0
        await shoot(page, "review-after")
    expected = f"Your report {report.number} was returned by Lê Văn Cán Bộ: Ảnh thứ hai trùng với báo cáo khác"
    assert expected in (await told(demo_roster, "chat-32"))[-1]  # in English, the member's language
    async with demo_roster.session() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "report_returned"))).scalar_one()
        assert (entry.target, entry.actor_name, entry.unit_path) == (report.number, "Lê Văn Cán Bộ", report.unit_path)
        assert (await session.get(Report, report.id)).status == "returned"


async def test_several_reports_approved_at_once(browser, demo_roster, clock, people):
    filer = await member(demo_roster, "21409-02", "Trần Thị Hai", "+84905000041", "chat-41")
    first, second, third = [await file(demo_roster, filer, f"bulk-{n}", n) for n in (5, 6, 7)]
    async with serve(console(demo_roster, clock)) as base:
        _context, page = await signed_in_page(browser, demo_roster, base)
        await page.goto(base + QUEUE)
        for report in (first, third):
            await page.check(f"#report-{report.number} input[name=report]")
        await page.click("#approve-selected")
        await page.wait_for_selector(".notice")
        assert "2" in await page.inner_text(".notice")
        assert await page.locator(f"#report-{second.number}").count() == 1
        assert await page.locator(".review-item").count() == 1
    async with demo_roster.session() as session:
        statuses = [(await session.get(Report, r.id)).status for r in (first, second, third)]
        entries = (await session.execute(select(AuditEntry).where(AuditEntry.action == "report_approved"))).scalars()
        assert sorted(e.target for e in entries) == [first.number, third.number]
    assert statuses == ["approved", "pending", "approved"]
    approvals = sorted(text for text in await told(demo_roster, "chat-41") if "đã được Lê Văn Cán Bộ duyệt" in text)
    assert approvals == [f"✅ Báo cáo {r.number} của bạn đã được Lê Văn Cán Bộ duyệt." for r in (first, third)]
