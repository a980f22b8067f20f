"""The agencies from the command line: `units import` of their roster, `broadcast send --agencies` reaching
their members only, and `reports summary` leaving them out of the province unless `--agencies`."""

import json
import os
from datetime import date

from sqlalchemy import insert, select

from bot.cli.serving import DEMO_AGENCIES
from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report
from tests.fakes.members import NOW, add_members
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.test_broadcast_cli import ROOT, cdsbot, free_port


def environment(db, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}
    return env | {"CDSBOT_DATABASE_URL": db.url, "CDSBOT_WEB_PORT": str(free_port()), "PYTHONPATH": str(ROOT),
                  "CDSBOT_QUIET_START": "00:00", "CDSBOT_QUIET_END": "00:00", **extra}


async def file_report(db, code: str, people: int) -> None:
    """A pending report of `people` helped, filed on 10 November 2026 by the first member of the unit's team."""
    async with db.session() as session:
        team_id, path = (await session.execute(select(Team.id, OrgUnit.path).join(OrgUnit)
                                               .where(OrgUnit.code == code))).one()
        member_id = await session.scalar(select(Member.id).where(Member.team_id == team_id).limit(1))
        await session.execute(insert(Report), [dict(
            team_id=team_id, unit_path=path, type_id="public_services", activity_date=date(2026, 11, 10),
            counts={"people": people}, people=people, status="pending", filed_by_member_id=member_id,
            draft_key=f"cli-{code}", created_at=NOW, duplicate_photo=False)])
        await session.commit()


async def test_import_broadcast_and_summary_of_the_agencies(demo_roster):
    db = demo_roster
    env = environment(db)
    code, out, err = await cdsbot(env, "units", "import", *map(str, DEMO_AGENCIES))
    assert code == 0, err
    assert out == "units: 28 created, 0 updated, 0 unchanged; teams: 28 created\n"
    agency = await add_members(db, 30, under="CQ", first_external=1000)
    await add_members(db, 10, under="21409", first_external=9000)
    await file_report(db, "CQ-SYT", 40)
    await file_report(db, "21409", 7)
    async with FakeTelegramAPI() as api:
        env |= {"CDSBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN, "CDSBOT_TELEGRAM_API_URL": api.url}
        code, out, err = await cdsbot(env, "broadcast", "send", "--agencies", "--text-vi", "Gửi các sở, ngành",
                                      "--yes")
        assert code == 0, err
    assert {chat for chat, _text, _ in api.sent} == {1000 + i for i in range(len(agency))}
    summary = ["reports", "summary", "--from", "2026-11-01", "--to", "2026-11-30", "--json"]
    code, out, err = await cdsbot(env, *summary)
    assert code == 0, err
    territory = json.loads(out)
    assert "CQ" not in [row["code"] for row in territory["units"]]
    assert (territory["total"]["reports"], territory["total"]["people"]) == (1, 7)
    code, out, err = await cdsbot(env, *summary, "--agencies")
    assert code == 0, err
    asked = json.loads(out)
    [group] = [row for row in asked["units"] if row["code"] == "CQ"]
    assert (group["people"], group["teams_reported"], group["teams_expected"]) == (40, 1, 28)
    assert (asked["total"]["reports"], asked["total"]["people"]) == (2, 47)
    code, out, err = await cdsbot(env, *summary, "--unit", "CQ")
    assert code == 0, err
    assert json.loads(out)["total"]["people"] == 40
