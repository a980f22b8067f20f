"""Issue 15 item 12: help mentions option numbers and the phone step offers sharing only where the channel has them."""

import pytest

from bot.channels.web import WebChannel
from bot.channels.zalo_bot import ZaloBotChannel
from tests.chat import FakeChannel, Harness
from tests.handlers.test_register import invite


class NumberedExtras(FakeChannel):
    """Like Zalo OA: buttons, but past a few of them the rest are numbered lines."""

    numbers_options = True


@pytest.fixture
async def harness(demo_roster, tmp_path):
    channels = {"web": WebChannel(tmp_path / "media"),
                "telegram_like": FakeChannel("telegram_like", shares_contact=True),
                "zalo_oa_like": NumberedExtras("zalo_oa_like"),
                "plain": FakeChannel("plain", supports_buttons=False)}
    return Harness(demo_roster, channels=channels)


async def to_phone_step(harness, channel: str):
    chat = harness.chat(f"{channel}-chat-0001", channel)
    await chat.send(f"/start {await invite(harness.db, '21409-03')}")
    await chat.send("Nguyễn Văn An")
    return chat


def test_the_real_channels_say_what_they_show():
    assert not WebChannel("unused").numbers_options and not WebChannel("unused").shares_contact
    assert ZaloBotChannel("123:abc").numbers_options


@pytest.mark.parametrize(("channel", "numbers"), [("web", False), ("telegram_like", False), ("zalo_oa_like", True),
                                                  ("plain", True)])
async def test_help_mentions_numbers_only_where_they_are_shown(harness, channel, numbers):
    chat = harness.chat(f"{channel}-help-0001", channel)
    await chat.send("/help")
    assert ("gõ số đứng trước lựa chọn" in chat.text.lower()) is numbers
    assert ("Bấm các nút" in chat.text) is (channel != "plain")


async def test_web_chat_phone_step_asks_to_type_the_number_not_share_it(harness):
    chat = await to_phone_step(harness, "web")
    assert chat.last[0].request_contact is None
    assert "chia sẻ" not in chat.text.lower() and "gõ số điện thoại" in chat.text
    assert chat.payloads == ["register:skip_phone"]


async def test_a_channel_with_a_share_button_still_offers_it(harness):
    chat = await to_phone_step(harness, "telegram_like")
    assert chat.last[0].request_contact == "📱 Chia sẻ số điện thoại" and "chia sẻ" in chat.text.lower()
