"""Broadcast service: audience selection, preview, idempotent expansion, subtree limits, pause/resume/cancel."""

import pytest
from sqlalchemy import func, select, update

from bot.channels import registry
from bot.db.broadcasts import Broadcast
from bot.db.models import ChannelAccount, Delivery, Member, OrgUnit, Team
from bot.delivery.states import BULK
from bot.services import broadcast as bc
from tests.fakes.members import NOW, add_members

MO_DUC, DUC_NHUAN, LY_SON, TP = "533", "21409", "530", "522"  # districts / a commune of Quảng Ngãi


async def unit(db, code: str) -> OrgUnit:
    async with db.session() as session:
        return (await session.execute(select(OrgUnit).where(OrgUnit.code == code))).scalar_one()


async def member_in(db, code: str, role: str) -> Member:
    """A new member of the team of unit `code`, with a role."""
    async with db.session() as session:
        team = (await session.execute(select(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                      .where(OrgUnit.code == code))).scalar_one()
        member = Member(full_name="Cán bộ", team_id=team.id, role=role, created_at=NOW)
        session.add(member)
        await session.commit()
        return member


async def expected(db, where) -> int:
    """Members matching `where` with a reachable account, counted the slow, obvious way."""
    async with db.session() as session:
        query = (select(func.count(func.distinct(Member.id))).select_from(Member)
                 .join(ChannelAccount, ChannelAccount.member_id == Member.id)
                 .join(Team, Member.team_id == Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id)
                 .where(~Member.opted_out, ~ChannelAccount.unreachable, *where))
        return await session.scalar(query)


@pytest.fixture
async def people(demo_roster):
    """3,000 members over all teams (every 10th English), a few opted out or unreachable."""
    db = demo_roster
    ids = await add_members(db, 3000)
    async with db.session() as session:
        await session.execute(update(Member).where(Member.id.in_(ids[100:110])).values(opted_out=True))
        await session.execute(update(ChannelAccount).where(ChannelAccount.member_id.in_(ids[200:205]))
                              .values(unreachable=True))
        await session.commit()
    return db


async def make(db, audience: bc.Audience, sender=None, **kw) -> Broadcast:
    async with db.session() as session:
        broadcast = await bc.create(session, sender=sender, audience=audience, text_vi="Thông báo",
                                    text_en=kw.pop("text_en", "Notice"), now=NOW, **kw)
        await session.commit()
        return broadcast


async def expand(db, broadcast_id: int) -> int:
    async with db.session() as session:
        added = await bc.expand(session, await bc.get(session, broadcast_id), NOW)
        await session.commit()
        return added


async def preview(db, audience: bc.Audience) -> bc.Preview:
    async with db.session() as session:
        return await bc.preview(session, await bc.resolve(session, audience, None), registry.rates())


async def test_audience_mixes_subtrees_levels_roles_and_languages(any_db, people):
    db = any_db
    mo_duc, ly_son = await unit(db, MO_DUC), await unit(db, LY_SON)
    subtrees = (OrgUnit.path.startswith(mo_duc.path) | OrgUnit.path.startswith(ly_son.path))
    whole = await preview(db, bc.Audience())
    assert whole.members == await expected(db, []) == 3000 - 10 - 5
    mixed = await preview(db, bc.Audience(units=[MO_DUC, LY_SON]))
    assert mixed.members == await expected(db, [subtrees]) > 0
    villages = await preview(db, bc.Audience(units=[MO_DUC, LY_SON], levels=["village"]))
    assert villages.members == await expected(db, [subtrees, OrgUnit.kind == "village"])
    assert 0 < villages.members < mixed.members
    leaders = await preview(db, bc.Audience(roles=["leader"], langs=["en"]))
    assert leaders.members == await expected(db, [Member.role == "leader", Member.locale == "en"]) > 0
    assert whole.deliveries == {"telegram": whole.members}
    assert whole.seconds["telegram"] == pytest.approx(whole.members / 30)


async def test_unknown_units_levels_roles_are_refused(any_db, people):
    async with any_db.session() as session:
        for audience in (bc.Audience(units=["nope"]), bc.Audience(levels=["planet"]), bc.Audience(roles=["king"])):
            with pytest.raises(bc.BadAudience):
                await bc.resolve(session, audience, None)


async def test_expansion_is_one_row_per_member_and_channel_and_idempotent(any_db, people):
    db = any_db
    broadcast = await make(db, bc.Audience(units=[MO_DUC]), ack=True)
    count = (await preview(db, bc.Audience(units=[MO_DUC]))).members
    assert await expand(db, broadcast.id) == count > 0
    assert await expand(db, broadcast.id) == 0
    async with db.session() as session:
        rows = list((await session.execute(select(Delivery).where(Delivery.broadcast_id == broadcast.id))).scalars())
        locales = dict((await session.execute(select(Member.id, Member.locale))).all())
    assert len(rows) == count and len({r.member_id for r in rows}) == count
    assert {(r.status, r.priority) for r in rows} == {("queued", BULK)}
    for row in rows:
        want = "Notice" if locales[row.member_id] == "en" else "Thông báo"
        assert row.payload["text"] == want
        assert [b["payload"] for b in row.payload["buttons"][0]] == [f"ack:{broadcast.id}:ok",
                                                                       f"ack:{broadcast.id}:help"]
    assert any(locales[r.member_id] == "en" for r in rows)


async def test_english_members_get_vietnamese_when_no_english_text(any_db, people):
    db = any_db
    broadcast = await make(db, bc.Audience(langs=["en"]), text_en=None, guide_id="dvc-01")
    await expand(db, broadcast.id)
    async with db.session() as session:
        payloads = (await session.execute(select(Delivery.payload)
                                          .where(Delivery.broadcast_id == broadcast.id))).scalars().all()
    assert payloads and {p["text"] for p in payloads} == {"Thông báo"}
    assert {p["buttons"][0][0]["payload"] for p in payloads} == {"guide:dvc-01"}


async def test_officer_cannot_reach_outside_their_subtree(any_db, people):
    db = any_db
    officer = await member_in(db, MO_DUC, "officer")
    with pytest.raises(bc.NotAllowed):
        await make(db, bc.Audience(units=[LY_SON]), sender=officer)
    with pytest.raises(bc.NotAllowed):
        await make(db, bc.Audience(units=[DUC_NHUAN, TP]), sender=officer)
    with pytest.raises(bc.NotAllowed):
        await make(db, bc.Audience(), sender=await member_in(db, LY_SON, "leader"))
    everything_i_may = await make(db, bc.Audience(), sender=officer)  # no units: their whole subtree
    await expand(db, everything_i_may.id)
    mo_duc = await unit(db, MO_DUC)
    async with db.session() as session:
        paths = (await session.execute(
            select(OrgUnit.path).select_from(Delivery).join(Member, Delivery.member_id == Member.id)
            .join(Team, Member.team_id == Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id)
            .where(Delivery.broadcast_id == everything_i_may.id))).scalars().all()
    assert paths and all(p.startswith(mo_duc.path) for p in paths)
    assert len(paths) == await expected(db, [OrgUnit.path.startswith(mo_duc.path)])
    admin = await member_in(db, LY_SON, "admin")
    assert (await make(db, bc.Audience(units=[MO_DUC]), sender=admin)).audience["scope"] is None


async def steer(db, action, broadcast_id: int) -> int:
    async with db.session() as session:
        moved = await action(session, broadcast_id)
        await session.commit()
        return moved


async def totals(db, broadcast_id: int) -> dict[str, int]:
    async with db.session() as session:
        status = await bc.status(session, broadcast_id)
    return {state: status.total(state) for state in ("queued", "sending", "sent", "paused", "cancelled")}


async def test_pause_resume_cancel_and_status(any_db, people):
    db = any_db
    broadcast = await make(db, bc.Audience(units=[DUC_NHUAN]))
    count = await expand(db, broadcast.id)
    async with db.session() as session:  # pretend two went out and one failed to an unreachable member
        ids = (await session.execute(select(Delivery.id).where(Delivery.broadcast_id == broadcast.id)
                                     .order_by(Delivery.id))).scalars().all()
        await session.execute(update(Delivery).where(Delivery.id.in_(ids[:2])).values(status="sent"))
        await session.execute(update(Delivery).where(Delivery.id == ids[2]).values(status="unreachable"))
        await session.commit()
    assert await steer(db, bc.pause, broadcast.id) == count - 3
    assert await totals(db, broadcast.id) == {"queued": 0, "sending": 0, "sent": 2, "paused": count - 3,
                                              "cancelled": 0}
    assert await expand(db, broadcast.id) == 0
    assert await steer(db, bc.resume, broadcast.id) == count - 3
    assert (await totals(db, broadcast.id))["queued"] == count - 3
    assert await steer(db, bc.cancel, broadcast.id) == count - 3
    assert await steer(db, bc.resume, broadcast.id) == 0
    assert await totals(db, broadcast.id) == {"queued": 0, "sending": 0, "sent": 2, "paused": 0,
                                              "cancelled": count - 3}
    async with db.session() as session:
        members = (await session.execute(select(Delivery.member_id).where(Delivery.id.in_(ids[:3]))
                                         .order_by(Delivery.id))).scalars().all()
        answers = [(members[0], "ok"), (members[0], "ok"), (members[1], "ok"), (members[1], "help"),
                   (members[2], "help"), (members[2], "ok")]
        changed = [await bc.record_ack(session, broadcast.id, m, answer, NOW) for m, answer in answers]
        await session.commit()
        status = await bc.status(session, broadcast.id)
    assert changed == [True, False, True, True, True, False]
    assert status.finished and status.acks == {"ok": 1, "help": 2}
    [(code, _name, _member, channel)] = status.unreachable
    assert code.startswith(DUC_NHUAN) and channel == "telegram"


async def test_pause_wins_over_rows_the_outbox_had_claimed(db, people):
    from bot.delivery.sender import Outbox

    broadcast = await make(db, bc.Audience(units=[DUC_NHUAN]))
    count = await expand(db, broadcast.id)
    outbox = Outbox(db, {})
    claimed = await outbox._claim("telegram", 3)  # in the sender's hands when the officer pauses
    assert await steer(db, bc.pause, broadcast.id) == count
    outbox._results.append({"id": claimed[0].id, "status": "sent", "sent_at": NOW, "platform_message_id": "9",
                            "attempts": 1, "error": None})
    await outbox._release(claimed[1:])  # e.g. a reply jumped ahead: these go back only if still `sending`
    assert await totals(db, broadcast.id) == {"queued": 0, "sending": 0, "sent": 1, "paused": count - 1,
                                              "cancelled": 0}
