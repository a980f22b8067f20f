"""Benchmark: the console's home page (the province at a glance) with the demo roster, 7,534 members, N reports.

    python bench/console.py [--reports 1000000] [--requests 50] [--pg URL] [--only sqlite|postgres]

Fills SQLite (a temporary file) and PostgreSQL (--pg, else CDSBOT_TEST_POSTGRES_URL or
CDSBOT_BENCH_POSTGRES_URL; a throwaway database is created on that server and dropped after)
with the 1,141 demo teams, 7,534 members, N reports over 2026, a month of broadcasts with
their deliveries and answers, and a few schedules. Then GET /admin/ goes through the real
console application (sessions, sign-in, CSRF, templates) for the province admin and for a
commune officer, each signed in by a one-time link: the server time of each request (measured
by an outermost middleware) gives p50 and p95, printed with the machine's load average (other work on
the machine inflates them). Prints the figures; the last line is one JSON object.
"""

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.both import on_both, throwaway_postgres  # noqa: E402
from bench.rollup import fill_postgres, fill_sqlite  # noqa: E402
from bot.cli.common import DEMO_ROSTERS, import_files  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db.broadcasts import Broadcast, BroadcastAck  # noqa: E402
from bot.db.console import ConsoleAccount  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import Delivery, Member, OrgUnit, Team  # noqa: E402
from bot.db.schedules import Schedule  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.delivery.sender import Outbox  # noqa: E402
from bot.services import accounts, signin  # noqa: E402
from bot.web.console import create_console, mount  # noqa: E402
from tests.fakes.members import NOW, add_members  # noqa: E402

MEMBERS = 7_534
PROVINCE, OFFICER_UNIT = "51", "21409"  # a commune of Mộ Đức with its villages
BROADCASTS = 12  # one every 3 days over the last 36 days
CHUNK = 5_000


async def prepare(db: Database, members: int) -> list[tuple[int, str, int]]:
    """Migrate, import the roster, add the members; (team id, unit path, a member id) per team."""
    await upgrade(db.engine)
    result = await import_files(db, DEMO_ROSTERS, show_progress=False)
    assert not result.problems, result.problems
    await add_members(db, members)
    async with db.session() as session:
        rows = (await session.execute(
            select(Team.id, OrgUnit.path, select(Member.id).where(Member.team_id == Team.id)
                   .order_by(Member.id).limit(1).scalar_subquery())
            .join(OrgUnit, Team.unit_id == OrgUnit.id).order_by(Team.id))).all()
    print(f"{db.engine.dialect.name}: {len(rows)} teams, {members} members", flush=True)
    return [tuple(row) for row in rows]


async def add_broadcasts(db: Database, seed: int) -> int:
    """Broadcasts to every member over the last 36 days, delivered, failed or still queued, half with answers."""
    rng = random.Random(seed)
    async with db.session() as session:
        members = list((await session.execute(select(Member.id).order_by(Member.id))).scalars())
        total = 0
        for i in range(BROADCASTS):
            created = NOW - timedelta(days=3 * i, hours=2)
            broadcast = Broadcast(text_vi=f"Thông báo số {i + 1}: họp tổ cuối tháng", ack=i % 2 == 0,
                                  status="sending", created_at=created, started_at=created)
            session.add(broadcast)
            await session.flush()
            states = ("sent",) * 18 + ("failed", "queued" if i == 0 else "unreachable")
            rows = [{"broadcast_id": broadcast.id, "channel": "telegram", "external_id": str(10_000_000 + m),
                     "member_id": m, "priority": 1, "status": rng.choice(states), "payload": {}, "attempts": 1,
                     "created_at": created} for m in members]
            acks = [{"broadcast_id": broadcast.id, "member_id": m, "answer": "help" if rng.random() < 0.05 else "ok",
                     "at": created + timedelta(hours=1)} for m in members if broadcast.ack and rng.random() < 0.6]
            for table, values in ((Delivery, rows), (BroadcastAck, acks)):
                for start in range(0, len(values), CHUNK):
                    await session.execute(insert(table), values[start:start + CHUNK])
            total += len(rows)
        session.add_all([Schedule(name=f"Lịch gửi {i + 1}", template={"audience": {"units": [], "scope": None}},
                                  rule={"every": "once"}, next_at=NOW + timedelta(days=i + 1), created_at=NOW)
                         for i in range(20)])
        await session.commit()
    return total


