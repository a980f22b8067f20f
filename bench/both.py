"""Run a benchmark on SQLite and, when a URL is given, on PostgreSQL: one place that says when PostgreSQL is skipped,
and one that makes (and drops) the throwaway PostgreSQL database a run fills."""

import secrets
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.session import Database

NO_URL = "no PostgreSQL URL (--pg, CDSBOT_TEST_POSTGRES_URL or CDSBOT_BENCH_POSTGRES_URL): skipped"


async def on_both(results: dict, only: str | None, pg_url: str | None, sqlite_run, postgres_run) -> dict:
    """Fill `results["sqlite"]` and `results["postgres"]` from the two runs (`only` picks one)."""
    if only != "postgres":
        results["sqlite"] = await sqlite_run()
    if only != "sqlite" and pg_url:
        results["postgres"] = await postgres_run(pg_url)
    elif only != "sqlite":
        print(NO_URL, flush=True)
    return results


@asynccontextmanager
async def throwaway_postgres(url: str):
    """A new database on the server `url` names, as (Database, its URL); dropped afterwards, whatever happens."""
    name = f"cdsbot_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        db_url = make_url(url).set(database=name).render_as_string(hide_password=False)
        db = Database(db_url)
        try:
            yield db, db_url
        finally:
            await db.dispose()
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
