"""The console benchmark still runs: a tiny data set on SQLite (and PostgreSQL when CDSBOT_TEST_POSTGRES_URL is set)."""

import json

from bench import console
from tests.conftest import POSTGRES_URL


def test_the_console_benchmark_runs_and_ends_with_one_json_line(capsys):
    argv = ["--reports", "3000", "--members", "1500", "--requests", "3"]
    argv += ["--pg", POSTGRES_URL] if POSTGRES_URL else ["--only", "sqlite"]
    results = console.main(argv)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == results
    assert (results["reports"], results["teams"], results["members"]) == (3000, 1141, 1500)
    for database in ("sqlite", "postgres") if POSTGRES_URL else ("sqlite",):
        for who in ("admin", "commune_officer"):
            figures = results[database][who]
            assert 0 < figures["p50_ms"] <= figures["p95_ms"] < 5000
