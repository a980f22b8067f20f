"""Broadcast benchmark: 7,534 members over the 1,141 demo teams, one broadcast through TelegramChannel + Outbox.

Run from the repository root: `python -m bench.broadcast [--members N] [--limit N]`. The fake
Telegram Bot API runs in a subprocess (tests/fakes/telegram_server.py) so it does not take
event-loop time from the sender. Prints: the 100,000-row expansion time, the limited run (wall
time, achieved rate as a fraction of the enforced limit, 429s, duplicates, missing), then the
same server with the limiter off for cdsbot's outbox and for a plain python-telegram-bot loop
(16 tasks); then one more broadcast, limiter off, sent by a sending process of its own
(tests/sender_process.py) whose peak RSS is what a broadcast costs the process that sends it
(target: at most 150 MB); and this benchmark process's own peak RSS (it also builds the
databases and runs the in-process sends). The last line is one JSON object with the figures.
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import telegram as tg
from sqlalchemy import select
from telegram.request import HTTPXRequest

from bot.channels.base import Limits
from bot.channels.telegram import TelegramChannel
from bot.cli.common import DEMO_ROSTERS, import_files
from bot.db.migrate import upgrade
from bot.db.models import ChannelAccount
from bot.db.session import Database
from bot.delivery.sender import Outbox
from bot.services import broadcast as bc
from tests import sender_process
from tests.fakes.members import NOW, add_members
from tests.fakes.telegram_api import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = 100_000.0  # a channel limit that never paces: measures the sender itself
PTB_TASKS = 16


class FakeServer:
    """The fake Bot API subprocess and its remote controls."""

    def __init__(self, limit: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.telegram_server", "--limit", str(limit)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.url = self.process.stdout.readline().strip()
        self.client = httpx.AsyncClient(base_url=f"{self.url}/bot{DEFAULT_TOKEN}/", timeout=60)

    async def call(self, method: str, **params):
        answer = (await self.client.post(method, json=params)).json()
        return answer["result"]

    async def close(self) -> None:
        await self.client.aclose()
        self.process.stdin.close()
        self.process.wait(timeout=10)


def counted(stats: dict, text: str, chats: set[str]) -> dict:
    """Duplicates and missing deliveries of one text, and the server-side rate."""
    got = {str(chat): n for chat, sent_text, n in stats["delivered"] if sent_text == text}
    return {"duplicates": sum(n - 1 for n in got.values()), "missing": len(chats - set(got)),
            "delivered": sum(got.values()), "span_s": stats["last"] - stats["first"]}


async def populate(path: Path, members: int) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db.engine)
    await import_files(db, DEMO_ROSTERS, show_progress=False)
    await add_members(db, members, en_every=0)
    return db


async def new_broadcast(db: Database, text: str) -> tuple[int, int]:
    async with db.session() as session:
        broadcast = await bc.create(session, sender=None, audience=bc.Audience(), text_vi=text,
                                    now=NOW)
        rows = await bc.expand(session, broadcast, NOW)
        await session.commit()
    return broadcast.id, rows


async def chats(db: Database) -> set[str]:
    async with db.session() as session:
        return set((await session.execute(select(ChannelAccount.external_id))).scalars())


async def send_through_outbox(db: Database, url: str, per_second: float, text: str) -> float:
    """Expand a broadcast and run the outbox until it is done; returns the wall time."""
    broadcast_id, _rows = await new_broadcast(db, text)
    channel = TelegramChannel(DEFAULT_TOKEN, api_url=url)
    channel.limits = Limits(per_second=per_second, chat_interval=1.0, group_interval=3.0)
    await channel.start(_ignore)
    outbox = Outbox(db, {"telegram": channel})
    started = time.monotonic()
    await outbox.start()
    while True:
        await asyncio.sleep(0.2)
        async with db.session() as session:
            if (await bc.status(session, broadcast_id)).finished:
                break
    wall = time.monotonic() - started
    await outbox.stop()
    await channel.stop()
    return wall


async def send_in_process_of_its_own(db: Database, url: str, per_second: int, text: str) -> tuple[float, float]:
    """Expand a broadcast here, send it from a sending process; its wall time and that process's peak RSS (MB)."""
    broadcast_id, _rows = await new_broadcast(db, text)
    started = time.monotonic()
    child = sender_process.start(url, db.url, per_second, None, broadcast_id, stdout=subprocess.PIPE, text=True)
    output, _ = await asyncio.get_running_loop().run_in_executor(None, child.communicate)
    assert child.returncode == 0, "the sending process failed"
    return time.monotonic() - started, sender_process.peak_rss_mb(output)


