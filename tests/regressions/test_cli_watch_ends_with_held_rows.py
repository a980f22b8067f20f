"""`broadcast send` watched its rows until each was sent, failed or unreachable; a Zalo OA row held for a member
outside the 7-day window waits for that member to write, maybe for ever, so the command never ended."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import update

from bot.cli.broadcast import _watch
from bot.db.models import Delivery
from bot.services import broadcast as bc
from tests.fakes.members import add_members

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


async def test_watching_ends_when_only_held_rows_are_left(demo_roster):
    db = demo_roster
    await add_members(db, 4, under="533", channel="zalo_oa")
    async with db.session() as session:
        broadcast = await bc.create(session, sender=None, audience=bc.Audience(units=["533"]), text_vi="Họp tổ",
                                    now=NOW)
        await bc.expand(session, broadcast, NOW)
        await session.execute(update(Delivery).where(Delivery.id % 2 == 0).values(status="held"))
        await session.execute(update(Delivery).where(Delivery.id % 2 == 1).values(status="sent"))
        await session.commit()
    await asyncio.wait_for(_watch(db, broadcast.id, {"zalo_oa": None}), timeout=5)
