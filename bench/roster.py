"""Benchmark: importing a 100,000-row roster, as `cdsbot units import` does (target: under 20 s).

    python bench/roster.py [--rows 100000] [--pg URL] [--only sqlite|postgres]

Times, on SQLite (a temporary file) and on PostgreSQL (--pg, else CDSBOT_TEST_POSTGRES_URL or
CDSBOT_BENCH_POSTGRES_URL; a throwaway database is created there and dropped after):
- tree: a four-level tree (1 province, 20 districts, 1,000 communes, the rest villages), first import;
- again: the same file imported again (every row unchanged);
- chain: a chain as deep as --rows, refused (too deep) after the checks.
Prints the figures; the last line is one JSON object: seconds per case per database.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.both import on_both, throwaway_postgres  # noqa: E402
from bot.cli.common import import_files  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.session import Database  # noqa: E402

HEADER = "code,name,kind,parent_code\n"


def tree_csv(rows: int) -> str:
    """A province, 20 districts, 1,000 communes and villages for the rest, spread evenly."""
    lines = [HEADER, "P,Tỉnh Thử,province,\n"]
    lines += [f"D{d},Huyện {d},district,P\n" for d in range(20)]
    lines += [f"C{c},Xã {c},commune,D{c % 20}\n" for c in range(1000)]
    lines += [f"V{v},Thôn {v},village,C{v % 1000}\n" for v in range(rows - 1021)]
    return "".join(lines)


def chain_csv(rows: int) -> str:
    """Each unit the parent of the next: far deeper than any tree may be."""
    return HEADER + "0,Tỉnh Thử,province,\n" + "".join(f"{i},Thôn {i},village,{i - 1}\n" for i in range(1, rows))


async def timed(db: Database, path: Path) -> tuple[float, object]:
    started = time.perf_counter()
    result = await import_files(db, [path], show_progress=False)
    return round(time.perf_counter() - started, 2), result


async def measure(db: Database, label: str, rows: int, folder: Path) -> dict[str, float]:
    await upgrade(db.engine)
    tree, chain = folder / "tree.csv", folder / "chain.csv"
    tree.write_text(tree_csv(rows), encoding="utf-8")
    chain.write_text(chain_csv(rows), encoding="utf-8")
    figures = {}
    seconds, result = await timed(db, tree)
    assert not result.problems and result.created == rows, result.problems[:3]
    figures["tree"] = seconds
    seconds, result = await timed(db, tree)
    assert result.unchanged == rows, (result.unchanged, result.problems[:3])
    figures["again"] = seconds
    seconds, result = await timed(db, chain)
    assert result.problems and "levels deep" in result.problems[0], result.problems[:3]
    figures["chain"] = seconds
    print(f"{label}: {rows:,} rows: tree {figures['tree']} s, again {figures['again']} s, "
          f"chain refused in {figures['chain']} s", flush=True)
    return figures


async def bench_sqlite(rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/roster.db")
        try:
            return await measure(db, "sqlite", rows, Path(folder))
        finally:
            await db.dispose()


async def bench_postgres(url: str, rows: int) -> dict[str, float]:
    async with throwaway_postgres(url) as (db, _url):
        with tempfile.TemporaryDirectory() as folder:
            return await measure(db, "postgres", rows, Path(folder))


async def run(rows: int, pg_url: str | None, only: str | None) -> dict:
    results: dict = {"rows": rows}
    return await on_both(results, only, pg_url, lambda: bench_sqlite(rows), lambda url: bench_postgres(url, rows))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in each roster (at least 1,021)")
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+asyncpg://…); a throwaway database is made there")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one database only")
    args = parser.parse_args(argv)
    pg_url = args.pg or os.environ.get("CDSBOT_TEST_POSTGRES_URL") or os.environ.get("CDSBOT_BENCH_POSTGRES_URL")
    results = asyncio.run(run(max(args.rows, 1021), pg_url, args.only))
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
