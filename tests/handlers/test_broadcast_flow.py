"""/broadcast by an officer through the chat core; members' languages, acknowledgements, help to the leader."""

import pytest
from sqlalchemy import select, update

from bot.db.broadcasts import BroadcastAck
from bot.db.models import ChannelAccount, Delivery, Member, OrgUnit, Team
from tests.chat import Harness
from tests.fakes.members import add_members

MO_DUC, DUC_NHUAN, LY_SON = "533", "21409", "530"


@pytest.fixture
async def harness(demo_roster):
    await add_members(demo_roster, 60, channel="fake", en_every=3, under=DUC_NHUAN)
    await add_members(demo_roster, 10, channel="fake", first_external=20_000_000, under=LY_SON)
    return Harness(demo_roster)


async def officer_chat(harness, role="officer", unit=MO_DUC):
    """A registered member of `unit`'s team who reads English and has `role`."""
    db = harness.db
    async with db.session() as session:
        code = (await session.execute(select(Team.invite_code).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                      .where(OrgUnit.code == unit))).scalar_one()
    chat = harness.chat("officer-1")
    for step in (dict(text=f"/start {code}"), dict(text="Phạm Văn Cán"), dict(payload="register:skip_phone"),
                 dict(payload="register:confirm"), dict(payload="lang:en")):
        await chat.send(**step)
    async with db.session() as session:
        await session.execute(update(Member).where(Member.full_name == "Phạm Văn Cán").values(role=role))
        await session.commit()
    return chat


async def broadcast_rows(db) -> list[tuple]:
    async with db.session() as session:
        query = (select(Delivery.external_id, Delivery.payload, Member.locale, OrgUnit.path)
                 .join(Member, Delivery.member_id == Member.id).join(Team, Member.team_id == Team.id)
                 .join(OrgUnit, Team.unit_id == OrgUnit.id).where(Delivery.broadcast_id.is_not(None)))
        return [tuple(r) for r in await session.execute(query)]


async def test_officer_sends_to_a_commune_and_members_get_their_language(harness):
    chat = await officer_chat(harness)
    await chat.send("/broadcast")
    assert f"bc:unit:{DUC_NHUAN}" in chat.payloads and "bc:next" in chat.payloads
    await chat.send(LY_SON)
    assert "only send to units inside your own area" in chat.text
    await chat.tap(f"bc:unit:{DUC_NHUAN}")
    assert "✓ Xã Đức Nhuận" in [b.label for m in chat.last for b in m.all_buttons()]
    await chat.tap("bc:next")
    assert "bc:level:3" in chat.payloads  # the villages: a level is a depth of the tree
    await chat.tap("bc:next")
    await chat.tap("bc:next")
    await chat.send("Họp tổ lúc 8 giờ sáng thứ Hai.")
    await chat.send("Team meeting at 8 am on Monday.")
    await chat.tap("bc:ack:yes")
    assert "will reach 60 members" in chat.text and "fake: 60" in chat.text
    assert "Estimated sending time: under 1 s." in chat.text
    async with harness.db.session() as session:
        assert (await session.execute(select(Delivery).where(Delivery.broadcast_id.is_not(None)))).first() is None
    await chat.tap("bc:send")
    assert "is being sent: 60 messages in Xã Đức Nhuận · Huyện Mộ Đức" in chat.text
    rows = await broadcast_rows(harness.db)
    async with harness.db.session() as session:
        nhuan = (await session.execute(select(OrgUnit.path).where(OrgUnit.code == DUC_NHUAN))).scalar_one()
    assert len(rows) == 60 and all(path.startswith(nhuan) for *_, path in rows)
    for _chat, payload, locale, _path in rows:
        if locale == "en":
            assert payload["text"] == "Team meeting at 8 am on Monday."
            assert [b["label"] for b in payload["buttons"][0]] == ["✅ Received", "❓ I need help"]
        else:
            assert payload["text"] == "Họp tổ lúc 8 giờ sáng thứ Hai."
    assert {locale for *_, locale, _ in rows} == {"en", "vi"}


async def test_plain_members_cannot_broadcast(harness):
    chat = await officer_chat(harness, role="leader")
    await chat.send("/broadcast")
    assert "Only officers and admins" in chat.text and "menu:broadcast" not in chat.payloads
    admin = await officer_chat(harness, role="admin")
    await admin.send("/menu")
    assert "menu:broadcast" in admin.payloads


async def send_one(harness, ack=True) -> int:
    chat = await officer_chat(harness)
    for step in ("/broadcast", f"bc:unit:{DUC_NHUAN}", "bc:next", "bc:next", "bc:next"):
        await (chat.send(step) if step.startswith("/") else chat.tap(step))
    await chat.send("Cập nhật ứng dụng VNeID trước ngày 10/12.")
    await chat.tap("bc:skip_en")
    await chat.tap("bc:ack:yes" if ack else "bc:ack:no")
    await chat.tap("bc:send")
    async with harness.db.session() as session:
        return (await session.execute(select(Delivery.broadcast_id).where(Delivery.broadcast_id.is_not(None))
                                      .limit(1))).scalar_one()


async def test_ack_is_recorded_once_and_help_notifies_the_leader(harness):
    broadcast_id = await send_one(harness)
    rows = await broadcast_rows(harness.db)
    english = max(chat for chat, _, locale, _ in rows if locale == "en")  # the first ones lead their teams
    assert all(p["text"] == "Cập nhật ứng dụng VNeID trước ngày 10/12." for _, p, _, _ in rows)
    member = harness.chat(english)
    await member.send(payload=f"ack:{broadcast_id}:ok")
    assert "Thank you, we have noted that you received" in member.text
    await member.send(payload=f"ack:{broadcast_id}:ok")
    async with harness.db.session() as session:
        acks = (await session.execute(select(BroadcastAck.answer))).scalars().all()
        me = (await session.execute(select(Member).join(ChannelAccount)
                                    .where(ChannelAccount.external_id == english))).scalar_one()
        leader = (await session.execute(select(ChannelAccount.external_id).join(Member).where(
            Member.team_id == me.team_id, Member.role == "leader"))).scalar_one()
    assert acks == ["ok"]
    leader_chat = harness.chat(leader)
    await leader_chat.replies()  # the leader's own copy of the announcement
    await member.send(payload=f"ack:{broadcast_id}:help")
    await member.send(payload=f"ack:{broadcast_id}:help")
    assert "team leader has been told" in member.text
    told = await leader_chat.replies()
    assert len(told) == 1 and me.full_name in told[0].text and "VNeID" in told[0].text
    async with harness.db.session() as session:
        assert (await session.execute(select(BroadcastAck.answer))).scalars().all() == ["help"]
