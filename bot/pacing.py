"""Pacing one channel's sends: its overall rate, each chat's minimum interval, and pauses after a 429."""

import asyncio
import time

from bot.channels.base import Channel

# Requests reach the platform with a few ms of jitter; pacing exactly at the limit lets a one-second
# window catch limit+1 of them, and each 429 costs a whole second of sending.
PACE_MARGIN = 0.98
JITTER_MARGIN = 0.05  # seconds added to per-chat intervals: requests do not arrive as evenly as they leave


class Pacer:
    """Spaces sends to a channel's overall rate and keeps each chat's minimum interval."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.interval = 1.0 / (channel.limits.per_second * PACE_MARGIN)
        self.next_slot = 0.0
        self.chat_ready: dict[str, float] = {}
        self.paused_until = 0.0

    def chat_wait(self, external_id: str) -> float:
        return max(0.0, self.chat_ready.get(external_id, 0.0) - time.monotonic())

    async def take(self, external_id: str) -> None:
        """Wait for the next overall slot (and any pause), then book the chat's next allowed time."""
        while True:
            now = time.monotonic()
            wait = max(self.next_slot, self.paused_until) - now
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        # Keep to the schedule rather than to when we woke up, so sleep overshoot does not slow the rate.
        slot = self.next_slot if self.next_slot >= now - self.interval else now
        self.next_slot = slot + self.interval
        interval = self.channel.chat_interval(external_id)
        self.chat_ready[external_id] = now + (interval + JITTER_MARGIN if interval else 0.0)
        if len(self.chat_ready) > 50_000:
            self._forget_old()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def _forget_old(self) -> None:
        now = time.monotonic()
        self.chat_ready = {k: v for k, v in self.chat_ready.items() if v > now}
