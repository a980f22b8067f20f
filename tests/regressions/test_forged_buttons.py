"""Issue 19 item 7: button presses are honoured only for what was shown to that member.

An "answer" to a broadcast the member never received was recorded and quoted its text to their leader (so
sequential ids let anyone harvest every broadcast); a forged unit button reached the officer's preview.
"""

import pytest
from sqlalchemy import select

from bot.db.broadcasts import BroadcastAck
from bot.db.models import Delivery
from bot.services import broadcast as bc
from tests.chat import Harness
from tests.fakes.members import add_members
from tests.handlers.test_broadcast_flow import officer_chat
from tests.handlers.test_report import join

DUC_NHUAN, LY_SON = "21409", "530"
SECRET_TEXT = "Họp kín ban chỉ đạo huyện Lý Sơn lúc 14 giờ, phòng 3."


@pytest.fixture
async def harness(demo_roster):
    await add_members(demo_roster, 4, channel="fake", first_external=30_000_000, under=LY_SON)
    return Harness(demo_roster)


async def _broadcast(harness, unit: str, text: str, ack: bool = True) -> int:
    """A broadcast to `unit`, expanded into deliveries as the outbox would send them."""
    async with harness.db.session() as session:
        draft = await bc.create(session, sender=None, audience=bc.Audience(units=[unit]), ack=ack, text_vi=text,
                                now=harness.clock.now())
        await bc.expand(session, draft, harness.clock.now())
        await session.commit()
        return draft.id


async def _acks(harness) -> list[tuple[int, str]]:
    async with harness.db.session() as session:
        return [tuple(r) for r in await session.execute(select(BroadcastAck.broadcast_id, BroadcastAck.answer))]


async def test_an_answer_to_a_broadcast_never_received_is_not_recorded_nor_quoted(harness):
    leader = await join(harness, "f-leader", "Trưởng Tổ Thôn Ba", role="leader")
    member = await join(harness, "f-member", "Người Dò Tin")
    elsewhere = await _broadcast(harness, LY_SON, SECRET_TEXT)  # not to the member's commune
    await member.send(payload=f"ack:{elsewhere}:help")
    assert "no longer exists" in member.text and "told" not in member.text
    await leader.replies()
    assert await _acks(harness) == []
    told = "\n".join(m.text for m in await leader.replies())
    assert "Lý Sơn" not in told and "Người Dò Tin" not in told


async def test_an_answer_to_a_received_broadcast_still_counts(harness):
    leader = await join(harness, "g-leader", "Trưởng Tổ Thôn Ba", role="leader")
    member = await join(harness, "g-member", "Người Cần Giúp")
    mine = await _broadcast(harness, DUC_NHUAN, "Cập nhật ứng dụng VNeID trước ngày 10/12.")
    await leader.replies()
    await member.send(payload=f"ack:{mine}:help")
    assert "team leader has been told" in member.text
    assert await _acks(harness) == [(mine, "help")]
    assert any("VNeID" in m.text for m in await leader.replies())


async def test_an_answer_is_refused_when_the_broadcast_asked_for_none(harness):
    member = await join(harness, "h-member", "Người Bấm Nút")
    quiet = await _broadcast(harness, DUC_NHUAN, "Thông báo không cần trả lời.", ack=False)
    await member.send(payload=f"ack:{quiet}:ok")
    assert await _acks(harness) == []


async def test_a_forged_unit_button_never_reaches_the_preview(harness):
    chat = await officer_chat(harness, unit=DUC_NHUAN)
    await chat.send("/broadcast")
    assert f"bc:unit:{LY_SON}" not in chat.payloads
    await chat.send(payload=f"bc:unit:{LY_SON}")  # outside the officer's commune, never offered
    assert "only send to units inside your own area" in chat.text
    assert "Chosen: your whole area" in chat.text
    for _ in range(3):
        await chat.tap("bc:next")
    await chat.send("Họp tổ lúc 8 giờ sáng thứ Hai.")
    await chat.tap("bc:skip_en")
    await chat.tap("bc:ack:no")
    assert "will reach 4 members" not in chat.text
    await chat.tap("bc:send")
    async with harness.db.session() as session:
        reached = (await session.execute(select(Delivery.external_id).where(
            Delivery.broadcast_id.is_not(None)))).scalars().all()
    assert not any(chat_id.startswith("3000000") for chat_id in reached)



@pytest.mark.parametrize("payload", [
    "ack:" + "9" * 40 + ":help", "ack:²:ok", "review:approve:" + "9" * 40, "review:return:²", "report:fix:" + "9" * 40,
    "report:for:²", "guide:vneid-level2:²",
])
async def test_an_absurd_id_in_a_button_gets_an_answer_not_an_error(any_db, harness, caplog, payload):
    member = await join(harness, "i-member", "Người Bấm Bừa")
    await member.send(payload=payload)  # beyond what database integers hold, or a digit `int` cannot read
    assert member.text and "went wrong" not in member.text
    assert not any(record.exc_info for record in caplog.records)
