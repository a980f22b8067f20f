"""Pacing one channel's sends: its overall rate, each chat's minimum interval, and pauses after a 429.

A 429 means the platform counted more in one second than we sent in one: requests left evenly but
arrived bunched (network or a busy host). Each costs a whole second of sending, so after one the
pacer also slows down a little, and speeds up again slowly while no 429 comes.
"""

import asyncio
import time

from bot.channels.base import Channel

# Requests reach the platform with a few ms of jitter; pacing exactly at the limit lets a one-second
# window catch limit+1 of them, and each 429 costs a whole second of sending.
PACE_MARGIN = 0.98
SLOWER, FASTER, SLOWEST = 0.03, 0.005, 0.8  # margin taken off after a 429, given back per calm spell; floor
CALM_S = 10.0  # seconds without a 429 before the pace goes back up one step
JITTER_MARGIN = 0.05  # seconds added to per-chat intervals: requests do not arrive as evenly as they leave


class Pacer:
    """Spaces sends to a channel's overall rate and keeps each chat's minimum interval."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.margin = PACE_MARGIN
        self.interval = 1.0 / (channel.limits.per_second * self.margin)
        self.calm_since = 0.0
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
        if self.margin < PACE_MARGIN and now - self.calm_since >= CALM_S:
            self._set_margin(self.margin + FASTER, now)
        # Keep to the schedule rather than to when we woke up, so sleep overshoot does not slow the rate.
        slot = self.next_slot if self.next_slot >= now - self.interval else now
        self.next_slot = slot + self.interval
        interval = self.channel.chat_interval(external_id)
        self.chat_ready[external_id] = now + (interval + JITTER_MARGIN if interval else 0.0)
        if len(self.chat_ready) > 50_000:
            self._forget_old()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def throttled(self, seconds: float) -> None:
        """A 429: wait as told and pace a step slower (once per pause: the sends in flight meet the same one)."""
        now = time.monotonic()
        if now >= self.paused_until:
            self._set_margin(self.margin - SLOWER, now + seconds)
        self.pause(seconds)

    def _set_margin(self, margin: float, calm_since: float) -> None:
        self.margin = min(PACE_MARGIN, max(SLOWEST, margin))
        self.interval = 1.0 / (self.channel.limits.per_second * self.margin)
        self.calm_since = calm_since

    def _forget_old(self) -> None:
        now = time.monotonic()
        self.chat_ready = {k: v for k, v in self.chat_ready.items() if v > now}
