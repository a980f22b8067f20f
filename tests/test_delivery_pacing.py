"""The pacer: sends leave evenly, and one the platform counted late pushes back the send a second later."""

import pytest

from bot.channels.base import Channel, Limits
from bot.delivery import pacing
from bot.delivery.pacing import SAFETY_S, Pacer


class Telegram(Channel):
    code = "tg"
    limits = Limits(per_second=10)


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """A clock that moves only when the pacer sleeps (or the test moves it); [now]."""
    now = [100.0]

    async def sleep(seconds: float) -> None:
        now[0] += max(0.0, seconds)

    monkeypatch.setattr(pacing.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(pacing.asyncio, "sleep", sleep)
    return now


async def _send(pacer: Pacer, clock: list[float], n: int, trip: float = 0.001) -> float:
    """One send answered after `trip` seconds; when it left."""
    send = await pacer.take(f"chat{n}")
    left = clock[0]
    clock[0] += trip
    pacer.answered(send)
    return left


async def test_sends_leave_evenly_from_the_first_one(clock):
    pacer = Pacer(Telegram())
    left = [await _send(pacer, clock, n) for n in range(25)]
    gaps = [b - a for a, b in zip(left, left[1:], strict=False)]
    assert left[0] == 100.0 and max(gaps) == pytest.approx(min(gaps), abs=0.002)  # no burst at the start
    assert (len(left) - 1) / (left[-1] - left[0]) >= 0.98 * 10


async def test_a_send_counted_late_pushes_back_the_send_a_second_later(clock):
    pacer = Pacer(Telegram())
    left = [await _send(pacer, clock, n) for n in range(10)]
    stalled = await _send(pacer, clock, 10, trip=0.040)  # the platform stalled: this one was counted up to 40 ms late
    left += [stalled] + [await _send(pacer, clock, n) for n in range(11, 21)]
    assert left[20] - left[10] >= 1.0 + 0.039  # ten sends later: a second after the latest it can have been counted
    assert left[19] - left[9] == pytest.approx(1.0 + SAFETY_S, abs=0.002)  # the others keep their pace
