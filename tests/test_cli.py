"""The `cdsbot` command as a user runs it: a subprocess with its own database, home and working directory."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.common import DEMO_ROSTERS

ROOT = Path(__file__).resolve().parents[1]
BAD_ROSTER = ROOT / "tests" / "services" / "testdata" / "rosters" / "unknown_parent.csv"
DEMO_STATS = {
    "teams": 1141,
    "units": {"commune": 173, "district": 13, "province": 1, "village": 954},
    "members": 0,
}


def cdsbot(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `python -m bot ARGS` in `workdir` (also its HOME) with only the given CDSBOT_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}
    clean |= {"HOME": str(workdir), "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"} | env
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=workdir,
        env=clean,
        capture_output=True,
        text=True,
        encoding="utf-8",
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def stats(workdir: Path, url: str) -> dict:
    done = cdsbot(workdir, "units", "stats", "--json", CDSBOT_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A database the CLI imported the demo roster into twice: (workdir, db file, first run, second run)."""
    workdir = tmp_path_factory.mktemp("cli")
    db_file = workdir / "var" / "cli.db"
    runs = [
        cdsbot(workdir, "units", "import", *map(str, DEMO_ROSTERS), CDSBOT_DATABASE_URL=sqlite_url(db_file))
        for _ in range(2)
    ]
    return workdir, db_file, *runs


def test_import_twice_then_stats(imported):
    workdir, db_file, first, second = imported
    assert first.returncode == 0, first.stderr
    assert first.stdout == "units: 1141 created, 0 updated, 0 unchanged; teams: 1141 created\n"
    assert second.returncode == 0, second.stderr
    assert second.stdout == "units: 0 created, 0 updated, 1141 unchanged; teams: 0 created\n"
    assert stats(workdir, sqlite_url(db_file)) == DEMO_STATS
    assert not (workdir / "var" / "cdsbot.db").exists(), "the default database was not touched"


def test_bad_roster_fails_and_names_file_and_line(imported, tmp_path):
    workdir, db_file, *_ = imported
    copy = tmp_path / "copy.db"
    shutil.copyfile(db_file, copy)
    done = cdsbot(tmp_path, "units", "import", str(BAD_ROSTER), CDSBOT_DATABASE_URL=sqlite_url(copy))
    assert done.returncode != 0
    assert f"{BAD_ROSTER}:4: unit 3: unknown parent 99" in done.stderr.splitlines()
    assert "nothing was imported" in done.stderr
    assert "Traceback" not in done.stderr
    assert stats(tmp_path, sqlite_url(copy)) == DEMO_STATS


def test_tree_of_a_district_one_level_deep(imported):
    workdir, db_file, *_ = imported
    done = cdsbot(workdir, "units", "tree", "533", "--depth", "1", CDSBOT_DATABASE_URL=sqlite_url(db_file))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Huyện Mộ Đức [533]"
    assert len(lines) == 14
    assert all(re.fullmatch(r"  (Xã|Thị trấn) .+ \[\d{5}\]", line) for line in lines[1:]), lines
    assert "  Xã Đức Nhuận [21409]" in lines


def test_invites_of_a_district_as_csv(imported):
    workdir, db_file, *_ = imported
    done = cdsbot(workdir, "teams", "invites", "536", CDSBOT_DATABASE_URL=sqlite_url(db_file))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["unit_code"] for r in rows] == ["536"] + [f"536-{n:02d}" for n in range(1, 10)]
    assert rows[0]["unit_name"] == "Huyện Lý Sơn" and rows[0]["team"] == "Tổ CNSCĐ Huyện Lý Sơn"
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", r["invite_code"]) for r in rows)
    assert len({r["invite_code"] for r in rows}) == 10


def test_unknown_unit_code(imported):
    workdir, db_file, *_ = imported
    done = cdsbot(workdir, "units", "tree", "999999", CDSBOT_DATABASE_URL=sqlite_url(db_file))
    assert (done.returncode, done.stderr) == (2, "cdsbot: no unit with code 999999\n")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CDSBOT_TIMEZONE", "Mars/Olympus"),
        ("CDSBOT_DATABASE_URL", "mysql://root@localhost/cdsbot"),
        ("CDSBOT_LOCALE", "fr"),
    ],
)
def test_bad_setting_exits_2_with_one_line(tmp_path, variable, value):
    done = cdsbot(tmp_path, "units", "stats", **{variable: value})
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"cdsbot: {variable}: ")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "var").exists(), "nothing was created"


def test_content_check_passes_on_shipped_content_and_names_broken_files(tmp_path):
    ok = cdsbot(tmp_path, "content", "check")
    assert ok.returncode == 0, ok.stderr
    fixtures = ROOT / "tests" / "services" / "testdata" / "content"
    for broken in ("long-step", "missing-english", "campaign-placeholder"):
        result = cdsbot(tmp_path, "content", "check", "--root", str(fixtures / broken))
        assert result.returncode == 2, broken
        assert str(fixtures / broken) in result.stderr and "Traceback" not in result.stderr
    stats = json.loads(cdsbot(tmp_path, "content", "stats", "--json").stdout)
    assert stats["by_lang"]["vi"] >= 30 and stats["by_lang"]["en"] >= 30
    assert stats["illustrated"]["vi"] >= 10 and stats["illustrated"]["en"] >= 10
