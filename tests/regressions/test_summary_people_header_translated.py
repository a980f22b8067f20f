"""`cdsbot reports summary --lang vi` said its "People" column in English: the label sat inside an f-string,
so it never reached the catalog. It is now extracted (bot/cli/reports.py) and said in Vietnamese."""

from bot.cli import build_parser
from bot.config import Settings


async def test_the_summary_header_says_people_in_vietnamese(db, demo_roster, capsys):
    settings = Settings(database_url=str(db.engine.url))
    args = build_parser().parse_args(["reports", "summary", "--unit", "21409", "--from", "2026-11-01",
                                      "--to", "2026-11-30", "--compare", "2026-10"])
    await args.func(settings, args)
    headers = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Đơn vị")]
    assert len(headers) == 2 and all("Số người" in line and "People" not in line for line in headers)
