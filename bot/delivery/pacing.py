"""Pacing one channel's sends: at most its limit in any second as the platform counts it, each chat's minimum
interval, and pauses after a 429.

Platforms count their limit over a sliding second (Telegram: 30 messages a second to different chats) at the
moment a request reaches them. The pacer keeps the last `limit` sends and lets the next one go a second after
the platform counted the send `limit` places back. That moment lies between the request leaving and its
answer coming back; the answer's time less the quickest round trip seen bounds it closely (the way back and
the next request's way there take at least that together). A request held up on the way (a busy host, a
stalled server) so pushes back the send a second later by as much, and no second counts more than the limit.
A send not answered yet is paced from when it left.

Each send's time comes from the send `limit` places back, not from the previous one, so a late wake-up of the
event loop delays that one send only (spacing each send one interval after the previous lost every wake-up's
lateness, and catching up on a schedule put limit + 1 sends inside one second on a busy host). A 429 still
means waiting as told; the margin then widens a step, and narrows again slowly while no 429 comes.
"""

import asyncio
import math
import time
from collections import deque

from bot.channels.base import Channel

SAFETY_S = 0.005  # margin beyond one second at best: timer granularity, a round trip's unequal halves
WIDER, NARROWER, WIDEST = 0.02, 0.005, 0.25  # s added after a 429, taken back per calm spell; the most added
CALM_S = 10.0  # seconds without a 429 before the margin narrows one step
SPREAD = 0.5  # a send never follows the previous one sooner than half the even spacing (catching up after a stall)
JITTER_MARGIN = 0.05  # seconds added to per-chat intervals: requests do not arrive as evenly as they leave
TRIPS = 256  # the quickest round trip is taken over the last 256 to 512 answers (a route may get slower)


class Send:
    """One send's times: when it left here, and the latest the platform can have counted it (once answered)."""

    __slots__ = ("left", "counted")

    def __init__(self, left: float, counted: float | None = None):
        self.left, self.counted = left, counted


class Pacer:
    """Keeps a channel's sends to its limit in any second as the platform counts it, and each chat's interval."""

    def __init__(self, channel: Channel):
        self.channel = channel
        rate = channel.limits.per_second
        self.limit = max(1, math.floor(rate))  # sends per window
        self.span = self.limit / rate  # the platform's window for `limit` sends: one second at a whole rate
        self.safety = SAFETY_S
        self.calm_since = 0.0
        self.quickest, self.quickest_before, self.trips = math.inf, math.inf, 0  # the quickest round trips seen
        self.sent: deque[Send] = deque(maxlen=self.limit)  # the last `limit` sends
        self.chat_ready: dict[str, float] = {}
        self.paused_until = 0.0

    @property
    def window(self) -> float:
        """A send waits this long after the platform counted the one `limit` places back."""
        return self.span + self.safety

    def chat_wait(self, external_id: str) -> float:
        return max(0.0, self.chat_ready.get(external_id, 0.0) - time.monotonic())

    async def take(self, external_id: str) -> Send:
        """Wait until a send may leave (and any pause is over), book it and the chat's next allowed time.

        Pass the returned `Send` to `answered` when the platform answers (or the request fails)."""
        now = time.monotonic()
        start = max(now, self.paused_until)
        if not self.sent or start - self.sent[-1].left >= self.span:
            self._even(start)  # after a quiet second (or a pause), start evenly rather than in a burst
        while (wait := self._earliest() - now) > 0:
            await asyncio.sleep(wait)
            now = time.monotonic()
        if self.safety > SAFETY_S and now - self.calm_since >= CALM_S:
            self.safety, self.calm_since = max(SAFETY_S, self.safety - NARROWER), now
        send = Send(now)
        self.sent.append(send)
        interval = self.channel.chat_interval(external_id)
        self.chat_ready[external_id] = now + (interval + JITTER_MARGIN if interval else 0.0)
        if len(self.chat_ready) > 50_000:
            self._forget_old()
        return send

    def answered(self, send: Send) -> None:
        """The platform answered `send` (or it failed): it was counted at the latest now, less the way back."""
        now = time.monotonic()
        self.quickest, self.trips = min(self.quickest, now - send.left), self.trips + 1
        if self.trips == TRIPS:
            self.quickest_before, self.quickest, self.trips = self.quickest, math.inf, 0
        send.counted = max(send.left, now - min(self.quickest, self.quickest_before))

    def _earliest(self) -> float:
        """When the next send may leave: a window after the send `limit` places back was counted (or left)."""
        last, at = self.sent[-1].left, self.paused_until
        at = max(at, last + SPREAD * self.window / self.limit)
        if len(self.sent) == self.limit:
            oldest = self.sent[0]
            at = max(at, (oldest.left if oldest.counted is None else oldest.counted) + self.window)
        return at

    def _even(self, start: float) -> None:
        """Book past sends evenly spaced over the window before `start`, so the next ones leave evenly spaced."""
        step = self.window / self.limit
        self.sent.clear()
        self.sent.extend(Send(moment, moment) for moment in (start - self.window + n * step
                                                              for n in range(self.limit)))

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def throttled(self, seconds: float) -> None:
        """A 429: wait as told and widen the margin a step (once per pause: the sends in flight meet the same one)."""
        now = time.monotonic()
        if now >= self.paused_until:
            self.safety, self.calm_since = min(WIDEST, self.safety + WIDER), now + seconds
        self.pause(seconds)

    def _forget_old(self) -> None:
        now = time.monotonic()
        self.chat_ready = {k: v for k, v in self.chat_ready.items() if v > now}
