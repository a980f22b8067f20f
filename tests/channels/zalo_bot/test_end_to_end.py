"""A member registers with an invite code on the Zalo bot, then files a report with a photo.

Long polling, the real core, the outbox, the fake API (which also serves the photo URL). The Bot Platform
has no buttons: the member reads the numbered options and types a number. The fake behaves like the live
platform: the photo arrives as `photo_url`, and every message the bot sends comes back as an update.
"""

import asyncio
import io
import re
import time
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import select

from bot.channels.zalo_bot import ZaloBotChannel
from bot.clock import Clock
from bot.core.dispatcher import Core
from bot.db.models import ChannelAccount, Conversation, Delivery, Member
from bot.delivery.sender import Outbox
from bot.i18n import Translator
from bot.services.report_types import load_report_types
from handlers import build_router
from handlers.menu import show_menu
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.handlers.test_register import invite
from tests.report_images import assert_filed_with_one_photo

CHAT = "b1b2c3d4e5f6a7b8c9d9"
TIMEOUT = 5.0  # seconds to wait for the bot's answer; the fake answers in milliseconds
VI = Translator("vi")


def message(n: int, **fields) -> dict:
    return {"message_id": f"e2e{n:04d}", "date": 1760000000000 + n * 1000,
            "chat": {"id": CHAT, "chat_type": "PRIVATE"}, "from": {"id": CHAT, "display_name": "Bình", "is_bot": False},
            **fields}


def update(n: int, text: str) -> dict:
    return {"event_name": "message.text.received", "message": message(n, text=text)}


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size)
    image.putdata([(x * 4, y * 5, (x + y) * 2) for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def number_shown(text: str, label: str) -> str:
    """The number the member reads in front of an option ("3. Hôm nay")."""
    found = re.search(rf"^(\d+)\. {re.escape(label)}$", text, re.M)
    assert found, f"no numbered option {label!r} in:\n{text}"
    return found[1]


@pytest.fixture
async def api():
    async with FakeZaloBot() as fake:
        yield fake


async def test_member_registers_and_files_a_report_with_a_photo_through_the_bot(demo_roster, api, tmp_path):
    db = demo_roster
    media = tmp_path / "media"
    api.echo = True  # the bot's own replies come back as updates; they must not reach the core
    channel = ZaloBotChannel(api.token, api.url)
    channel.poll_timeout = 0.2
    channel.limits = replace(channel.limits, chat_interval=0.0)  # no 0.5 s pause between replies: a fast test
    outbox = Outbox(db, {"zalo_bot": channel}, Clock())
    core = Core(db, build_router(), outbox, {"zalo_bot": channel}, Clock(), "vi", show_menu, media_dir=media)
    await outbox.start()
    await channel.start(core.handle)
    numbers = iter(range(1, 100))

    async def push(body: dict, expect: str | None = None) -> str:
        """Queue one update; the text sent back once it contains `expect` (any reply when None)."""
        before = len(api.calls_to("sendMessage"))
        api.push_update(body)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            text = "\n".join(c.params["text"] for c in api.calls_to("sendMessage")[before:])
            if text and (expect is None or expect in text) and await recorded():
                return text
        raise AssertionError(f"no reply{f' with {expect!r}' if expect else ''}: {text!r}")

    async def recorded() -> bool:
        """Whether the outbox has written every delivery outcome, and with it the numbered options shown.

        A member reads before answering. A number typed within the outbox's ~50 ms flush can meet the
        previous message's options, which `remember_options` may still write over the core's newer ones.
        """
        async with db.session() as session:
            statuses = (await session.execute(select(Delivery.status).where(Delivery.external_id == CHAT))).scalars()
            return all(status == "sent" for status in statuses)

    async def say(text: str, expect: str | None = None) -> str:
        return await push(update(next(numbers), text), expect)

    async def number_for(payload: str) -> str:
        async with db.session() as session:
            conv = (await session.execute(select(Conversation).where(Conversation.external_id == CHAT))).scalar_one()
        return next(number for number, choice in conv.data["_options"].items() if choice == payload)

    try:
        await say(await invite(db, "21409-03"))  # the bot asks for the name
        shown = await say("Trần Thị Bình", VI.t("Skip"))
        skip = await number_for("register:skip_phone")
        assert skip == number_shown(shown, VI.t("Skip"))  # the buttons became numbered lines
        shown = await say(skip, VI.t("✅ Confirm"))
        shown = await say(number_shown(shown, VI.t("✅ Confirm")), VI.t("📝 Send a report"))
        async with db.session() as session:
            member = (await session.execute(select(Member))).scalar_one()
            account = (await session.execute(select(ChannelAccount))).scalar_one()
        assert member.full_name == "Trần Thị Bình"
        assert (account.channel, account.external_id) == ("zalo_bot", CHAT)

        # The same member files a report, typing the numbers shown.
        students = load_report_types()["students"]
        shown = await say(number_shown(shown, VI.t("📝 Send a report")), students.name_in("vi"))
        shown = await say(number_shown(shown, students.name_in("vi")), VI.t("Today"))
        await say(number_shown(shown, VI.t("Today")), students.counts[0].label_in("vi"))
        await say("12", VI.t("🚫 No photo"))  # typed digits are the count here, not an option
        api.photos["lop-hoc.jpg"] = jpeg()
        photo = api.image_update(f"e2e{next(numbers):04d}", CHAT, f"{api.url}/photos/lop-hoc.jpg")
        shown = await push(photo, VI.t("✅ Done"))
        shown = await say(number_shown(shown, VI.t("✅ Done")), VI.t("⏭️ Skip"))
        summary = await say(number_shown(shown, VI.t("⏭️ Skip")), VI.t("📤 Send"))
        assert students.name_in("vi") in summary and f"{students.counts[0].label_in('vi')}: 12" in summary
        receipt = await say(number_shown(summary, VI.t("📤 Send")), "BC-")

        await assert_filed_with_one_photo(db, media, receipt, member.id)
        assert len(api.echoes) == len(api.calls_to("sendMessage"))  # every reply was echoed, none answered
    finally:
        await channel.stop()
        await outbox.stop()
