"""`cdsbot broadcast send --level`: a level is a number (1 is the top) or a kind from the roster; a typo is refused
with the tree's own levels named (issue 17 item 1: kinds as data, no list of kinds in the CLI)."""

import os

from sqlalchemy import func, select

from bot.db.models import Member, OrgUnit, Team
from bot.services import org
from tests.fakes.members import add_members
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.test_broadcast_cli import ROOT, cdsbot, free_port


async def test_levels_by_number_reach_that_level_and_a_typo_names_the_trees_levels(demo_roster):
    db = demo_roster
    await add_members(db, 30, under="533", first_external=1000)
    async with db.session() as session:
        mo_duc = await org.unit_by_code(session, "533")
        in_villages = await session.scalar(select(func.count()).select_from(Member).join(Team).join(OrgUnit).where(
            OrgUnit.kind == "village", org.in_subtree(mo_duc)))
    async with FakeTelegramAPI() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}
        env |= {"CDSBOT_DATABASE_URL": db.url, "CDSBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN,
                "CDSBOT_TELEGRAM_API_URL": api.url, "CDSBOT_WEB_PORT": str(free_port()), "PYTHONPATH": str(ROOT),
                "CDSBOT_QUIET_START": "00:00", "CDSBOT_QUIET_END": "00:00"}
        code, _out, err = await cdsbot(env, "broadcast", "send", "--level", "distrct", "--text-vi", "x", "--yes")
        assert code != 0 and "unknown level: distrct" in err
        assert ("this tree's levels: 1 Province (province); 2 Districts (district); 3 Communes (commune); "
                "4 Villages (village)") in err
        code, out, err = await cdsbot(env, "broadcast", "send", "--unit", "533", "--level", "4",
                                      "--text-vi", "Họp thôn", "--yes")
    assert code == 0, err
    assert 0 < in_villages < 30 and len(api.sent) == in_villages  # the villages' members, not the communes'
