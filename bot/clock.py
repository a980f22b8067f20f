"""One injectable clock for every time computation, so tests move time instead of sleeping."""

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Quảng Ngãi's time (UTC+7, no daylight saving): what members see and schedules run on.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    """Real time, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock(Clock):
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
