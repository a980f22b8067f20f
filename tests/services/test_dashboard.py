"""The province at a glance: the figures an admin or an officer checks on the console's home page."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.db.broadcasts import Broadcast, BroadcastAck
from bot.db.models import ChannelAccount, Delivery, Member, OrgUnit, Team
from bot.db.reports import Report
from bot.db.schedules import Schedule
from bot.services import dashboard
from bot.services.access import WHOLE_TREE, Actor, Role

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Quảng Ngãi
ADMIN = Actor(Role.ADMIN, WHOLE_TREE)


async def _path(session, code: str) -> str:
    return (await session.execute(select(OrgUnit.path).where(OrgUnit.code == code))).scalar_one()


async def _officer(session, code: str) -> Actor:
    return Actor(Role.OFFICER, await _path(session, code))


async def _member(session, code: str, channel: str | None = "telegram", opted_out: bool = False) -> Member:
    team = (await session.execute(select(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                  .where(OrgUnit.code == code))).scalar_one()
    member = Member(full_name=f"Người ở {code}", team_id=team.id, created_at=NOW, opted_out=opted_out)
    session.add(member)
    await session.flush()
    if channel:
        session.add(ChannelAccount(member_id=member.id, channel=channel, external_id=f"{channel}-{member.id}",
                                   linked_at=NOW))
    return member


async def _report(session, member: Member, day: date, status: str = "approved") -> None:
    team = await session.get(Team, member.team_id)
    path = (await session.execute(select(OrgUnit.path).where(OrgUnit.id == team.unit_id))).scalar_one()
    session.add(Report(team_id=team.id, unit_path=path, type_id="visit", activity_date=day, status=status,
                       filed_by_member_id=member.id, draft_key=f"k-{member.id}-{day}-{status}-{id(day)}",
                       created_at=datetime.combine(day, datetime.min.time(), UTC)))


async def _commune_with_reports(session) -> dict[str, Member]:
    """Commune 21409: village 01 reported this month, village 03 did not (returned / last month only),
    village 02 has nobody registered; the neighbouring commune 21400 reported too."""
    people = {"01": await _member(session, "21409-01"), "03": await _member(session, "21409-03", "zalo_bot"),
              "03b": await _member(session, "21409-03", None), "21400": await _member(session, "21400")}
    await _report(session, people["01"], date(2026, 11, 2))
    await _report(session, people["01"], date(2026, 11, 20), "pending")
    await _report(session, people["03"], date(2026, 11, 5), "returned")
    await _report(session, people["03"], date(2026, 10, 30), "pending")
    await _report(session, people["21400"], date(2026, 11, 3), "pending")
    await session.commit()
    return people


async def test_an_officer_counts_only_their_commune(any_db, demo_roster):
    async with any_db.session() as session:
        await _commune_with_reports(session)
        glance = await dashboard.glance(session, await _officer(session, "21409"), NOW)
    assert glance.scope.code == "21409"
    assert (glance.month_start, glance.month_end) == (date(2026, 11, 1), date(2026, 11, 30))
    villages = {u.code: u for u in glance.units}
    assert "21400" not in villages and "21409" in villages  # the commune's own team is a row of its own
    assert glance.total("members") == 3 and glance.total("registered") == 2
    assert glance.total("teams") == len(villages)
    assert glance.total("reports") == 2  # the returned and last month's reports are not this month's
    assert glance.reachable == {"telegram": 1, "zalo_bot": 1}
    assert glance.waiting_review == 2  # this month's pending one and last month's; not 21400's
    assert glance.oldest_waiting.date() == date(2026, 10, 30)


async def test_completeness_is_worst_first_and_no_data_is_not_zero(any_db, demo_roster):
    async with any_db.session() as session:
        await _commune_with_reports(session)
        glance = await dashboard.glance(session, await _officer(session, "21409"), NOW)
    rates = [(u.code, u.completeness) for u in glance.units]
    assert rates[0] == ("21409-03", 0.0)  # registered, did not report: zero, and first
    assert rates[1] == ("21409-01", 1.0)
    assert all(rate is None for _, rate in rates[2:])  # nobody registered there yet: no data, listed last
    assert ("21409-02", None) in rates


async def test_the_admin_sees_the_districts_and_the_whole_province(any_db, demo_roster):
    async with any_db.session() as session:
        await _commune_with_reports(session)
        glance = await dashboard.glance(session, ADMIN, NOW)
    assert glance.scope.kind == "province"
    districts = {u.code: u for u in glance.units}
    assert len(districts) == 14  # 13 districts and the province's own team
    assert glance.total("teams") == 1141
    assert (districts["533"].registered, districts["533"].reported, districts["533"].reports) == (3, 2, 3)
    assert districts["533"].completeness == 2 / districts["533"].teams
    assert glance.units[0].code == "533"  # the only district with anyone registered; the rest have no data
    assert all(u.completeness is None for u in glance.units[1:])
    assert glance.waiting_review == 3


async def _broadcast(session, days_ago: int, ack: bool) -> Broadcast:
    broadcast = Broadcast(text_vi="Họp đội", ack=ack, status="sending", created_at=NOW - timedelta(days=days_ago))
    session.add(broadcast)
    await session.flush()
    return broadcast


def _delivery(broadcast: Broadcast, member: Member, status: str, channel: str = "telegram") -> Delivery:
    return Delivery(broadcast_id=broadcast.id, member_id=member.id, channel=channel, external_id=str(member.id),
                    status=status, payload={}, created_at=NOW, priority=1)


async def test_broadcast_rates_count_the_recipients_in_scope(any_db, demo_roster):
    async with any_db.session() as session:
        people = await _commune_with_reports(session)
        recent, old = await _broadcast(session, 2, ack=True), await _broadcast(session, 45, ack=False)
        session.add_all([_delivery(recent, people["01"], "sent"), _delivery(recent, people["01"], "failed", "web"),
                         _delivery(recent, people["03"], "queued"), _delivery(recent, people["21400"], "sent"),
                         _delivery(old, people["01"], "sent"),
                         BroadcastAck(broadcast_id=recent.id, member_id=people["01"].id, answer="help", at=NOW),
                         BroadcastAck(broadcast_id=recent.id, member_id=people["21400"].id, answer="ok", at=NOW)])
        await session.commit()
        officer = await dashboard.glance(session, await _officer(session, "21409"), NOW)
        admin = await dashboard.glance(session, ADMIN, NOW)
    [mine] = officer.broadcasts
    assert (mine.id, mine.recipients, mine.delivered, mine.pending) == (recent.id, 2, 1, 1)
    assert (mine.delivery_rate, mine.ack_rate, mine.need_help) == (0.5, 1.0, 1)
    [everyone] = admin.broadcasts
    assert (everyone.recipients, everyone.delivered, everyone.acknowledged, everyone.need_help) == (3, 2, 1, 1)
    assert admin.broadcasts_total == 1  # the one of 45 days ago is left out


async def test_next_sends_are_the_ones_that_reach_the_scope(any_db, demo_roster):
    async with any_db.session() as session:
        def schedule(name: str, hours: int, audience: dict | None, action: str = "broadcast") -> Schedule:
            template = {"audience": audience} if audience is not None else {"target": "members"}
            return Schedule(name=name, action=action, template=template, rule={}, next_at=NOW + timedelta(hours=hours),
                            created_at=NOW)
        session.add_all([schedule("other commune", 1, {"units": ["21400"]}), schedule("everyone", 2, {}),
                         schedule("district", 3, {"units": [], "scope": "533"}),
                         schedule("reminder", 4, None, "reminder"),
                         Schedule(name="paused", template={"audience": {}}, rule={}, state="paused",
                                  next_at=NOW, created_at=NOW)])
        await session.commit()
        officer = await dashboard.glance(session, await _officer(session, "21409"), NOW)
        admin = await dashboard.glance(session, ADMIN, NOW)
    assert [s.name for s in officer.next_sends] == ["everyone", "district", "reminder"]
    assert [s.name for s in admin.next_sends] == ["other commune", "everyone", "district", "reminder"]
    assert admin.next_sends[0].at == NOW + timedelta(hours=1)  # 11:00 local, outside quiet hours


async def test_a_leader_sees_their_own_team_only(any_db, demo_roster):
    async with any_db.session() as session:
        await _commune_with_reports(session)
        glance = await dashboard.glance(session, Actor(Role.LEADER, await _path(session, "21409")), NOW)
    assert [(u.code, u.teams, u.members) for u in glance.units] == [("21409", 1, 0)]
    assert glance.waiting_review == 0 and glance.reachable == {}
