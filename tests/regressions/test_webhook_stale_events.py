"""Issue 19, item 8: signed but stale Zalo OA events are refused, and stored events do not pile up forever.

Before: an event correctly signed but stamped long ago (or ahead of the clock) was processed, and every
event ever received stayed in `zalo_event`.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.channels.zalo_oa import ZaloOAChannel
from bot.clock import FakeClock
from bot.db.zalo import ZaloEvent
from tests.channels.webhook_harness import ZALO_OA, running, zalo_oa_text
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, signed

HOUR_MS = 3_600_000


@pytest.mark.parametrize(("age_ms", "why"), [
    (13 * HOUR_MS, "replay window"), (400 * 24 * HOUR_MS, "replay window"), (-HOUR_MS, "ahead of this server's clock"),
], ids=["13 hours old", "a year old", "an hour ahead"])
async def test_a_signed_event_outside_the_window_is_dropped_with_one_line(tmp_path, caplog, age_ms, why):
    caplog.set_level(logging.INFO)
    async with running(tmp_path) as bot:
        before = await bot.processed()
        stale = zalo_oa_text(at_ms=int(time.time() * 1000) - age_ms)
        assert await bot.post(ZALO_OA, *signed(stale)) == 200  # Zalo would re-deliver a refusal for hours
        assert await bot.processed() == before
        fresh = zalo_oa_text(at_ms=int(time.time() * 1000) - 11 * HOUR_MS)  # a late re-delivery, still inside
        assert await bot.post(ZALO_OA, *signed(fresh)) == 200
        assert (await bot.processed())["zalo_event"] == before["zalo_event"] + 1
    (line,) = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert why in line and OA_SECRET_KEY not in line and APP_SECRET not in line


async def test_processed_events_past_the_window_are_pruned_at_start(db):
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    rows = {  # event key: (received, processed)
        "old-done": (now - timedelta(days=2), now - timedelta(days=2)),
        "old-waiting": (now - timedelta(days=2), None),  # never processed: kept for the next start
        "recent-done": (now - timedelta(hours=3), now - timedelta(hours=3)),  # a replay could still be in window
    }
    async with db.session() as session:
        for key, (received, processed) in rows.items():
            session.add(ZaloEvent(event_key=key, body=zalo_oa_text(), received_at=received, processed_at=processed))
        await session.commit()
    channel = ZaloOAChannel(db, APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, api_url="http://127.0.0.1:9",
                            oauth_url="http://127.0.0.1:9", access_token="a", refresh_token="r", clock=FakeClock(now))

    async def sink(inbound) -> None:  # the core is down: the waiting event stays unprocessed
        raise RuntimeError("core down")

    await channel.start(sink)
    try:
        for _ in range(100):
            async with db.session() as session:
                left = set((await session.execute(select(ZaloEvent.event_key))).scalars())
            if "old-done" not in left:
                break
            await asyncio.sleep(0.01)
    finally:
        await channel.stop()
    assert left == {"old-waiting", "recent-done"}
