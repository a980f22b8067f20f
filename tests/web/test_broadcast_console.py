"""The broadcast pages over HTTP: an officer composes to their commune, a forged audience outside their scope is
refused and creates nothing, steering is audited, follow-up lists keep to the scope, CSV is defused, and
"send again" reaches only those who received nothing."""

import csv
import io
import re
from html import unescape
from pathlib import Path

import aiohttp
from PIL import Image
from sqlalchemy import func, select, update

from bot.db.broadcasts import Broadcast, BroadcastAck
from bot.db.console import AuditEntry
from bot.db.models import ChannelAccount, Delivery
from bot.db.schedules import Schedule
from bot.delivery.states import State
from tests.web.conftest import COMMUNE, OTHER_COMMUNE, START, add_member, csrf_of, sign_in
from tests.web.test_languages import raw_in, texts_of

NEW = "/admin/broadcasts/new"


async def count_of(db, model) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def actions(db) -> list[str]:
    async with db.session() as session:
        return list((await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())


async def send(client, data: dict) -> tuple[int, str]:
    """POST the composer's final step as the page would (with the page's CSRF token)."""
    token = await csrf_of(client, NEW)
    response = await client.post("/admin/broadcasts", data={"csrf_token": token, **data}, allow_redirects=False)
    return response.status, response.headers.get("Location", "")


async def test_an_officer_composes_to_their_commune_and_cannot_reach_another(client, demo_roster, people):
    await add_member(demo_roster, OTHER_COMMUNE + "-01", "Phạm Văn Xa", "+84905333444", "chat-xa")
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get(NEW)).text()
    assert f'value="{COMMUNE}"' in page and f'value="{OTHER_COMMUNE}"' not in page
    count = await (await client.get(f"/admin/broadcasts/count?unit={COMMUNE}&channel=web")).text()
    assert re.search(r'id="count-members">2<', count), count  # the two people of the fixture's commune
    assert (await client.get(f"/admin/broadcasts/count?unit={OTHER_COMMUNE}")).status == 403

    status, _ = await send(client, {"text_vi": "Họp lúc 8 giờ", "unit": OTHER_COMMUNE})
    assert status == 403
    assert await count_of(demo_roster, Broadcast) == 0
    async with demo_roster.session() as session:
        assert await session.scalar(select(func.count()).where(Delivery.broadcast_id.is_not(None))) == 0

    status, location = await send(client, {"text_vi": "Họp lúc 8 giờ", "unit": COMMUNE, "when": "now"})
    assert status == 303 and re.fullmatch(r"/admin/broadcasts/\d+", location)
    async with demo_roster.session() as session:
        chats = set((await session.execute(select(Delivery.external_id).where(
            Delivery.broadcast_id.is_not(None)))).scalars())
    assert chats == {"chat-admin-0001", "chat-officer-0002"}
    assert "broadcast_created" in await actions(demo_roster)
    assert "Họp lúc 8 giờ" in await (await client.get(location)).text()


