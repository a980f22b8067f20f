"""Scale benchmark: one broadcast to 7,534 members sent by 1, 2 and 3 cdsbot processes on one PostgreSQL.

Run from the repository root with a PostgreSQL server:
`CDSBOT_TEST_POSTGRES_URL=postgresql+asyncpg://… python -m bench.scale [--limits 30,300] [--processes 1,2,3]`.
It creates a database of its own (dropped at the end), imports the demo roster plus the members,
and for each enforced limit and number of processes expands one broadcast and starts that many
sending processes (tests/sender_process.py) against the fake Telegram (tests/fakes/telegram_server.py,
a subprocess). Per run: achieved rate as a fraction of the limit, the busiest one-second window the
fake counted, 429s, duplicates, missing, and each process's peak RSS. The last line is one JSON object.
"""

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import time

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.broadcast import FakeServer, counted, new_broadcast
from bot.cli.common import DEMO_ROSTERS, import_files
from bot.db.migrate import upgrade
from bot.db.models import ChannelAccount
from bot.db.session import Database
from tests import sender_process
from tests.fakes.members import add_members


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def populate(url: str, members: int) -> Database:
    """A migrated database with the demo roster and `members` Telegram members."""
    db = Database(url)
    await upgrade(db.engine)
    await import_files(db, DEMO_ROSTERS, show_progress=False)
    await add_members(db, members, en_every=0)
    return db


async def _wait_rss(process) -> tuple[int, float]:
    """Wait for a sending process; its exit code and peak RSS in MB (as it reported it)."""
    output, _ = await asyncio.get_running_loop().run_in_executor(None, process.communicate)
    return process.returncode, sender_process.peak_rss_mb(output) if process.returncode == 0 else 0.0


async def one_run(db: Database, server: FakeServer, chats: set[str], limit: int, processes: int) -> dict:
    """Send one broadcast with `processes` sending processes against a fake enforcing `limit`/s."""
    await server.call("setLimit", limit_per_s=limit)
    await server.call("resetStats")
    words = f"Thông báo {limit}/s, {processes} tiến trình"
    broadcast_id, _rows = await new_broadcast(db, words)
    started = time.monotonic()
    children = [sender_process.start(server.url, db.url, limit, None, broadcast_id, stdout=subprocess.PIPE, text=True)
                for _ in range(processes)]
    waited = await asyncio.gather(*(_wait_rss(child) for child in children))
    wall = time.monotonic() - started
    stats = await server.call("getStats")
    got = counted(stats, words, chats)
    rate = (got["delivered"] - 1) / got["span_s"] if got["span_s"] else 0.0
    return {"limit_per_s": limit, "processes": processes, "wall_s": round(wall, 1),
            "rate_fraction": round(rate / limit, 4), "busiest_second": stats["busiest_second"],
            "throttled_429": stats["throttled"], "duplicates": got["duplicates"], "missing": got["missing"],
            "exit_codes": [code for code, _ in waited], "peak_rss_mb": [rss for _, rss in waited]}


async def run(admin_url: str, members: int, limits: list[int], counts: list[int]) -> dict:
    """Every (limit, processes) run on a fresh database; prints one line per run."""
    name = f"cdsbot_scale_{secrets.token_hex(4)}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    db = await populate(make_url(admin_url).set(database=name).render_as_string(hide_password=False), members)
    server = FakeServer(limits[0])
    figures: dict = {"members": members, "runs": []}
    try:
        async with db.session() as session:
            chats = set((await session.execute(select(ChannelAccount.external_id))).scalars())
        for limit in limits:
            for processes in counts:
                result = await one_run(db, server, chats, limit, processes)
                figures["runs"].append(result)
                print(f"{limit}/s, {processes} process(es): {result['rate_fraction']:.1%} of the limit, busiest "
                      f"second {result['busiest_second']}, 429s {result['throttled_429']}, duplicates "
                      f"{result['duplicates']}, missing {result['missing']}, peak RSS {result['peak_rss_mb']} MB, "
                      f"{result['wall_s']} s", flush=True)
    finally:
        await server.close()
        await db.dispose()
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=7534)
    parser.add_argument("--limits", default="30,300", help="messages/s the fake enforces, comma-separated")
    parser.add_argument("--processes", default="1,2,3", help="numbers of sending processes, comma-separated")
    parser.add_argument("--postgres-url", default=os.environ.get("CDSBOT_TEST_POSTGRES_URL"),
                        help="a PostgreSQL server (default: $CDSBOT_TEST_POSTGRES_URL)")
    args = parser.parse_args(argv)
    if not args.postgres_url:
        parser.error("needs a PostgreSQL server: --postgres-url or CDSBOT_TEST_POSTGRES_URL")
    limits, counts = [int(n) for n in args.limits.split(",")], [int(n) for n in args.processes.split(",")]
    figures = asyncio.run(run(args.postgres_url, args.members, limits, counts))
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
