"""Benchmark: the roll-up page and the XLSX export with the demo roster and N reports (1,000,000 by default).

    python bench/exports.py [--reports 1000000] [--requests 20] [--export-rows 100000] [--pg URL] [--only …]

Fills SQLite (a temporary file) and PostgreSQL (--pg, else CDSBOT_TEST_POSTGRES_URL or
CDSBOT_BENCH_POSTGRES_URL; a throwaway database is made there and dropped after) with the loaders
of bench/console.py. Then:
- GET /admin/reports/rollup for the province over 2026 goes through the real console (sign-in,
  sessions, templates) for the province admin: server time p50/p95 over --requests requests, cold
  (the year's totals, kept by triggers, grouped for each request) and warm (the result reused while no
  report changed); the same for GET /admin/duties, the year's report duties with their completeness;
- `cdsbot reports export --format xlsx` runs as a separate process on the first days of 2026 holding
  about --export-rows report rows: its wall time and peak RSS (its own VmHWM).
Prints the figures; the last line is one JSON object.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import console  # noqa: E402
from bench.both import throwaway_postgres  # noqa: E402
from bench.rollup import fill_postgres, fill_sqlite  # noqa: E402
from bot.db.reports import Report  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.services import rollup_scan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
YEAR = "2026"


PAGES = {"roll-up": (f"/admin/reports/rollup?unit={console.PROVINCE}&period={YEAR}", 'id="rollup"'),
         "duties": (f"/admin/duties?unit={console.PROVINCE}&year={YEAR}", f'data-key="{YEAR}-Q4"')}


async def console_pages(db: Database, label: str, requests: int) -> dict[str, dict[str, dict[str, float]]]:
    """p50/p95 server time, for the admin (after two warm-ups), of the province's roll-up over the year and of
    its list of the year's report duties (17 open on the benchmark's clock, each with its completeness):
    "cold" groups the figures for every request (the cache emptied first), "warm" reuses the cached ones."""
    account_id = (await console.add_accounts(db))["admin"]
    server_times: list[float] = []
    figures: dict[str, dict[str, dict[str, float]]] = {}
    async with TestClient(TestServer(console.console_app(db, server_times))) as client:
        await console.sign_in(client, db, account_id)
        for page, (path, marker) in PAGES.items():
            for _ in range(2):
                assert (await client.get(path)).status == 200
            for kind in ("cold", "warm"):
                server_times.clear()
                for _ in range(requests):
                    if kind == "cold":
                        rollup_scan.clear_cache()
                    response = await client.get(path)
                    assert response.status == 200 and marker in await response.text()
                found = figures.setdefault(page, {})[kind] = console.percentiles(server_times)
                print(f"{label:>8}  {page} page, province, {YEAR}, {kind}: p50 {found['p50_ms']:7.1f} ms   "
                      f"p95 {found['p95_ms']:7.1f} ms   ({requests} requests)", flush=True)
    return figures


async def days_for(db: Database, rows: int) -> tuple[str, int]:
    """The last day of the shortest range from 1 January holding at least `rows` counted reports, and their number."""
    query = (select(Report.activity_date, func.count()).where(Report.status.in_(("pending", "approved")))
             .group_by(Report.activity_date).order_by(Report.activity_date))
    total, last = 0, None
    async with db.session() as session:
        for day, n in await session.execute(query):
            total, last = total + n, day
            if total >= rows:
                break
    return last.isoformat(), total


# `python -m bot …` that prints its peak RSS (VmHWM) last on stderr: wait4's ru_maxrss would also count this
# process's memory, which the child holds between fork and exec.
CLI_WITH_PEAK = ("import atexit, runpy, sys; atexit.register(lambda: print(next(line for line in "
                 "open('/proc/self/status') if line.startswith('VmHWM:')), file=sys.stderr)); "
                 "sys.argv[0] = 'cdsbot'; runpy.run_module('bot', run_name='__main__')")


def export_process(url: str, end: str, out: Path) -> dict[str, float]:
    """Run `cdsbot reports export` as its own process: wall time and its peak RSS."""
    env = {**os.environ, "CDSBOT_DATABASE_URL": url}
    argv = [sys.executable, "-c", CLI_WITH_PEAK, "reports", "export", "--unit", console.PROVINCE,
            "--from", f"{YEAR}-01-01", "--to", end, "--format", "xlsx", "-o", str(out), "--quiet"]
    began = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, errors = process.communicate()
    wall = time.perf_counter() - began
    if process.returncode != 0:
        raise RuntimeError(f"export failed: {errors.decode()[-2000:]}")
    peak_kb = int(errors.decode().strip().splitlines()[-1].split()[1])  # "VmHWM:   153000 kB"
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak_kb / 1024, 1), "bytes": out.stat().st_size}


async def measure(db: Database, url: str, label: str, requests: int, export_rows: int, folder: str) -> dict:
    """Both figures on one filled database."""
    pages = await console_pages(db, label, requests)
    end, rows = await days_for(db, export_rows)
    figures = export_process(url, end, Path(folder) / f"{label}.xlsx")
    print(f"{label:>8}  XLSX export, {rows} report rows (1/1–{end}): {figures['wall_s']:.1f} s, "
          f"peak RSS {figures['peak_rss_mb']:.0f} MB, {figures['bytes'] / 1e6:.1f} MB file", flush=True)
    return {"rollup_page": pages["roll-up"], "duties_page": pages["duties"], "xlsx_export": {"rows": rows, **figures}}


async def bench_sqlite(n: int, seed: int, requests: int, export_rows: int, members: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.db")
        url = f"sqlite+aiosqlite:///{path}"
        db = Database(url)
        try:
            teams = await console.prepare(db, members)
            await db.dispose()
            fill_sqlite(path, teams, n, seed)  # inserts (the triggers fill the yearly totals), then ANALYZE
            return await measure(db, url, "sqlite", requests, export_rows, folder)
        finally:
            await db.dispose()


async def bench_postgres(url: str, n: int, seed: int, requests: int, export_rows: int, members: int) -> dict:
    async with throwaway_postgres(url) as (db, db_url):
        teams = await console.prepare(db, members)
        await fill_postgres(db, teams, n, seed)  # COPY (the triggers fill the yearly totals), then VACUUM ANALYZE
        with tempfile.TemporaryDirectory() as folder:
            return await measure(db, db_url, "postgres", requests, export_rows, folder)


async def run(args, pg_url: str | None) -> dict:
    results: dict = {"reports": args.reports, "requests": args.requests, "export_rows_asked": args.export_rows}
    work = (args.reports, args.seed, args.requests, args.export_rows, args.members)
    if args.only != "postgres":
        results["sqlite"] = await bench_sqlite(*work)
    if args.only != "sqlite" and pg_url:
        results["postgres"] = await bench_postgres(pg_url, *work)
    elif args.only != "sqlite":
        print("no PostgreSQL URL (--pg, CDSBOT_TEST_POSTGRES_URL or CDSBOT_BENCH_POSTGRES_URL): skipped", flush=True)
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000, help="how many reports to generate")
    parser.add_argument("--requests", type=int, default=20, help="timed roll-up page requests per database")
    parser.add_argument("--export-rows", type=int, default=100_000, help="about how many rows the XLSX holds")
    parser.add_argument("--members", type=int, default=console.MEMBERS, help="how many members")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+asyncpg://…); a throwaway database is made there")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one database only")
    args = parser.parse_args(argv)
    pg_url = args.pg or os.environ.get("CDSBOT_TEST_POSTGRES_URL") or os.environ.get("CDSBOT_BENCH_POSTGRES_URL")
    results = asyncio.run(run(args, pg_url))
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
