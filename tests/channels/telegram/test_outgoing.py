"""Outgoing table: an Outbound → the exact Bot API calls, and how each Telegram error is labelled."""

import logging

import pytest

from bot.channels.base import Failure, SendError
from bot.channels.telegram import TelegramChannel
from bot.core.messages import Button, Outbound
from tests.fakes.telegram_api import FakeTelegramAPI

MEMBER = "700000001"
GROUP = "-1001234567890"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg-bytes"


@pytest.fixture
async def api():
    async with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
async def channel(api):
    channel = TelegramChannel(api.token, api.url, timeout=2.0)
    yield channel
    await channel.stop()


def menu() -> Outbound:
    return Outbound(
        "Chọn một mục:",
        [[Button("menu:report", "Báo cáo"), Button("menu:guides", "Hướng dẫn")], [Button("menu:stats", "Thống kê")]],
    )


async def test_text_with_two_rows_of_buttons(channel, api):
    assert await channel.send(MEMBER, menu()) == "1"
    (call,) = api.calls
    assert call.method == "sendMessage"
    assert call.params == {
        "chat_id": 700000001,
        "text": "Chọn một mục:",
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "Báo cáo", "callback_data": "menu:report"},
                    {"text": "Hướng dẫn", "callback_data": "menu:guides"},
                ],
                [{"text": "Thống kê", "callback_data": "menu:stats"}],
            ]
        },
    }


async def test_plain_text(channel, api):
    await channel.send(MEMBER, Outbound("Cảm ơn bạn!"))
    assert api.calls[0].params == {"chat_id": 700000001, "text": "Cảm ơn bạn!"}


async def test_photo_file_with_caption(channel, api, tmp_path):
    photo = tmp_path / "poster.jpg"
    photo.write_bytes(JPEG)
    await channel.send(MEMBER, Outbound("Lịch tập huấn tháng 10", photo=str(photo)))
    (call,) = api.calls
    assert call.method == "sendPhoto"
    assert call.params["caption"] == "Lịch tập huấn tháng 10"
    assert call.params["photo"]["filename"] == "poster.jpg"
    assert call.params["photo"]["size"] == len(JPEG)


async def test_photo_url_with_buttons(channel, api):
    await channel.send(MEMBER, Outbound("Poster", [[Button("ok", "OK")]], photo="https://cds.example.vn/p.jpg"))
    assert api.calls[0].params == {
        "chat_id": 700000001,
        "photo": "https://cds.example.vn/p.jpg",
        "caption": "Poster",
        "reply_markup": {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]},
    }


async def test_photo_with_long_text_sends_photo_then_text(channel, api):
    text = "Nội dung dài. " * 100  # 1,400 characters: over the 1,024 caption limit
    await channel.send(MEMBER, Outbound(text, [[Button("ok", "OK")]], photo="https://cds.example.vn/p.jpg"))
    photo, message = api.calls
    assert photo.method == "sendPhoto" and "caption" not in photo.params and "reply_markup" not in photo.params
    assert message.method == "sendMessage" and message.params["text"] == text
    assert message.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ok"


async def test_missing_photo_file_is_permanent(channel, api, tmp_path):
    with pytest.raises(SendError) as caught:
        await channel.send(MEMBER, Outbound("x", photo=str(tmp_path / "gone.jpg")))
    assert caught.value.failure is Failure.PERMANENT
    assert api.calls == []


