"""The roll-up benchmark still runs (small N, SQLite; PostgreSQL only when CDSBOT_BENCH_POSTGRES_URL is set)."""

import json

from bench import rollup


def test_the_benchmark_runs_and_ends_with_one_json_line(capsys):
    results = rollup.main(["--reports", "3000"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == results
    assert results["reports"] == 3000
    assert set(results["sqlite"]) == {"rollup_by_district_type_year", "rollup_by_district_type_month",
                                      "completeness_month", "completeness_year"}
    assert all(0 < seconds < 5 for seconds in results["sqlite"].values())
