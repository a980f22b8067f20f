"""Issue 19 item 6: one huge message blocked everyone (a 10 MB text held the event loop for seconds).

Texts longer than `MAX_TEXT` are refused at the door with a reply in the member's language; a text at the limit
is handled in every state without holding the loop (the guide search no longer scores every word of a paste).
"""

import asyncio
import time
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from bot.core.messages import MAX_TEXT
from bot.db.models import Conversation, Delivery
from handlers.guides import warm
from tests.chat import Harness
from tests.handlers.test_report import join, to_count

LIMIT_S = 0.1  # no single inbound message may delay others by more than this
HUGE = "Xin chào, tôi muốn hỏi về dịch vụ công. " * 250_000  # 10 MB


@pytest.fixture
async def harness(demo_roster):
    warm()  # as the app does in a thread at start: the guides are read and indexed once per process
    return Harness(demo_roster)


@asynccontextmanager
async def loop_watch(stalls: list[float]):
    """Measure, while the block runs, the longest time the event loop could not run another task."""

    async def tick():
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            stalls.append(now - last - 0.005)
            last = now

    task = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    try:
        yield
    finally:
        task.cancel()


async def _longest_stall(harness, chat, text: str, **kw) -> float:
    """Send `text` from `chat` while another member writes; the loop's longest stall meanwhile."""
    other, stalls = harness.chat("bystander"), []
    async with loop_watch(stalls):
        await asyncio.gather(chat.send(text, **kw), other.send("menu"))
    assert other.last, "the other member got no answer"
    return max(stalls)


async def test_a_ten_megabyte_text_is_refused_at_the_door_and_blocks_nobody(harness):
    member = await join(harness, "big-en", "Người Gửi Dài")  # reads English
    await to_count(member)
    stall = await _longest_stall(harness, member, HUGE)
    assert stall < LIMIT_S, f"the event loop stalled {stall:.3f} s"
    assert member.text == "Your message is too long for me to read. Please send at most 4,000 characters at a time."
    async with harness.db.session() as session:
        state = (await session.execute(select(Conversation.state).where(
            Conversation.external_id == "big-en"))).scalar_one()
        largest = max(len(str(p)) for p in (await session.execute(select(Delivery.payload))).scalars())
    assert state == "report.count" and largest < 10_000  # the flow is kept; nothing of the text stored or echoed
    await member.send("12")  # the step it was in still works
    assert "photos of the activity" in member.text


async def test_a_stranger_is_refused_in_vietnamese(harness):
    stranger = harness.chat("big-new")
    await stranger.send("A" * (MAX_TEXT + 1))
    assert stranger.text == "Tin nhắn của bạn quá dài. Vui lòng gửi mỗi lần không quá 4.000 ký tự."


async def test_a_forged_huge_button_payload_is_refused(harness):
    stranger = harness.chat("big-payload")
    stall = await _longest_stall(harness, stranger, None, payload="guide:" + ":" * 10_000)
    assert stall < LIMIT_S and "4.000" in stranger.text


@pytest.mark.parametrize("where", ["menu", "guides", "registering"])
async def test_a_text_at_the_limit_is_handled_without_holding_the_loop(harness, where):
    words = " ".join(f"tu{n}khac dichvu{n} vneid{n}" for n in range(400))[:MAX_TEXT]
    if where == "registering":
        chat = harness.chat("limit-new")
    else:
        chat = await join(harness, f"limit-{where}", "Người Dán Văn Bản")
        if where == "guides":
            await chat.send(payload="menu:guides")
    stall = await _longest_stall(harness, chat, words)
    assert stall < LIMIT_S, f"the event loop stalled {stall:.3f} s handling {MAX_TEXT} characters ({where})"
    assert chat.text and "too long" not in chat.text
