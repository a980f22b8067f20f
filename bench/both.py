"""Run a benchmark on SQLite and, when a URL is given, on PostgreSQL: one place that says when PostgreSQL is skipped."""

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
