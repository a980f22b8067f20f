"""Benchmark: province-wide report roll-ups over the demo roster (1,141 teams) and N random reports.

    python bench/rollup.py [--reports 1000000] [--seed 1]

Runs on SQLite (a temporary file) and on PostgreSQL when CDSBOT_BENCH_POSTGRES_URL
is set (a throwaway database is created on that server and dropped after).
Prints the figures; the last line is one JSON object: seconds per query per database.
"""

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.both import on_both, throwaway_postgres  # noqa: E402
from bot.cli.common import DEMO_ROSTERS, import_files  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import OrgUnit, Team  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.services import reports  # noqa: E402
from bot.services.report_types import load_report_types  # noqa: E402

YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)
MONTH_START, MONTH_END = date(2026, 11, 1), date(2026, 11, 30)
DEADLINE = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
CHUNK = 50_000
COLUMNS = ("team_id", "unit_path", "type_id", "activity_date", "counts", "people", "status", "filed_by_member_id",
           "duplicate_photo", "draft_key", "created_at")


def generate(teams: list[tuple[int, str, int]], n: int, seed: int):
    """Yield chunks of report tuples (COLUMNS order, Python values) spread over a year."""
    rng = random.Random(seed)
    kinds = list(load_report_types().values())
    days = (YEAR_END - YEAR_START).days
    chunk = []
    for i in range(n):
        team_id, path, member_id = teams[rng.randrange(len(teams))]
        kind = kinds[rng.randrange(len(kinds))]
        counts = {c.id: rng.randint(0, c.max) for c in kind.counts}
        day = YEAR_START + timedelta(days=rng.randrange(days + 1))
        created = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 15))
        status = ("pending", "approved", "approved", "returned")[rng.randrange(4)]
        chunk.append((team_id, path, kind.id, day, counts, counts.get("people"), status, member_id, False,
                      f"bench-{i}", created))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def prepare(db: Database) -> list[tuple[int, str, int]]:
    """Migrate, import the roster, add one member per team; (team id, unit path, member id) per team."""
    await upgrade(db.engine)
    result = await import_files(db, DEMO_ROSTERS, show_progress=False)
    assert not result.problems, result.problems
    async with db.session() as session:
        teams = (await session.execute(select(Team.id, OrgUnit.path).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                       .order_by(Team.id))).all()
        now = datetime.now(UTC)
        await session.execute(text("INSERT INTO member (full_name, team_id, role, locale, opted_out, created_at) "
                                   "VALUES (:n, :t, 'member', 'vi', false, :c)"),
                              [{"n": f"Thành viên {tid}", "t": tid, "c": now} for tid, _ in teams])
        await session.commit()
        ids = dict((await session.execute(text("SELECT team_id, min(id) FROM member GROUP BY team_id"))).all())
    print(f"{db.engine.dialect.name}: {len(teams)} teams", flush=True)
    return [(tid, path, ids[tid]) for tid, path in teams]


def fill_sqlite(path: str, teams, n: int, seed: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    sql = f"INSERT INTO report ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    with tqdm(total=n, desc="sqlite reports", unit=" rows", file=sys.stderr) as bar:
        for chunk in generate(teams, n, seed):
            conn.executemany(sql, [(t, p, k, d.isoformat(), json.dumps(c), pe, s, m, int(dup), key,
                                    cr.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"))
                                   for t, p, k, d, c, pe, s, m, dup, key, cr in chunk])
            conn.commit()
            bar.update(len(chunk))
    conn.execute("ANALYZE")
    conn.close()


async def fill_postgres(db: Database, teams, n: int, seed: int) -> None:
    async with db.engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        with tqdm(total=n, desc="postgres reports", unit=" rows", file=sys.stderr) as bar:
            for chunk in generate(teams, n, seed):
                await raw.copy_records_to_table("report", columns=COLUMNS, records=[
                    row[:4] + (json.dumps(row[4]),) + row[5:] for row in chunk])
                bar.update(len(chunk))
    async with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        await conn.execute(text("VACUUM ANALYZE"))  # the reports and the totals their triggers filled


async def timed(db: Database, work, runs: int = 3) -> tuple[float, float]:
    """(first run, best of `runs`) in seconds, each in a fresh session."""
    times = []
    for _ in range(runs):
        async with db.session() as session:
            began = time.perf_counter()
            await work(session)
            times.append(time.perf_counter() - began)
    return times[0], min(times)


async def measure(db: Database, label: str) -> dict[str, float]:
    """Time the province-wide roll-up (by district and type) and the completeness query."""
    async with db.session() as session:
        province = (await session.execute(select(OrgUnit).where(OrgUnit.depth == 0).limit(1))).scalar_one()
    views = {
        "rollup_by_district_type_year": lambda s: reports.totals_by_unit_and_type(s, province, YEAR_START, YEAR_END),
        "rollup_by_district_type_month": lambda s: reports.totals_by_unit_and_type(s, province, MONTH_START,
                                                                                   MONTH_END),
        "completeness_month": lambda s: reports.completeness(s, province, MONTH_START, MONTH_END, DEADLINE),
        "completeness_year": lambda s: reports.completeness(s, province, YEAR_START, YEAR_END, DEADLINE),
    }
    figures = {}
    for name, work in views.items():
        first, best = await timed(db, work)
        print(f"{label:>8}  {name:<32} first {first:7.3f} s   best of 3 {best:7.3f} s", flush=True)
        figures[name] = round(best, 4)
    return figures


async def bench_sqlite(n: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.db")
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            teams = await prepare(db)
            await db.dispose()
            fill_sqlite(path, teams, n, seed)
            return await measure(db, "sqlite")
        finally:
            await db.dispose()


async def bench_postgres(url: str, n: int, seed: int) -> dict[str, float]:
    async with throwaway_postgres(url) as (db, _url):
        teams = await prepare(db)
        await fill_postgres(db, teams, n, seed)
        return await measure(db, "postgres")


async def run(n: int, seed: int, only: str | None = None) -> dict:
    results: dict = {"reports": n}
    url = os.environ.get("CDSBOT_BENCH_POSTGRES_URL")
    return await on_both(results, only, url, lambda: bench_sqlite(n, seed), lambda pg: bench_postgres(pg, n, seed))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000, help="how many reports to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one database only")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.reports, args.seed, args.only))
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
