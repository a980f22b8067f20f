"""The fake Telegram Bot API in its own process, so it does not share an event loop with the sender.

`python -m tests.fakes.telegram_server [--limit N] [--chat-interval S]` prints its URL on the first
line and serves until stdin closes. Extra methods for the benchmark (same token):
`getStats` (deliveries per chat and text, 429s, first/last delivery time, the most deliveries in
any one-second window), `resetStats`,
`setLimit` (`limit_per_s`, 0 = off).
"""

import argparse
import asyncio
import sys

from tests.fakes.telegram_api import FakeTelegramAPI


def busiest_second(times: list[float]) -> int:
    """The most deliveries in any one-second window (a sliding window, as the limit is counted)."""
    times, most, first = sorted(times), 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


class BenchTelegramAPI(FakeTelegramAPI):
    """The fake with remote controls; it forgets call records, which a long benchmark does not need."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self._handlers |= {"getstats": self._stats, "resetstats": self._reset, "setlimit": self._set_limit}

    async def _stats(self, params: dict) -> dict:
        self.calls.clear()
        times = [t for _, _, t in self.sent]
        return {"delivered": [[chat, text, n] for (chat, text), n in self.delivered.items()],
                "throttled": self.throttled, "first": min(times, default=0.0), "last": max(times, default=0.0),
                "busiest_second": busiest_second(times)}

    async def _reset(self, params: dict) -> bool:
        self.calls.clear()
        self.sent.clear()
        self.delivered.clear()
        self.throttled = 0
        self._window.clear()
        self._last_to_chat.clear()
        return True

    async def _set_limit(self, params: dict) -> bool:
        self.limit_per_s = int(params.get("limit_per_s") or 0) or None
        self._window.clear()
        return True


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--chat-interval", type=float, default=1.0)
    args = parser.parse_args()
    api = BenchTelegramAPI(limit_per_s=args.limit or None, chat_interval=args.chat_interval)
    await api.start()
    print(api.url, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin or dies
    await api.close()


if __name__ == "__main__":
    asyncio.run(main())