async def test_an_empty_text_or_a_bad_photo_is_a_clear_message(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    status, _ = await send(client, {"text_vi": "  ", "unit": COMMUNE})
    assert status == 400
    token = await csrf_of(client, NEW)
    form = {"csrf_token": token, "text_vi": "Ảnh", "unit": COMMUNE}
    data = aiohttp.FormData(form)
    data.add_field("upload", b"not an image", filename="x.jpg", content_type="image/jpeg")
    response = await client.post("/admin/broadcasts/confirm", data=data)
    assert response.status == 400 and "JPEG" in await response.text()
    assert await count_of(demo_roster, Broadcast) == 0


async def test_steering_follow_ups_csv_and_sending_again(any_db, client, demo_roster, people):
    binh = await add_member(demo_roster, COMMUNE + "-02", "=Bình", "+84905111222", "chat-binh")
    xa = await add_member(demo_roster, OTHER_COMMUNE + "-01", "Phạm Văn Xa", "+84905333444", "chat-xa")
    await sign_in(client, demo_roster, *people["admin"])
    _, location = await send(client, {"text_vi": "Báo cáo", "ack": "1", "when": "now"})
    bid = int(location.rsplit("/", 1)[1])
    token = await csrf_of(client, location)
    for action in ("pause", "resume"):
        response = await client.post(f"{location}/{action}", data={"csrf_token": token}, allow_redirects=False)
        assert response.status == 303
    assert {"broadcast_paused", "broadcast_resumed"} <= set(await actions(demo_roster))
    async with demo_roster.session() as session:  # as if sent: everyone got it but Bình, whose chat is gone
        await session.execute(update(Delivery).where(Delivery.broadcast_id == bid).values(status=State.SENT))
        await session.execute(update(Delivery).where(Delivery.broadcast_id == bid, Delivery.member_id == xa)
                              .values(status=State.PAUSED))  # … and Xa, whose message still waits
        await session.execute(update(Delivery).where(Delivery.broadcast_id == bid, Delivery.member_id == binh)
                              .values(status=State.UNREACHABLE, error="blocked"))
        session.add(BroadcastAck(broadcast_id=bid, member_id=binh, answer="help", at=START))
        await session.commit()
    helped = await (await client.get(f"{location}/followups/help")).text()
    assert "+84905111222" in helped
    gone = await (await client.get(f"{location}/followups/unreachable.csv")).text()
    rows = list(csv.reader(io.StringIO(gone.lstrip("\ufeff"))))
    assert rows[1][0] == "'=Bình" and rows[1][3] == "+84905111222"
    assert "export_downloaded" in await actions(demo_roster)
    silent = await (await client.get(f"{location}/followups/silent")).text()
    assert "Trần Thị Admin" in silent and "=Bình" not in silent and "Phạm Văn Xa" not in silent

    response = await client.post(f"{location}/resend", data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 303
    again = int(response.headers["Location"].rsplit("/", 1)[1])
    async with demo_roster.session() as session:
        members = list((await session.execute(select(Delivery.member_id).where(Delivery.broadcast_id == again)))
                       .scalars())
    assert members == [binh]  # only the one who received nothing: not those who did, nor Xa (still on its way)


async def test_an_officer_neither_sees_nor_steers_a_province_broadcast(client, demo_roster, people):
    await add_member(demo_roster, OTHER_COMMUNE + "-01", "Phạm Văn Xa", "+84905333444", "chat-xa")
    await sign_in(client, demo_roster, *people["admin"])
    _, province = await send(client, {"text_vi": "Toàn tỉnh", "when": "now"})
    _, commune = await send(client, {"text_vi": "Riêng xã", "unit": COMMUNE, "when": "now"})
    await client.post("/admin/signout", data={"csrf_token": await csrf_of(client, "/admin/")})
    await sign_in(client, demo_roster, *people["officer"])
    listing = await (await client.get("/admin/broadcasts")).text()
    assert "Riêng xã" in listing and "Toàn tỉnh" not in listing
    for path in (province, f"{province}/followups/help", f"{province}/followups/unreachable.csv",
                 f"{province}/events"):
        assert (await client.get(path)).status == 403, path
    token = await csrf_of(client, commune)
    for action in ("pause", "cancel", "resend"):
        assert (await client.post(f"{province}/{action}", data={"csrf_token": token})).status == 403
    assert (await client.get(commune)).status == 200
    filtered = await (await client.get("/admin/broadcasts?state=cancelled")).text()
    assert "Riêng xã" not in filtered


async def test_a_photo_zalo_window_and_a_schedule(client, demo_roster, people, tmp_path):
    member = await add_member(demo_roster, COMMUNE + "-02", "Nguyễn Thị Bình", "+84905111222", "chat-binh-0001")
    async with demo_roster.session() as session:  # also on the Zalo OA, but silent for more than 7 days
        session.add(ChannelAccount(member_id=member, channel="zalo_oa", external_id="oa-user-1", linked_at=START))
        await session.commit()
    await sign_in(client, demo_roster, *people["officer"])
    count = await (await client.get(f"/admin/broadcasts/count?unit={COMMUNE}")).text()
    assert re.search(r'data-channel="zalo_oa".*?1 bị giữ hoặc chuyển kênh', count, re.S), count

    image = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(image, "PNG")
    data = aiohttp.FormData({"csrf_token": await csrf_of(client, NEW), "text_vi": "Có ảnh", "unit": COMMUNE,
                             "when": "later", "day": "2026-11-26", "at": "08:00", "every": "weekly"})
    data.add_field("upload", image.getvalue(), filename="a.png", content_type="image/png")
    confirm = await (await client.post("/admin/broadcasts/confirm", data=data)).text()
    assert "Kèm ảnh." in confirm and "Hằng tuần vào thứ đó" in confirm
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm))
    response = await client.post("/admin/broadcasts", data=fields, allow_redirects=False)
    assert response.status == 303 and "scheduled=schedule" in response.headers["Location"]
    async with demo_roster.session() as session:
        [schedule] = (await session.execute(select(Schedule))).scalars()
    assert Path(schedule.template["photo"]).read_bytes() == image.getvalue()
    assert schedule.rule == {"every": "weekly", "time": "08:00", "days": ["thu"]}

    past = {**fields, "day": "2026-11-20", "every": "once"}
    response = await client.post("/admin/broadcasts", data=past)
    assert response.status == 400 and "trong tương lai" in await response.text()


async def test_the_broadcast_pages_are_in_the_persons_language(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    _, location = await send(client, {"text_vi": "Họp", "unit": COMMUNE, "ack": "1", "when": "now"})
    pages = ("/admin/broadcasts", NEW, f"/admin/broadcasts/count?unit={COMMUNE}", location,
             f"{location}/followups/help", f"{location}/followups/unreachable", f"{location}/followups/silent")
    for lang in ("vi", "en"):
        client.session.cookie_jar.update_cookies({"cdsbot_lang": lang})
        for path in pages:
            html = await (await client.get(path)).text()
            assert raw_in([unescape(text) for text in texts_of(html)], lang) == [], (lang, path)
