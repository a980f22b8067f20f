"""A member registers with an invite code on the OA, then files a report with a photo.

Signed webhooks in, the real core, the outbox, the fake API (which also serves the member's photo URL).
"""

import asyncio
import io
import re
import time
from dataclasses import replace

from PIL import Image
from sqlalchemy import select

from bot.clock import Clock
from bot.core.dispatcher import Core
from bot.db.models import ChannelAccount, Member
from bot.delivery.sender import Outbox
from bot.services.report_types import load_report_types
from handlers import build_router
from handlers.menu import show_menu
from tests.channels.zalo_oa.conftest import make_channel, open_hook
from tests.fakes.zalo_oa_api import signed
from tests.handlers.test_register import invite
from tests.report_images import assert_filed_with_one_photo

USER = "8000000000000000009"
TIMEOUT = 5.0  # seconds to wait for the bot's answer; the fake answers in milliseconds


def event(n: int, text: str) -> dict:
    return {"app_id": "1234567890123456789", "event_name": "user_send_text", "sender": {"id": USER},
            "recipient": {"id": "4318000000000000001"}, "message": {"msg_id": f"e2e{n:04d}", "text": text},
            "timestamp": str(1760000000000 + n * 1000)}


def image_event(n: int, url: str) -> dict:
    """A photo sent from the Zalo app, as the OA webhook posts it."""
    return {"app_id": "1234567890123456789", "event_name": "user_send_image", "sender": {"id": USER},
            "recipient": {"id": "4318000000000000001"},
            "message": {"msg_id": f"e2e{n:04d}", "attachments": [
                {"type": "image", "payload": {"url": url, "thumbnail": url}}]},
            "timestamp": str(1760000000000 + n * 1000)}


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size)
    image.putdata([(x * 4, y * 5, (x + y) * 2) for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in (m.get("attachment") or {}).get("payload", {}).get(
        "buttons", [])]


def texts(messages: list[dict]) -> str:
    """What the member reads: plain texts and the texts above the buttons."""
    return "\n".join(m.get("text") or (m.get("attachment") or {}).get("payload", {}).get("text", "")
                     for m in messages)


async def test_member_registers_and_files_a_report_with_a_photo_through_the_oa(demo_roster, api, tmp_path):
    db = demo_roster
    media = tmp_path / "media"
    channel = make_channel(db, api)
    channel.limits = replace(channel.limits, chat_interval=0.0)  # no 0.2 s pause between replies: a fast test
    outbox = Outbox(db, {"zalo_oa": channel}, Clock())
    core = Core(db, build_router(), outbox, {"zalo_oa": channel}, Clock(), "vi", show_menu, media_dir=media)
    hook, client = await open_hook(channel)
    await channel.stop()
    await channel.start(core.handle)
    await outbox.start()
    numbers = iter(range(1, 100))

    async def post(body: dict, expect: str | None = None) -> list[dict]:
        """Post one webhook event; the messages sent back once `expect` (a payload or text) shows up."""
        before = len(api.delivered)
        assert await hook.post(*signed(body)) == 200
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            replies = api.sent[before:]
            if replies and (expect is None or expect in payloads(replies) or expect in texts(replies)):
                return replies
        raise AssertionError(f"no reply{f' with {expect!r}' if expect else ''}: {api.sent[before:]}")

    async def say(text: str, expect: str | None = None) -> list[dict]:
        return await post(event(next(numbers), text), expect)

    try:
        await say(await invite(db, "21409-03"))  # the bot asks for the name
        await say("Trần Thị Bình", "#cds:register:skip_phone")
        await say("#cds:register:skip_phone", "#cds:register:confirm")  # a tap on an oa.query.hide button
        assert "#cds:menu:report" in payloads(await say("#cds:register:confirm", "#cds:menu:report"))
        async with db.session() as session:
            member = (await session.execute(select(Member))).scalar_one()
            account = (await session.execute(select(ChannelAccount))).scalar_one()
        assert member.full_name == "Trần Thị Bình"
        assert (account.channel, account.external_id) == ("zalo_oa", USER)

        # The same member files a report. Eight types: five buttons, the rest numbered lines under the text.
        shown = await say("#cds:menu:report", "#cds:report:type:public_services")
        assert len(payloads(shown)) == 5
        students = load_report_types()["students"].name_in("vi")
        number = re.search(rf"^(\d+)\. {re.escape(students)}$", texts(shown), re.M)
        assert number and int(number[1]) > 5, texts(shown)
        await say(number[1], "#cds:report:date:today")  # typing the number picks the type
        await say("#cds:report:date:today", load_report_types()["students"].counts[0].label_in("vi"))
        assert "#cds:report:no_photo" in payloads(await say("12", "#cds:report:no_photo"))
        api.photos["lop-hoc.jpg"] = jpeg()
        replies = await post(image_event(next(numbers), f"{api.url}/photos/lop-hoc.jpg"), "#cds:report:photos_done")
        assert "#cds:report:no_photo" not in payloads(replies)
        await say("#cds:report:photos_done", "#cds:report:skip_note")
        summary = await say("#cds:report:skip_note", "#cds:report:send")
        assert students in texts(summary) and "12" in texts(summary)
        receipt = texts(await say("#cds:report:send", "BC-"))

        await assert_filed_with_one_photo(db, media, receipt, member.id)
    finally:
        await outbox.stop()
        await channel.stop()
        await client.close()
