"""Numbered options shown by a broadcast on a channel without buttons are remembered for the chat,
but never over what the member did after seeing them."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.models import Conversation
from bot.delivery.followups import Shown, remember_options

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def conversation(db, updated_at: datetime) -> None:
    async with db.session() as session:
        session.add(Conversation(channel="zalo_bot", external_id="c1", state="report.ask_count",
                                 data={"_options": {"1": "report:old"}}, updated_at=updated_at))
        await session.commit()


async def options(db) -> dict:
    async with db.session() as session:
        return (await session.execute(select(Conversation.data))).scalar_one()["_options"]


async def test_options_of_a_message_sent_after_the_last_answer_are_remembered(db):
    await conversation(db, T0)
    async with db.session() as session:
        await remember_options(session, [Shown("zalo_bot", "c1", {"1": "ack:7:ok"}, {"da nhan": "ack:7:ok"},
                                               T0 + timedelta(seconds=5))])
        await session.commit()
    assert await options(db) == {"1": "ack:7:ok"}


async def test_a_member_who_already_answered_keeps_the_cores_options(db):
    await conversation(db, T0 + timedelta(seconds=5))  # the member answered after the message went out
    async with db.session() as session:
        await remember_options(session, [Shown("zalo_bot", "c1", {"1": "ack:7:ok"}, {}, T0)])
        await session.commit()
    assert await options(db) == {"1": "report:old"}
