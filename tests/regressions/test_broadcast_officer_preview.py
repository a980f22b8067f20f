"""Issue 15 item 16: an officer's /broadcast offers only the levels under their unit, names channels, and
estimates the sending time with the same words as the CLI."""

import pytest

from bot.channels import registry
from bot.cli.broadcast import _preview_lines
from bot.services import broadcast as bc
from tests.chat import FakeChannel, Harness
from tests.fakes.members import add_members
from tests.handlers.test_broadcast_flow import officer_chat

DUC_NHUAN, VILLAGE = "21409", "21409-01"


@pytest.fixture
async def harness(demo_roster):
    await add_members(demo_roster, 3, channel="web", under=VILLAGE)
    channels = {"fake": FakeChannel(), "web": FakeChannel("web")}
    return Harness(demo_roster, channels=channels)


async def to_levels(chat, unit: str | None = None):
    await chat.send("/broadcast")
    if unit:
        await chat.tap(f"bc:unit:{unit}")
    await chat.tap("bc:next")


async def test_commune_officer_is_offered_only_the_levels_under_the_commune(harness):
    chat = await officer_chat(harness, unit=DUC_NHUAN)
    await to_levels(chat)
    assert [p for p in chat.payloads if p.startswith("bc:level:")] == ["bc:level:2", "bc:level:3"]  # tree depths
    await chat.send(payload="bc:level:1")  # a crafted tap on a level that is not offered (the districts)
    assert "bc:level:1" not in chat.payloads


async def test_admin_is_offered_every_level_of_the_tree(harness):
    chat = await officer_chat(harness, role="admin")
    await to_levels(chat)
    levels = [(b.payload, b.label) for m in chat.last for b in m.all_buttons() if b.payload.startswith("bc:level:")]
    assert levels == [("bc:level:0", "Province"), ("bc:level:1", "Districts"), ("bc:level:2", "Communes"),
                      ("bc:level:3", "Villages")]  # named from content/units/kinds.yaml


async def test_preview_names_the_channel_and_gives_the_clis_estimate(harness):
    chat = await officer_chat(harness, unit=DUC_NHUAN)
    await to_levels(chat, VILLAGE)
    for _ in range(2):
        await chat.tap("bc:next")
    await chat.send("Họp tổ lúc 8 giờ sáng thứ Hai.")
    await chat.tap("bc:skip_en")
    await chat.tap("bc:ack:no")
    assert "will reach 3 members" in chat.text
    assert "• Web chat: 3" in chat.text and "• web:" not in chat.text
    assert "minute" not in chat.text and "Estimated sending time: under 1 s." in chat.text
    async with harness.db.session() as session:
        audience = await bc.resolve(session, bc.Audience(units=[VILLAGE]), None)
        preview = await bc.preview(session, audience, registry.rates())
    assert _preview_lines(preview, registry.rates())[-1] == "estimated time: under 1 s"


def test_one_estimate_in_each_language():
    from bot.i18n import Translator

    en, vi = Translator("en"), Translator("vi")
    assert [bc.duration(en, s) for s in (0.003, 12.4, 125)] == ["under 1 s", "12 s", "2 min 5 s"]
    assert bc.duration(vi, 125) == "2 phút 5 giây" and bc.duration(vi, 0.2) == "dưới 1 giây"
    assert registry.name(vi, "web") == "Trò chuyện trên web"