def percentiles(times: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds (nearest rank)."""
    ordered = sorted(times)
    rank = max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(ordered[rank] * 1000, 1)}


async def add_accounts(db: Database) -> dict[str, int]:
    """Console accounts for two members: the province admin and the officer of one commune."""
    async with db.session() as session:
        first, second = (await session.execute(select(Member.id).order_by(Member.id).limit(2))).scalars()
        admin = await accounts.add_member_account(session, first, role="admin", unit_code=PROVINCE, now=NOW)
        officer = await accounts.add_member_account(session, second, role="officer", unit_code=OFFICER_UNIT, now=NOW)
        await session.commit()
    return {"admin": admin.id, "commune_officer": officer.id}


def console_app(db: Database, server_times: list[float]) -> web.Application:
    """The real console mounted at /admin, behind an outermost middleware that times each request."""

    @web.middleware
    async def timing(request: web.Request, handler):
        began = time.perf_counter()
        try:
            return await handler(request)
        finally:
            server_times.append(time.perf_counter() - began)

    clock = FakeClock(NOW)
    app = web.Application(middlewares=[timing])
    mount(app, create_console(db, load_settings(console_secret=secrets.token_urlsafe(32)), clock,
                              Outbox(db, {}, clock)))
    return app


async def sign_in(client: TestClient, db: Database, account_id: int) -> None:
    """Open a one-time link and press its button, as a person would (the session cookie stays in the client)."""
    async with db.session() as session:
        token = await signin.issue_link(session, await session.get(ConsoleAccount, account_id), NOW)
        await session.commit()
    page = await (await client.get(f"/admin/signin/t/{token}")).text()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = await client.post(f"/admin/signin/t/{token}", data={"csrf_token": csrf}, allow_redirects=False)
    assert response.status == 303, response.status


async def measure(db: Database, label: str, requests: int) -> dict[str, dict[str, float]]:
    """p50 and p95 server time of GET /admin/ for each signed-in person (after two warm-up requests)."""
    figures = {}
    for who, account_id in (await add_accounts(db)).items():
        server_times: list[float] = []
        async with TestClient(TestServer(console_app(db, server_times))) as client:
            await sign_in(client, db, account_id)
            for _ in range(2):
                assert (await client.get("/admin/")).status == 200
            server_times.clear()
            for _ in range(requests):
                response = await client.get("/admin/")
                assert response.status == 200 and 'id="completeness"' in await response.text()
        figures[who] = percentiles(server_times) | {"load_avg": round(os.getloadavg()[0], 1)}
        print(f"{label:>8}  home page, {who:<16} p50 {figures[who]['p50_ms']:7.1f} ms   "
              f"p95 {figures[who]['p95_ms']:7.1f} ms   ({requests} requests; machine load {figures[who]['load_avg']})",
              flush=True)
    return figures


async def bench_sqlite(n: int, seed: int, requests: int, members: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.db")
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            teams = await prepare(db, members)
            await db.dispose()
            fill_sqlite(path, teams, n, seed)
            print(f"sqlite: {await add_broadcasts(db, seed)} broadcast deliveries", flush=True)
            async with db.engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
            return await measure(db, "sqlite", requests)
        finally:
            await db.dispose()


async def bench_postgres(url: str, n: int, seed: int, requests: int, members: int) -> dict:
    async with throwaway_postgres(url) as (db, _url):
        teams = await prepare(db, members)
        await fill_postgres(db, teams, n, seed)  # COPY, then VACUUM ANALYZE report
        print(f"postgres: {await add_broadcasts(db, seed)} broadcast deliveries", flush=True)
        async with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            await conn.execute(text("VACUUM ANALYZE"))
        return await measure(db, "postgres", requests)


async def run(n: int, seed: int, requests: int, members: int, pg_url: str | None, only: str | None = None) -> dict:
    results: dict = {"reports": n, "teams": 1141, "members": members, "requests": requests}
    return await on_both(results, only, pg_url, lambda: bench_sqlite(n, seed, requests, members),
                         lambda url: bench_postgres(url, n, seed, requests, members))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000, help="how many reports to generate")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per person and database")
    parser.add_argument("--members", type=int, default=MEMBERS, help="how many members (spread over the teams)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+asyncpg://…); a throwaway database is made there")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one database only")
    args = parser.parse_args(argv)
    pg_url = args.pg or os.environ.get("CDSBOT_TEST_POSTGRES_URL") or os.environ.get("CDSBOT_BENCH_POSTGRES_URL")
    results = asyncio.run(run(args.reports, args.seed, args.requests, args.members, pg_url, args.only))
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
