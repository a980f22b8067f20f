"""Issue 17 item 2 (gap): a unit retired by a reorganisation (retired_on ≤ today) left the live pickers, audiences,
invites and reminders while its team stayed open; history (roll-ups by unit path, the lineage) still sees it."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from bot.db.lineage import UnitLineage
from bot.db.models import OrgUnit, Team
from bot.db.reports import Report
from bot.services import accounts, org, reminders, reports
from bot.services import broadcast as bc
from bot.web.console.broadcast_compose import _units as composer_units
from tests.chat import Harness
from tests.fakes.members import add_members
from tests.handlers.test_broadcast_flow import officer_chat

LY_SON, SUCCESSOR = "536", "522"  # Huyện Lý Sơn and its villages retired into Thành phố Quảng Ngãi (for the test)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
async def retired(any_db, demo_roster):
    """Lý Sơn retired on 01/07/2025 with its teams still open, a member in a village, and a 2024 report there."""
    [filer, _] = await add_members(demo_roster, 2, under=f"{LY_SON}-01")
    await add_members(demo_roster, 3, under="21409-01", first_external=20_000_000)
    async with demo_roster.session() as session:
        ly_son = await org.unit_by_code(session, LY_SON)
        village = await org.unit_by_code(session, f"{LY_SON}-01")
        successor = await org.unit_by_code(session, SUCCESSOR)
        await session.execute(update(OrgUnit).where(org.in_subtree(ly_son)).values(retired_on=date(2025, 7, 1)))
        session.add(UnitLineage(old_unit_id=village.id, new_unit_id=successor.id, kind="merge",
                                effective_on=date(2025, 7, 1)))
        team = (await session.execute(select(Team).where(Team.unit_id == village.id))).scalar_one()
        session.add(Report(team_id=team.id, unit_path=village.path, type_id="support", activity_date=date(2024, 5, 2),
                           counts={}, people=9, status="approved", filed_by_member_id=filer, draft_key="ly-son-2024",
                           created_at=NOW))
        await session.commit()
    return demo_roster


async def test_live_queries_skip_a_retired_unit_and_history_keeps_it(retired):
    async with retired.session() as session:
        province = await org.unit_by_code(session, "51")
        live_codes = {u.code for u in await org.subtree(session, province)}
        all_codes = {u.code for u in await org.subtree(session, province, history=True)}
        assert LY_SON not in live_codes and f"{LY_SON}-01" not in live_codes and "21409-01" in live_codes
        assert {LY_SON, f"{LY_SON}-01"} <= all_codes
        assert LY_SON not in {u.code for _t, u in await org.teams_in(session, province)}
        assert LY_SON in {u.code for _t, u in await org.teams_in(session, province, history=True)}
        assert LY_SON not in {u.code for u, _depth in await composer_units(session, None)}  # the console picker
        assert (await bc.preview(session, await bc.resolve(session, bc.Audience(), None), {})).members == 3
        missing = await reminders.missing_teams(session, date(2026, 11, 1), date(2026, 11, 30))
        assert not any(unit.code.startswith(LY_SON) for _team, unit in missing)
        invite = (await org.teams_in(session, await org.unit_by_code(session, f"{LY_SON}-01"), history=True))[0]
        joined = await org.team_by_invite(session, invite[0].invite_code)  # its printed code joins the successor
        assert joined is not None and joined.unit_id == (await org.unit_by_code(session, SUCCESSOR)).id
        with pytest.raises(accounts.AccountError, match="retired"):
            await accounts.add_staff_account(session, email="a@b.vn", name="Cán Bộ Lý Sơn", unit_code=LY_SON,
                                             role="officer", password="x" * 12, now=NOW)
        year = await reports.rollup(session, province, date(2024, 1, 1), date(2024, 12, 31),
                                    deadline=NOW, count_ids=["people"])
        assert year.total.reports == 1 and year.total.people == 9  # the roll-up by unit path still counts it


async def test_the_chat_broadcast_offers_no_retired_unit(retired):
    chat = await officer_chat(Harness(retired), role="admin")
    await chat.send("/broadcast")
    assert f"bc:unit:{LY_SON}" not in chat.payloads and "bc:unit:533" in chat.payloads
