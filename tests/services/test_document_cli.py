"""`cdsbot units bases` and `cdsbot reports document` as the department runs them, and their bad input."""

import re
from datetime import UTC, datetime
from pathlib import Path

from docx import Document

from bot.services import document_demo
from tests.test_cli import cdsbot, sqlite_url

ROOT = Path(__file__).resolve().parents[2]
DEMO_BASES = ROOT / "scripts" / "demo" / "quang-ngai-bases-demo.csv"


async def test_bases_then_the_dx_day_document_from_the_command_line(db, demo_roster, tmp_path):
    async with db.session() as session:
        await document_demo.seed(session, tmp_path / "var" / "media", datetime(2027, 10, 13, tzinfo=UTC))
    url = sqlite_url(tmp_path / "cdsbot.db")
    done = cdsbot(tmp_path, "units", "bases", str(DEMO_BASES), CDSBOT_DATABASE_URL=url)
    assert done.returncode == 0 and "base figures: 13 unit(s)" in done.stdout, done.stderr
    done = cdsbot(tmp_path, "reports", "document", "--unit", "51", "--plan", "national-dx-day:2027",
                  "--date", "2027-10-15", "-o", "bao-cao.docx", CDSBOT_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["bao-cao.docx", "bao-cao-phu-luc.xlsx"]
    texts = [p.text for p in Document(str(tmp_path / "bao-cao.docx")).paragraphs]
    assert any("từ ngày 28/09/2027 đến ngày 15/10/2027" in t for t in texts)  # the plan's window, up to the date
    assert (tmp_path / "bao-cao-phu-luc.xlsx").stat().st_size > 0
    done = cdsbot(tmp_path, "reports", "targets", "--unit", "51", "--plan", "national-dx-day:2027", "--date",
                  "2027-10-15", CDSBOT_DATABASE_URL=url)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert "1. Người dân có tài khoản định danh điện tử được kích hoạt (30% dân số)" in lines[1]
    assert next(ln for ln in lines if ln.startswith("Huyện Lý Sơn")).count("(chưa có số liệu nền)") == 3
    assert re.match(r"Huyện Ba Tơ +\d+ \(\d+,\d%\) \| ", next(ln for ln in lines if ln.startswith("Huyện Ba Tơ")))


async def test_bad_input_gets_one_clear_line(db, demo_roster, tmp_path):
    url = sqlite_url(tmp_path / "cdsbot.db")
    bad = tmp_path / "bases.csv"
    bad.write_text("code,population,households\n51,100,\nNOPE,5,\n", encoding="utf-8")
    done = cdsbot(tmp_path, "units", "bases", str(bad), CDSBOT_DATABASE_URL=url)
    assert done.returncode != 0 and "unknown unit code(s): NOPE" in done.stderr and "Traceback" not in done.stderr
    for args, message in ((["--plan", "no-such-plan:2027"], "no plan 'no-such-plan:2027'"),
                          (["--period", "2027-13"], "bad period"),
                          ([], "give --period")):
        done = cdsbot(tmp_path, "reports", "document", "--unit", "51", *args, "-o", "x.docx", CDSBOT_DATABASE_URL=url)
        assert done.returncode != 0 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