async def test_request_contact_keyboard(channel, api):
    await channel.send(MEMBER, Outbound("Cho mình xin số điện thoại nhé", request_contact="📱 Chia sẻ số điện thoại"))
    assert api.calls[0].params["reply_markup"] == {
        "keyboard": [[{"text": "📱 Chia sẻ số điện thoại", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


async def test_contact_request_carries_the_other_buttons_as_keys(channel, api):
    await channel.send(MEMBER, Outbound("x", [[Button("a", "A")]], request_contact="Share"))
    markup = api.calls[0].params["reply_markup"]
    assert markup["keyboard"] == [[{"text": "Share", "request_contact": True}], [{"text": "A"}]]
    assert markup["one_time_keyboard"] is True


async def test_long_text_is_split_with_buttons_on_the_last_piece(channel, api):
    paragraphs = [f"Đoạn {n}: " + "chữ " * 200 for n in range(12)]  # ~9,700 characters
    text = "\n".join(paragraphs)
    message_id = await channel.send(MEMBER, Outbound(text, [[Button("ok", "OK")]]))
    pieces = [call.params["text"] for call in api.calls]
    assert len(pieces) == 3 and all(len(piece) <= 4096 for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert ["reply_markup" in call.params for call in api.calls] == [False, False, True]
    assert message_id == "3"


async def test_callback_data_over_64_bytes_is_permanent(channel, api):
    with pytest.raises(SendError) as caught:
        await channel.send(MEMBER, Outbound("x", [[Button("report:" + "đ" * 30, "Báo cáo")]]))
    assert caught.value.failure is Failure.PERMANENT
    assert api.calls == []


async def test_paid_broadcast(api):
    channel = TelegramChannel(api.token, api.url, paid_broadcast=True)
    await channel.send(MEMBER, Outbound("Thông báo"))
    await channel.send(MEMBER, Outbound("Poster", photo="https://cds.example.vn/p.jpg"))
    assert [call.params["allow_paid_broadcast"] for call in api.calls] == [True, True]
    assert channel.limits.per_second == 1000
    await channel.stop()


def test_limits_and_group_pacing():
    channel = TelegramChannel("1:x")
    assert (channel.code, channel.supports_buttons, channel.limits.per_second) == ("telegram", True, 30)
    assert channel.chat_interval(MEMBER) == 1.0
    assert channel.chat_interval(GROUP) == 3.0  # 20 messages a minute in a group


async def test_fetch_photo(channel, api):
    api.add_file("AgACAgIAAxkBAAFAKE-large", JPEG)
    assert await channel.fetch_photo("AgACAgIAAxkBAAFAKE-large") == JPEG


async def test_fetch_unknown_photo_is_permanent(channel):
    with pytest.raises(SendError) as caught:
        await channel.fetch_photo("no-such-file")
    assert caught.value.failure is Failure.PERMANENT


# -- error labels --------------------------------------------------------------------------

SCRIPTED = [
    ("429 retry after", 429, "Too Many Requests: retry after 5", 5, Failure.THROTTLED),
    ("403 blocked", 403, "Forbidden: bot was blocked by the user", None, Failure.GONE),
    ("403 deactivated", 403, "Forbidden: user is deactivated", None, Failure.GONE),
    ("400 chat not found", 400, "Bad Request: chat not found", None, Failure.GONE),
    ("400 other", 400, "Bad Request: can't parse entities: unsupported start tag", None, Failure.PERMANENT),
    ("500", 500, "Internal Server Error", None, Failure.RETRYABLE),
    ("502", 502, "Bad Gateway", None, Failure.RETRYABLE),
    ("401", 401, "Unauthorized", None, Failure.CONFIG),
]


@pytest.mark.parametrize(
    ("case", "status", "description", "retry_after", "failure"), SCRIPTED, ids=[c[0] for c in SCRIPTED]
)
async def test_error_label(channel, api, case, status, description, retry_after, failure):
    api.fail_next("sendMessage", status, description, retry_after=retry_after)
    with pytest.raises(SendError) as caught:
        await channel.send(MEMBER, Outbound("Xin chào"))
    assert caught.value.failure is failure
    assert caught.value.retry_after == (float(retry_after) if retry_after else None)
    assert await channel.send(MEMBER, Outbound("Xin chào")) == "1"  # the failure was for one call only


async def test_blocked_member_is_gone(channel, api):
    api.blocked.add(700000001)
    with pytest.raises(SendError) as caught:
        await channel.send(MEMBER, menu())
    assert caught.value.failure is Failure.GONE


async def test_flood_limit_per_chat_is_throttled(api):
    api.chat_interval = 1.0
    channel = TelegramChannel(api.token, api.url)
    await channel.send(MEMBER, Outbound("một"))
    with pytest.raises(SendError) as caught:
        await channel.send(MEMBER, Outbound("hai"))
    assert (caught.value.failure, caught.value.retry_after) == (Failure.THROTTLED, 1.0)
    assert api.throttled == 1 and [text for _, text, _ in api.sent] == ["một"]
    await channel.stop()


async def test_timeout_is_retryable(api):
    api.latency = 0.5
    channel = TelegramChannel(api.token, api.url, timeout=0.1)
    with pytest.raises(SendError) as caught:
        await channel.send(MEMBER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.RETRYABLE
    await channel.stop()


@pytest.mark.parametrize("token", ["123456789:AAWrongTokenButWellFormed-00000000000", "not-a-token"])
async def test_wrong_token_is_config(api, token):
    channel = TelegramChannel(token, api.url)
    with pytest.raises(SendError) as caught:
        await channel.send(MEMBER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.CONFIG
    assert token not in str(caught.value)
    with pytest.raises(SendError) as caught:
        await channel.start(lambda inbound: None)
    assert caught.value.failure is Failure.CONFIG
    await channel.stop()


async def test_server_down_is_retryable(api):
    channel = TelegramChannel(api.token, api.url)
    await api.close()
    with pytest.raises(SendError) as caught:
        await channel.send(MEMBER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.RETRYABLE
    await channel.stop()


async def test_token_and_phone_never_logged(api, caplog):
    caplog.set_level(logging.DEBUG)
    channel = TelegramChannel(api.token, api.url)
    await channel.start(lambda inbound: None)
    await channel.send(MEMBER, Outbound("Số của bạn: +84900000000"))
    api.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(SendError):
        await channel.send(MEMBER, Outbound("x"))
    await channel.stop()
    assert api.token not in caplog.text
    assert "84900000000" not in caplog.text
