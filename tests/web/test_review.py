"""The review queue over HTTP: signed-out and out-of-scope people get no photo, forms need their CSRF token,
a forged report number in a bulk decision changes nothing."""

from sqlalchemy import select

from bot.db.console import AuditEntry
from bot.db.reports import Report
from tests.report_images import photo
from tests.web.conftest import OTHER_COMMUNE, csrf_of, sign_in
from tests.web.test_review_browser import QUEUE, file, member


async def test_photos_need_a_signed_in_person_whose_scope_holds_the_report(client, demo_roster, people):
    mine = await file(demo_roster, await member(demo_roster, "21409-01", "Một", "+84905000051", "chat-51"), "m", 3,
                      [photo(91)])
    theirs = await file(demo_roster, await member(demo_roster, OTHER_COMMUNE, "Hai", "+84905000052", "chat-52"),
                        "t", 4, [photo(92)])
    signed_out = await client.get(f"/admin/photos/{mine.number}/1", allow_redirects=False)
    assert signed_out.status == 303 and "/admin/signin" in signed_out.headers["Location"]
    await sign_in(client, demo_roster, *people["officer"])
    thumb = await client.get(f"/admin/photos/{mine.number}/1/thumb")
    assert thumb.status == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    assert thumb.headers["Cache-Control"] == "private, max-age=3600"
    assert (await client.get(f"/admin/photos/{theirs.number}/1")).status == 403
    for path in (f"/admin/photos/{mine.number}/2", f"/admin/photos/{mine.number}/1/match", "/admin/photos/x/1",
                 f"/admin/photos/{mine.number}/1/other", "/admin/photos/BC-999999/1"):
        assert (await client.get(path)).status == 404, path


async def test_decisions_need_the_token_a_reason_and_the_scope(client, demo_roster, people):
    ours = await file(demo_roster, await member(demo_roster, "21409-01", "Ba", "+84905000053", "chat-53"), "o", 3)
    other = await file(demo_roster, await member(demo_roster, OTHER_COMMUNE, "Bốn", "+84905000054", "chat-54"),
                       "x", 4)
    await sign_in(client, demo_roster, *people["officer"])
    assert (await client.post(QUEUE, data={"approve": str(ours.id)})).status == 403  # no CSRF token
    token = await csrf_of(client, QUEUE)
    refused = await client.post(QUEUE, data={"csrf_token": token, "return": str(ours.id)})
    assert refused.status == 400 and "Hãy nhập lý do trả lại" in await refused.text()
    nothing = await client.post(QUEUE, data={"csrf_token": token, "approve": "selected"})
    assert nothing.status == 400 and "Hãy chọn ít nhất một báo cáo" in await nothing.text()
    done = await client.post(QUEUE, data=[("csrf_token", token), ("approve", "selected"),
                                          ("report", str(ours.id)), ("report", str(other.id))])
    page = await done.text()
    assert "Đã duyệt 1 báo cáo." in page and "1 báo cáo đã được quyết định trước đó" in page
    async with demo_roster.session() as session:
        assert [(await session.get(Report, r.id)).status for r in (ours, other)] == ["approved", "pending"]
        targets = (await session.execute(select(AuditEntry.target).where(AuditEntry.action == "report_approved")))
        assert list(targets.scalars()) == [ours.number]