async def _ignore(_inbound) -> None:
    """The benchmark does not answer members."""


async def ptb_loop(url: str, targets: list[str], text: str) -> float:
    """The baseline: python-telegram-bot's Bot.send_message from 16 tasks, no database; returns msgs/s."""
    bot = tg.Bot(DEFAULT_TOKEN, base_url=f"{url}/bot", request=HTTPXRequest(PTB_TASKS))
    await bot.initialize()
    queue = list(reversed(targets))

    async def worker():
        while queue:
            await bot.send_message(queue.pop(), text)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(PTB_TASKS)))
    rate = len(targets) / (time.monotonic() - started)
    await bot.shutdown()
    return rate


async def expansion_time(folder: Path, rows: int) -> float:
    """Seconds to expand one broadcast into `rows` delivery rows (one INSERT … SELECT, then commit)."""
    db = await populate(folder / "expand.db", rows)
    try:
        async with db.session() as session:
            broadcast = await bc.create(session, sender=None, audience=bc.Audience(), text_vi="x", text_en="y",
                                        ack=True, now=NOW)
            await session.commit()
            started = time.perf_counter()
            added = await bc.expand(session, broadcast, NOW)
            await session.commit()
            seconds = time.perf_counter() - started
        assert added == rows, (added, rows)
        return seconds
    finally:
        await db.dispose()


async def run(members: int, limit: int, expand_rows: int) -> dict:
    figures: dict = {"members": members, "limit_per_s": limit}
    with tempfile.TemporaryDirectory() as folder:
        if expand_rows:
            figures["expand_rows"] = expand_rows
            figures["expand_s"] = round(await expansion_time(Path(folder), expand_rows), 2)
            print(f"expansion: {expand_rows:,} delivery rows in {figures['expand_s']} s", flush=True)
        db = await populate(Path(folder) / "bench.db", members)
        server = FakeServer(limit)
        try:
            targets = await chats(db)
            wall = await send_through_outbox(db, server.url, limit, "Thông báo giới hạn")
            stats = counted(await server.call("getStats"), "Thông báo giới hạn", targets)
            rate = (stats["delivered"] - 1) / stats["span_s"] if stats["span_s"] else 0.0
            figures |= {"recipients": len(targets), "wall_s": round(wall, 1),
                        "rate_fraction": round(rate / limit, 4),
                        "throttled_429": (await server.call("getStats"))["throttled"],
                        "duplicates": stats["duplicates"], "missing": stats["missing"]}
            print(f"limited: {len(targets):,} messages in {wall:.1f} s wall, {rate:.1f}/s = "
                  f"{figures['rate_fraction']:.1%} of {limit}/s; 429s: {figures['throttled_429']}, "
                  f"duplicates: {stats['duplicates']}, missing: {stats['missing']}", flush=True)
            await server.call("setLimit", limit_per_s=0)
            await server.call("resetStats")
            wall = await send_through_outbox(db, server.url, UNLIMITED, "Thông báo không giới hạn")
            stats = counted(await server.call("getStats"), "Thông báo không giới hạn", targets)
            figures["unlimited_msgs_per_s"] = round(len(targets) / wall, 1)
            figures["unlimited_duplicates"], figures["unlimited_missing"] = stats["duplicates"], stats["missing"]
            await server.call("resetStats")
            figures["ptb_loop_msgs_per_s"] = round(await ptb_loop(server.url, sorted(targets), "PTB"), 1)
            figures["ratio"] = round(figures["unlimited_msgs_per_s"] / figures["ptb_loop_msgs_per_s"], 2)
            print(f"limiter off: cdsbot outbox {figures['unlimited_msgs_per_s']}/s (with database), "
                  f"plain PTB loop {figures['ptb_loop_msgs_per_s']}/s, ratio {figures['ratio']}", flush=True)
            _wall, figures["sender_peak_rss_mb"] = await send_in_process_of_its_own(
                db, server.url, int(UNLIMITED), "Thông báo tiến trình riêng")
            print(f"sending process: peak RSS {figures['sender_peak_rss_mb']} MB (target: at most 150)", flush=True)
        finally:
            await server.close()
            await db.dispose()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"peak RSS of this benchmark process (databases built here): {figures['peak_rss_mb']} MB")
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=7534)
    parser.add_argument("--limit", type=int, default=30, help="messages/s the fake server enforces")
    parser.add_argument("--expand-rows", type=int, default=100_000, help="0 to skip the expansion timing")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.members, args.limit, args.expand_rows))
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
