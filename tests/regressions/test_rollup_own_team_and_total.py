"""Issue 15 item 18: a unit's own team is a row named as such (never read as the total), and a total row follows;
`members reach CODE` counts the unit's own team too."""

import csv
import io
import json

import pytest

from bot.cli import build_parser
from bot.config import Settings
from tests.chat import Harness
from tests.handlers.test_report import file_simple, join


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def _two_reports(harness):
    """The commune's own team helped 12 people and its village Thôn 3 helped 5: 17 in all."""
    await file_simple(harness, await join(harness, "own-1", "Người Tổ Xã", unit="21409"), people="12")
    await file_simple(harness, await join(harness, "vil-1", "Người Thôn Ba"), people="5")


async def test_the_officer_s_view_names_the_own_team_and_ends_with_the_total(harness):
    await _two_reports(harness)
    officer = await join(harness, "off-1", "Cán Bộ Xã", unit="21409", role="officer")
    await officer.send(payload="lang:vi")
    await officer.send(payload="menu:units")
    lines = officer.text.splitlines()
    assert lines[0] == "Xã Đức Nhuận"
    own = next(line for line in lines if line.startswith("Tổ của Xã Đức Nhuận (tổ riêng):"))
    assert "12 người" in own
    assert not any(line.startswith("Xã Đức Nhuận:") for line in lines)
    rows = lines[1:lines.index("")] if "" in lines else lines[1:]
    assert rows[-1].startswith("Tổng cộng: 2/") and "17 người" in rows[-1]


async def test_the_cli_summary_has_an_own_team_row_and_a_total(harness, capsys):
    await _two_reports(harness)
    settings = Settings(database_url=str(harness.db.engine.url))
    parser = build_parser()
    args = parser.parse_args(["reports", "summary", "--unit", "21409", "--from", "2026-11-01", "--to", "2026-11-30",
                              "--lang", "en"])
    await args.func(settings, args)
    text = capsys.readouterr().out.splitlines()
    own = next(line for line in text if line.startswith("Xã Đức Nhuận's own team"))
    total = next(line for line in text if line.startswith("Total "))
    assert own.split()[-1] == "12" and total.split()[-1] == "17"
    args = parser.parse_args(["reports", "summary", "--unit", "21409", "--from", "2026-11-01", "--to", "2026-11-30",
                              "--json", "--lang", "en"])
    await args.func(settings, args)
    data = json.loads(capsys.readouterr().out)
    [own_row] = [row for row in data["units"] if row["own_team"]]
    assert (own_row["code"], own_row["name"], own_row["people"]) == ("21409", "Xã Đức Nhuận's own team", 12)
    assert (data["total"]["people"], data["total"]["reports"]) == (17, 2)
    assert data["total"]["teams_expected"] == sum(row["teams_expected"] for row in data["units"])


async def test_members_reach_counts_the_unit_s_own_team(harness, capsys):
    await join(harness, "own-2", "Người Tổ Xã Hai", unit="21409")
    await join(harness, "vil-2", "Người Thôn Bốn", unit="21409-04")
    settings = Settings(database_url=str(harness.db.engine.url))
    args = build_parser().parse_args(["members", "reach", "21409"])
    await args.func(settings, args)
    rows = {row["unit_code"]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["21409-04"]["members"] == "1"
    assert rows["21409"]["unit_name"] == "Xã Đức Nhuận's own team" and rows["21409"]["members"] == "1"
    assert sum(int(row["members"]) for row in rows.values()) == 2
