"""A member registers with an invite code on the Zalo bot: long polling, the real core, numbered options."""

import asyncio

import pytest
from sqlalchemy import select

from bot.channels.zalo_bot import ZaloBotChannel
from bot.clock import Clock
from bot.core.dispatcher import Core
from bot.db.models import ChannelAccount, Conversation, Member
from bot.outbox import Outbox
from handlers import build_router
from handlers.menu import show_menu
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.handlers.test_register import invite

CHAT = "b1b2c3d4e5f6a7b8c9d9"


def update(n: int, text: str) -> dict:
    return {"event_name": "message.text.received", "message": {
        "message_id": f"e2e{n:04d}", "date": 1760000000000 + n * 1000, "text": text,
        "chat": {"id": CHAT, "chat_type": "PRIVATE"}, "from": {"id": CHAT, "display_name": "Bình", "is_bot": False}}}


@pytest.fixture
async def api():
    async with FakeZaloBot() as fake:
        yield fake


async def test_member_registers_through_the_bot(demo_roster, api):
    db = demo_roster
    channel = ZaloBotChannel(api.token, api.url)
    channel.poll_timeout = 0.2
    outbox = Outbox(db, {"zalo_bot": channel}, Clock())
    core = Core(db, build_router(), outbox, {"zalo_bot": channel}, Clock(), "vi", show_menu)
    await outbox.start()
    await channel.start(core.handle)

    async def say(n: int, text: str) -> str:
        before = len(api.calls_to("sendMessage"))
        api.push_update(update(n, text))
        for _ in range(300):
            await asyncio.sleep(0.01)
            if len(api.calls_to("sendMessage")) > before:
                await asyncio.sleep(0.05)
                return "\n".join(c.params["text"] for c in api.calls_to("sendMessage")[before:])
        raise AssertionError("no reply")

    async def number_for(payload: str) -> str:
        async with db.session() as session:
            conv = (await session.execute(select(Conversation).where(Conversation.external_id == CHAT))).scalar_one()
        return next(number for number, choice in conv.data["_options"].items() if choice == payload)

    try:
        await say(1, await invite(db, "21409-03"))
        shown = await say(2, "Trần Thị Bình")
        skip = await number_for("register:skip_phone")
        assert f"{skip}. " in shown  # the buttons became numbered lines
        await say(3, skip)
        await say(4, await number_for("register:confirm"))
        async with db.session() as session:
            member = (await session.execute(select(Member))).scalar_one()
            account = (await session.execute(select(ChannelAccount))).scalar_one()
        assert member.full_name == "Trần Thị Bình"
        assert (account.channel, account.external_id) == ("zalo_bot", CHAT)
    finally:
        await channel.stop()
        await outbox.stop()
