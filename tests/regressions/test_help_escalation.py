"""Issue 15 item 17: "❓ I need help" from a team without a leader reaches the nearest person above who can help,
and the member is told who that is."""

import pytest
from sqlalchemy import update

from bot.db.models import ChannelAccount
from bot.services import broadcast as bc
from tests.chat import Harness
from tests.handlers.test_report import join


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def _ask_for_help(harness, member) -> None:
    async with harness.db.session() as session:
        broadcast = await bc.create(session, sender=None, audience=bc.Audience(units=["21409-03"]), ack=True,
                                    text_vi="Cập nhật ứng dụng VNeID trước ngày 10/12.", now=harness.clock.now())
        await bc.expand(session, broadcast, harness.clock.now())  # answers count only from members it reached
        await session.commit()
    await member.send(payload=f"ack:{broadcast.id}:help")


async def _told(chat) -> str:
    chat.last = await chat.replies()
    return chat.text


async def test_no_leader_the_officers_of_the_nearest_unit_above_are_told(harness):
    district = await join(harness, "h-district", "Cán Bộ Huyện", unit="533", role="officer")
    commune = await join(harness, "h-commune", "Cán Bộ Xã", unit="21409", role="officer")
    member = await join(harness, "h-member", "Người Cần Giúp")  # Thôn 3: a team with no leader
    await _ask_for_help(harness, member)
    assert "the officer of Xã Đức Nhuận has been told that you need help: Cán Bộ Xã." in member.text
    told = await _told(commune)
    assert "Người Cần Giúp" in told and "VNeID" in told and "no leader" in told
    assert await _told(district) == ""


async def test_no_leader_and_no_officer_the_admins_are_told(harness):
    admin = await join(harness, "h-admin", "Quản Trị Tỉnh", unit="51", role="admin")
    member = await join(harness, "h-alone", "Người Không Ai Giúp")
    await _ask_for_help(harness, member)
    assert "the administrator has been told that you need help: Quản Trị Tỉnh." in member.text
    assert "Người Không Ai Giúp" in await _told(admin)


async def test_a_leader_who_cannot_be_reached_is_passed_over(harness):
    leader = await join(harness, "h-leader", "Trưởng Tổ Chặn Bot", role="leader")
    officer = await join(harness, "h-officer", "Cán Bộ Xã Hai", unit="21409", role="officer")
    async with harness.db.session() as session:  # the leader blocked the bot
        await session.execute(update(ChannelAccount).where(ChannelAccount.external_id == "h-leader")
                              .values(unreachable=True))
        await session.commit()
    member = await join(harness, "h-member2", "Người Cần Giúp Hai")
    await _ask_for_help(harness, member)
    assert "Cán Bộ Xã Hai" in member.text and "Trưởng Tổ Chặn Bot" not in member.text
    assert "Người Cần Giúp Hai" in await _told(officer)
    assert "Người Cần Giúp Hai" not in await _told(leader)


async def test_the_leader_is_named_when_the_team_has_one(harness):
    leader = await join(harness, "h-leader3", "Trưởng Tổ Ba", role="leader")
    await join(harness, "h-officer3", "Cán Bộ Xã Ba", unit="21409", role="officer")
    member = await join(harness, "h-member3", "Người Cần Giúp Ba")
    await _ask_for_help(harness, member)
    assert "Your team leader has been told that you need help: Trưởng Tổ Ba." in member.text
    assert "Người Cần Giúp Ba" in await _told(leader)


async def test_nobody_to_tell_is_said_plainly(harness):
    member = await join(harness, "h-none", "Người Một Mình")
    await _ask_for_help(harness, member)
    assert "We have noted that you need help" in member.text
