"""A member registers with an invite code on the OA: signed webhooks in, the real core, the outbox, the fake API."""

import asyncio

from sqlalchemy import select

from bot.clock import Clock
from bot.core.dispatcher import Core
from bot.db.models import ChannelAccount, Member
from bot.outbox import Outbox
from handlers import build_router
from handlers.menu import show_menu
from tests.channels.zalo_oa.conftest import make_channel, open_hook
from tests.fakes.zalo_oa_api import signed
from tests.handlers.test_register import invite

USER = "8000000000000000009"


def event(n: int, text: str) -> dict:
    return {"app_id": "1234567890123456789", "event_name": "user_send_text", "sender": {"id": USER},
            "recipient": {"id": "4318000000000000001"}, "message": {"msg_id": f"e2e{n:04d}", "text": text},
            "timestamp": str(1760000000000 + n * 1000)}


async def test_member_registers_through_the_oa(demo_roster, api):
    db = demo_roster
    channel = make_channel(db, api)
    outbox = Outbox(db, {"zalo_oa": channel}, Clock())
    core = Core(db, build_router(), outbox, {"zalo_oa": channel}, Clock(), "vi", show_menu)
    hook, client = await open_hook(channel)
    await channel.stop()
    await channel.start(core.handle)
    await outbox.start()

    async def say(n: int, text: str) -> list[dict]:
        before = len(api.delivered)
        assert await hook.post(*signed(event(n, text))) == 200
        for _ in range(200):
            await asyncio.sleep(0.01)
            if len(api.delivered) > before:
                await asyncio.sleep(0.05)
                return api.sent[before:]
        raise AssertionError("no reply")

    def payloads(messages: list[dict]) -> list[str]:
        return [b["payload"] for m in messages for b in (m.get("attachment") or {}).get("payload", {}).get(
            "buttons", [])]

    try:
        await say(1, await invite(db, "21409-03"))
        assert "#cds:register:skip_phone" in payloads(await say(2, "Trần Thị Bình"))
        replies = await say(3, "#cds:register:skip_phone")  # a tap on an oa.query.hide button
        assert "#cds:register:confirm" in payloads(replies)
        await say(5, "#cds:register:confirm")
        async with db.session() as session:
            member = (await session.execute(select(Member))).scalar_one()
            account = (await session.execute(select(ChannelAccount))).scalar_one()
        assert member.full_name == "Trần Thị Bình"
        assert (account.channel, account.external_id) == ("zalo_oa", USER)
    finally:
        await outbox.stop()
        await channel.stop()
        await client.close()
