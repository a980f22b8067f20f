"""Issue 19 item 2: `/link` from a chat posing as member A bound an outside Telegram account to A for good.

A link code now binds nothing by itself: the member confirms from an account they already have, and the
question names the messenger and account that typed the code.
"""

import pytest
from sqlalchemy import select

from bot.core.messages import Inbound
from bot.db.models import ChannelAccount
from tests.chat import Harness
from tests.handlers.test_register import register


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def accounts(harness) -> set[tuple[str, str]]:
    async with harness.db.session() as session:
        return {(a.channel, a.external_id) for a in (await session.execute(select(ChannelAccount))).scalars()}


async def code_typed_elsewhere(harness, member, outsider_id: str, name: str = "Eve") -> str:
    """The member asks for a code, an outside chat types it; the confirm payload the member is shown."""
    await member.send("/link")
    code = member.text.split("Mã liên kết của bạn là ")[1][:8]
    inbound = Inbound("plain", outsider_id, text=f"/link {code}", message_id=f"x-{outsider_id}", display_name=name)
    await harness.core.handle(inbound)
    member.last = await member.replies()
    return code


async def test_a_typed_link_code_binds_nothing_until_the_member_says_yes(harness):
    member = await register(harness, "201")
    code = await code_typed_elsewhere(harness, member, "outsider-1")
    assert ("plain", "outsider-1") not in await accounts(harness)
    assert "(tài khoản: Eve)" in member.text
    assert [b.label for b in member.last[-1].all_buttons()] == ["✅ Đồng ý liên kết", "❌ Không"]
    outsider = harness.chat("outsider-1", "plain")
    assert "bấm ✅ Đồng ý liên kết" in (await outsider.replies())[0].text

    await member.tap(next(p for p in member.payloads if p.startswith("link:refuse:")))
    assert ("plain", "outsider-1") not in await accounts(harness)
    await outsider.send(f"/link {code}")  # a refused code is spent
    assert "không đúng" in outsider.text

    await code_typed_elsewhere(harness, member, "outsider-2")
    await member.tap(next(p for p in member.payloads if p.startswith("link:confirm:")))
    assert ("plain", "outsider-2") in await accounts(harness)
    told = await harness.chat("outsider-2", "plain").replies()
    assert "Đã liên kết tài khoản này với Nguyễn Văn An" in told[-1].text


async def test_only_the_codes_own_member_can_confirm_and_a_claimed_code_is_not_shared(harness):
    member = await register(harness, "202")
    other = await register(harness, "203", name="Trần Thị Bình")
    code = await code_typed_elsewhere(harness, member, "outsider-3")
    confirm = next(p for p in member.payloads if p.startswith("link:confirm:"))
    await other.send(payload=confirm)  # a forged press by another member
    assert "không còn hiệu lực" in other.text
    late = harness.chat("outsider-4", "plain")
    await late.send(f"/link {code}")  # someone else typing the same code afterwards
    assert "không đúng" in late.text
    await member.tap(confirm)
    assert {("plain", "outsider-3")} <= await accounts(harness)
    assert ("plain", "outsider-4") not in await accounts(harness)


async def test_a_member_on_a_messenger_without_buttons_confirms_by_typing(harness):
    member = await register(harness, "204", channel="plain")
    await code_typed_elsewhere(harness, member, "outsider-5")
    assert "/link yes" in member.text
    await member.send("/link yes")
    assert ("plain", "outsider-5") in await accounts(harness)


async def test_an_unconfirmed_code_expires(harness):
    member = await register(harness, "205")
    await code_typed_elsewhere(harness, member, "outsider-6")
    harness.clock.advance(minutes=10, seconds=1)
    await member.tap(next(p for p in member.payloads if p.startswith("link:confirm:")))
    assert "không còn hiệu lực" in member.text
    assert ("plain", "outsider-6") not in await accounts(harness)
