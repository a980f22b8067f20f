"""Outgoing table: an Outbound → the exact Bot API calls, and how each error is labelled."""

import json
import logging
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.base import Failure, SendError
from bot.channels.zalo_bot import ZaloBotChannel
from bot.core.messages import Button, Outbound
from tests.fakes.zalo_bot_api import FakeZaloBot

CHAT = "a1b2c3d4e5f6a7b8c9d0"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg-bytes"
PUBLIC = "https://cds.example.vn"
ERRORS = Path(__file__).parent / "testdata" / "errors"


async def assert_served(channel: ZaloBotChannel, url: str) -> None:
    """The channel's own route serves the photo behind `url` (JPEG), and nothing for a guessed token."""
    app = web.Application()
    channel.setup_routes(app)
    async with TestClient(TestServer(app)) as client:
        served = await client.get(url.removeprefix(PUBLIC))
        assert served.status == 200 and await served.read() == JPEG
        assert (await client.get("/media/zalo/guessed-token")).status == 404


@pytest.fixture
async def api():
    async with FakeZaloBot() as fake:
        yield fake


@pytest.fixture
async def channel(api):
    channel = ZaloBotChannel(api.token, api.url, public_url=PUBLIC + "/")
    yield channel
    await channel.stop()


async def test_text(channel, api):
    assert await channel.send(CHAT, Outbound("Cảm ơn bạn!")) == "m1"
    assert [(c.method, c.params) for c in api.calls] == [("sendMessage", {"chat_id": CHAT, "text": "Cảm ơn bạn!"})]


async def test_long_text_is_split_at_2000(channel, api):
    text = "\n".join(f"Đoạn {n}: " + "chữ " * 150 for n in range(8))
    assert await channel.send(CHAT, Outbound(text)) == "m3"
    pieces = [c.params["text"] for c in api.calls]
    assert len(pieces) == 3 and all(len(p) <= 2000 for p in pieces)


async def test_buttons_are_not_sent_as_such(channel, api):
    """The core numbers the options for this channel; stray buttons never reach Zalo."""
    await channel.send(CHAT, Outbound("Chọn:", [[Button("a", "A")]]))
    assert api.calls[0].params == {"chat_id": CHAT, "text": "Chọn:"}


async def test_photo_url_with_caption(channel, api):
    await channel.send(CHAT, Outbound("Poster", photo="https://cdn.example.vn/p.jpg"))
    assert api.calls[0].params == {"chat_id": CHAT, "photo": "https://cdn.example.vn/p.jpg", "caption": "Poster"}


async def test_local_photo_is_served_from_the_public_url(channel, api, tmp_path):
    photo = tmp_path / "poster.jpg"
    photo.write_bytes(JPEG)
    await channel.send(CHAT, Outbound("Lịch tập huấn", photo=str(photo)))
    await channel.send(CHAT, Outbound("", photo=str(photo)))
    first, second = api.calls
    url = first.params["photo"]
    assert url.startswith(f"{PUBLIC}/media/zalo/") and len(url) > len(f"{PUBLIC}/media/zalo/") + 20
    assert second.params == {"chat_id": CHAT, "photo": url}  # same file, same URL; no empty caption
    await assert_served(channel, url)


async def test_local_photo_without_public_url_sends_the_text(api, tmp_path, caplog):
    channel = ZaloBotChannel(api.token, api.url)
    photo = tmp_path / "poster.jpg"
    photo.write_bytes(JPEG)
    await channel.send(CHAT, Outbound("Lịch tập huấn", photo=str(photo)))
    assert [(c.method, c.params["text"]) for c in api.calls] == [("sendMessage", "Lịch tập huấn")]
    assert "PUBLIC_URL" in caplog.text
    await channel.stop()


async def test_photo_with_long_text_sends_photo_then_text(channel, api):
    text = "Nội dung dài. " * 200  # 2,800 characters
    await channel.send(CHAT, Outbound(text, photo="https://cdn.example.vn/p.jpg"))
    assert [c.method for c in api.calls] == ["sendPhoto", "sendMessage", "sendMessage"]
    assert "caption" not in api.calls[0].params


# Every code on the platform's error-code page (testdata/errors/<code>.json, the platform's own answer shape)
# and the outbox label it must get. 403 is "internal server error" there: retried, the member is not gone.
ERROR_PAGE = {
    400: (Failure.PERMANENT, None),
    401: (Failure.CONFIG, None),
    403: (Failure.RETRYABLE, None),
    404: (Failure.PERMANENT, None),
    408: (Failure.RETRYABLE, None),
    429: (Failure.THROTTLED, 5.0),
}


def test_every_documented_code_is_in_the_table():
    assert sorted(int(path.stem) for path in ERRORS.glob("*.json")) == sorted(ERROR_PAGE)


@pytest.mark.parametrize("code", sorted(ERROR_PAGE), ids=str)
async def test_error_page_code_label(channel, api, code):
    answer = json.loads((ERRORS / f"{code}.json").read_text("utf-8"))
    assert answer["ok"] is False and answer["error_code"] == code
    api.fail_next("sendMessage", code, answer["description"], answer.get("parameters"))
    with pytest.raises(SendError) as caught:
        await channel.send(CHAT, Outbound("Xin chào"))
    assert (caught.value.failure, caught.value.retry_after) == ERROR_PAGE[code]
    assert answer["description"] in caught.value.detail
    assert await channel.send(CHAT, Outbound("Xin chào")) is not None  # the error was for one call


OTHER_LABELS = [
    (429, {"retry_after": 7}, Failure.THROTTLED, 7.0),  # a retry_after, when given, is honoured
    (500, None, Failure.RETRYABLE, None),
    (502, None, Failure.RETRYABLE, None),
    (418, None, Failure.PERMANENT, None),  # an undocumented 4xx
]


@pytest.mark.parametrize(("code", "parameters", "failure", "retry_after"), OTHER_LABELS,
                         ids=[f"{c[0]}{'+retry' if c[1] else ''}" for c in OTHER_LABELS])
async def test_error_label(channel, api, code, parameters, failure, retry_after):
    api.fail_next("sendMessage", code, "error", parameters)
    with pytest.raises(SendError) as caught:
        await channel.send(CHAT, Outbound("Xin chào"))
    assert (caught.value.failure, caught.value.retry_after) == (failure, retry_after)


async def test_not_a_bot_api_answer_is_config(api):
    """A web server's own 404 page (a wrong API URL) stops the channel; the platform's 404 does not."""
    channel = ZaloBotChannel(api.token, api.url + "/not-the-bot-api")
    with pytest.raises(SendError) as caught:
        await channel.send(CHAT, Outbound("Xin chào"))
    assert caught.value.failure is Failure.CONFIG
    await channel.stop()


async def test_wrong_token_is_config_and_not_leaked(api, caplog):
    caplog.set_level(logging.DEBUG, logger="bot")
    channel = ZaloBotChannel("999:wrong-token-000000", api.url)
    with pytest.raises(SendError) as caught:
        await channel.send(CHAT, Outbound("Xin chào"))
    assert caught.value.failure is Failure.CONFIG and "wrong-token" not in str(caught.value)
    await channel.stop()


async def test_network_error_is_retryable(api):
    channel = ZaloBotChannel(api.token, "http://127.0.0.1:9")
    with pytest.raises(SendError) as caught:
        await channel.send(CHAT, Outbound("Xin chào"))
    assert caught.value.failure is Failure.RETRYABLE and api.token not in str(caught.value)
    await channel.stop()


def test_limits():
    assert (ZaloBotChannel.code, ZaloBotChannel.supports_buttons) == ("zalo_bot", False)
