"""The 7-day window: a broadcast is held for a member silent for 8 days and delivered when they write,
or goes over another messenger the member has linked."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import Clock
from bot.core.dispatcher import Core
from bot.db.models import ChannelAccount, Delivery, Member, Team
from bot.db.zalo import ZaloOAUser
from bot.delivery.sender import Outbox
from bot.services import broadcast as bc
from handlers import build_router
from handlers.menu import show_menu
from tests.channels.zalo_oa.conftest import make_channel, open_hook
from tests.chat import FakeChannel
from tests.fakes.zalo_oa_api import signed

pytestmark = pytest.mark.real_window
SILENT, BOTH, RECENT = "8000000000000000101", "8000000000000000102", "8000000000000000103"


class RecordingTelegram(FakeChannel):
    def __init__(self):
        super().__init__("telegram")
        self.sent: list[tuple[str, str]] = []

    async def send(self, external_id, message):
        self.sent.append((external_id, message.text))
        return str(len(self.sent))


async def add_member(session, team_id: int, name: str, accounts: dict[str, str], last_oa: datetime) -> None:
    member = Member(full_name=name, team_id=team_id, created_at=last_oa)
    session.add(member)
    await session.flush()
    for channel, external_id in accounts.items():
        session.add(ChannelAccount(member_id=member.id, channel=channel, external_id=external_id, linked_at=last_oa))
    session.add(ZaloOAUser(user_id=accounts["zalo_oa"], last_interaction_at=last_oa, following=True))


async def settle(db, broadcast_id: int) -> dict[str, dict[str, int]]:
    for _ in range(300):
        async with db.session() as session:
            status = await bc.status(session, broadcast_id)
        if status.finished:
            return status.by_channel
        await asyncio.sleep(0.02)
    raise AssertionError(f"broadcast not finished: {status.by_channel}")


async def test_held_outside_the_window_then_delivered_on_next_contact(demo_roster, api):
    db, now = demo_roster, datetime.now(UTC)
    async with db.session() as session:
        team = (await session.execute(select(Team).limit(1))).scalar_one()
        await add_member(session, team.id, "Im Lặng", {"zalo_oa": SILENT}, now - timedelta(days=8))
        await add_member(session, team.id, "Hai Kênh", {"zalo_oa": BOTH, "telegram": "555"}, now - timedelta(days=8))
        await add_member(session, team.id, "Mới Nhắn", {"zalo_oa": RECENT}, now - timedelta(hours=3))
        await session.commit()
    oa, telegram = make_channel(db, api), RecordingTelegram()
    channels = {"zalo_oa": oa, "telegram": telegram}
    outbox = Outbox(db, channels, Clock())
    core = Core(db, build_router(), outbox, channels, Clock(), "vi", show_menu)
    hook, client = await open_hook(oa)
    await oa.stop()
    await oa.start(core.handle)
    await outbox.start()
    try:
        async with db.session() as session:
            sent = await bc.create(session, sender=None, audience=bc.Audience(), text_vi="Họp tổ tối thứ Sáu",
                                   now=now)
            await bc.expand(session, sent, now)
            await session.commit()
        outbox.wake("zalo_oa")
        outbox.wake("telegram")
        by_channel = await settle(db, sent.id)
        assert by_channel["zalo_oa"] == {"held": 1, "rerouted": 1, "sent": 1}
        assert by_channel["telegram"] == {"sent": 1}
        assert telegram.sent == [("555", "Họp tổ tối thứ Sáu")], "linked member gets it once, on Telegram"
        assert [m["text"] for m in api.sent] == ["Họp tổ tối thứ Sáu"], "only the member inside the window"
        assert api.calls_to("/v3.0/oa/message/cs")[0].body["recipient"]["user_id"] == RECENT

        event = {"app_id": "1234567890123456789", "event_name": "user_send_text", "sender": {"id": SILENT},
                 "recipient": {"id": "4318000000000000001"}, "message": {"msg_id": "w1", "text": "chào"},
                 "timestamp": str(int(now.timestamp() * 1000))}
        assert await hook.post(*signed(event)) == 200
        for _ in range(300):
            if len(api.sent) >= 4:
                break
            await asyncio.sleep(0.02)
        texts = [m.get("text") or m["attachment"]["payload"]["text"] for m in api.sent[1:]]
        assert texts[0] == "Bạn có 1 thông báo mới:"
        assert "Họp tổ tối thứ Sáu" in texts
        for _ in range(100):  # outcomes are recorded in batches every 50 ms
            async with db.session() as session:
                states = (await session.execute(select(Delivery.status).where(
                    Delivery.external_id == SILENT, Delivery.broadcast_id == sent.id))).scalars().all()
            if states == ["sent"]:
                break
            await asyncio.sleep(0.02)
        assert states == ["sent"]
    finally:
        await outbox.stop()
        await oa.stop()
        await client.close()
