"""The exports benchmark still runs: a tiny data set on SQLite (and PostgreSQL when CDSBOT_TEST_POSTGRES_URL is set)."""

import json

from bench import exports
from tests.conftest import POSTGRES_URL


def test_the_exports_benchmark_runs_and_ends_with_one_json_line(capsys):
    argv = ["--reports", "3000", "--members", "1200", "--requests", "3", "--export-rows", "500"]
    argv += ["--pg", POSTGRES_URL] if POSTGRES_URL else ["--only", "sqlite"]
    results = exports.main(argv)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == results
    for database in ("sqlite", "postgres") if POSTGRES_URL else ("sqlite",):
        export = results[database]["xlsx_export"]
        for page in (results[database]["rollup_page"], results[database]["duties_page"]):
            for kind in ("cold", "warm"):
                assert 0 < page[kind]["p50_ms"] <= page[kind]["p95_ms"] < 5000
        assert export["rows"] >= 500 and export["wall_s"] > 0 and 0 < export["peak_rss_mb"] < 1000
