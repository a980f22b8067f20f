"""Outgoing table: an Outbound → the exact OA API requests, and how each Zalo error code is labelled."""

import json
import logging
from datetime import UTC, datetime

import pytest

from bot.channels.base import Failure, SendError
from bot.clock import FakeClock
from bot.core.messages import Button, Outbound
from tests.channels.zalo_oa.conftest import TESTDATA, body, make_channel

USER = "8000000000000000001"
CS = "/v3.0/oa/message/cs"
UPLOAD = "/v2.0/oa/upload/image"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg-bytes"


def query(payload: str, title: str) -> dict:
    return {"title": title, "type": "oa.query.hide", "payload": "#cds:" + payload}


async def test_text(channel, api):
    assert await channel.send(USER, Outbound("Cảm ơn bạn!")) == "msg0001"
    (call,) = api.calls
    assert (call.path, call.token) == (CS, "access-0")
    assert call.body == {"recipient": {"user_id": USER}, "message": {"text": "Cảm ơn bạn!"}}


async def test_long_text_is_split_at_2000(channel, api):
    text = "\n".join(f"Đoạn {n}: " + "chữ " * 150 for n in range(8))  # ~4,900 characters
    await channel.send(USER, Outbound(text))
    pieces = [m["text"] for m in api.sent]
    assert len(pieces) == 3 and all(len(p) <= 2000 for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


async def test_buttons_as_query_buttons(channel, api):
    """The v3 "text with buttons" request, exactly as in testdata (shape and sources: docs/zalo-api.md)."""
    rows = [[Button("menu:guides", "📚 Hướng dẫn"), Button("menu:team", "👥 Tổ")], [Button("menu:help", "❓")]]
    await channel.send(USER, Outbound("Chọn một mục:", rows))
    assert api.delivered == [body("cs_text_with_buttons")]
    assert api.sent[0]["attachment"]["payload"]["buttons"][0] == query("menu:guides", "📚 Hướng dẫn")


async def test_more_than_five_buttons_become_numbered_lines(channel, api):
    buttons = [[Button(f"pick:{n}", f"Mục {n}")] for n in range(1, 8)]
    await channel.send(USER, Outbound("Chọn:", buttons))
    payload = api.sent[0]["attachment"]["payload"]
    assert [b["payload"] for b in payload["buttons"]] == [f"#cds:pick:{n}" for n in range(1, 6)]
    assert api.sent[0]["text"] == "Chọn:\n\n6. Mục 6\n7. Mục 7"


async def test_photo_upload_is_reused_and_reuploaded_when_expired(channel, api, tmp_path):
    photo = tmp_path / "poster.jpg"
    photo.write_bytes(JPEG)
    await channel.send(USER, Outbound("Lịch tập huấn", photo=str(photo)))
    await channel.send("8000000000000000002", Outbound("Lịch tập huấn", photo=str(photo)))
    assert len(api.calls_to(UPLOAD)) == 1  # one upload for both members
    assert api.uploads["att0001"] == JPEG
    element = {"media_type": "image", "attachment_id": "att0001"}
    assert api.sent[0] == {"text": "Lịch tập huấn", "attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [element]}}}  # fmt: skip
    api.expired_attachments.add("att0001")
    await channel.send(USER, Outbound("", photo=str(photo)))
    assert len(api.calls_to(UPLOAD)) == 2
    assert api.sent[-1]["attachment"]["payload"]["elements"][0]["attachment_id"] == "att0004"
    assert "text" not in api.sent[-1]


async def test_photo_upload_is_renewed_after_six_and_a_half_days(db, api, tmp_path):
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    channel = make_channel(db, api, clock=clock)
    photo = tmp_path / "poster.jpg"
    photo.write_bytes(JPEG)
    await channel.send(USER, Outbound("", photo=str(photo)))
    clock.advance(days=6, hours=13)
    await channel.send(USER, Outbound("", photo=str(photo)))
    assert len(api.calls_to(UPLOAD)) == 2
    await channel.stop()


async def test_photo_by_url_skips_upload(channel, api):
    await channel.send(USER, Outbound("Poster", photo="https://cds.example.vn/p.jpg"))
    assert api.calls_to(UPLOAD) == []
    assert api.sent[0]["attachment"]["payload"]["elements"] == [{"media_type": "image",
                                                                 "url": "https://cds.example.vn/p.jpg"}]


async def test_photo_with_buttons_sends_photo_then_text_with_buttons(channel, api):
    await channel.send(USER, Outbound("Xem poster", [[Button("ok", "OK")]], photo="https://cds.example.vn/p.jpg"))
    photo, text = api.sent
    assert "text" not in photo and photo["attachment"]["payload"]["template_type"] == "media"
    assert text["attachment"]["payload"]["buttons"] == [query("ok", "OK")]


async def test_missing_photo_file_is_permanent(channel, api, tmp_path):
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("x", photo=str(tmp_path / "gone.jpg")))
    assert caught.value.failure is Failure.PERMANENT and api.calls == []


# -- error labels --------------------------------------------------------------------------

LABELS = [
    (-32, Failure.THROTTLED, 60, ""),
    (-211, Failure.THROTTLED, 3600, "quota"),
    (-218, Failure.PERMANENT, None, "recipient quota"),
    (-230, Failure.OUT_OF_WINDOW, None, ""),
    (-232, Failure.OUT_OF_WINDOW, None, ""),
    (-213, Failure.GONE, None, ""),
    (-227, Failure.GONE, None, ""),
    (-201, Failure.PERMANENT, None, ""),
    (-233, Failure.PERMANENT, None, ""),
]


@pytest.mark.parametrize(("code", "failure", "retry_after", "detail"), LABELS, ids=[str(c[0]) for c in LABELS])
async def test_error_label(channel, api, code, failure, retry_after, detail):
    api.fail_next(CS, code)
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("Xin chào"))
    assert (caught.value.failure, caught.value.retry_after) == (failure, retry_after)
    assert caught.value.detail.startswith(detail)
    assert await channel.send(USER, Outbound("Xin chào")) is not None  # the error was for one call


async def test_outside_window_is_held_not_gone(channel, api):
    api.outside_window.add(USER)
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("Nhắc họp tổ"))
    assert caught.value.failure is Failure.OUT_OF_WINDOW


async def test_not_following_is_gone(channel, api):
    api.not_following.add(USER)
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.GONE


TOKEN_ERRORS = sorted(TESTDATA.glob("errors/token*.json"))  # -216, 216, -401, 401 seen in production; -220


def test_token_error_table():
    assert sorted(json.loads(path.read_text("utf-8"))["error"] for path in TOKEN_ERRORS) == [-401, -220, -216,
                                                                                           216, 401]


@pytest.mark.parametrize("answer", TOKEN_ERRORS, ids=lambda path: path.stem)
async def test_rejected_token_is_refreshed_once_and_the_call_repeated(channel, api, answer):
    code = json.loads(answer.read_text("utf-8"))["error"]
    await channel.send(USER, Outbound("một"))
    api.fail_next(CS, code)
    assert await channel.send(USER, Outbound("hai")) is not None
    assert [c.token for c in api.calls_to(CS)] == ["access-0", "access-0", "access-1"]
    assert len(api.refresh_calls) == 1
    assert api.refresh_calls[0] == {"refresh_token": "refresh-0", "app_id": "1234567890123456789",
                                    "grant_type": "refresh_token", "secret_key": "fakeAppSecret0000000"}


@pytest.mark.parametrize("code", [216, -401, 401])
async def test_a_revoked_token_answered_with_any_variant_is_refreshed(channel, api, code):
    """Zalo revoked our token (another login, an admin); it says so with whichever code it uses."""
    await channel.send(USER, Outbound("một"))
    api.invalid_token_error, api.access_token = code, "issued-elsewhere"
    assert await channel.send(USER, Outbound("hai")) is not None
    assert [c.token for c in api.calls_to(CS)] == ["access-0", "access-0", "access-1"]


async def test_token_rejected_again_after_refresh_is_config(channel, api):
    api.fail_next(CS, -216, times=2)
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.CONFIG
    assert len(api.refresh_calls) == 1


async def test_refused_refresh_is_config(channel, api):
    api.refresh_token = "someone-else-used-ours"
    api.expire_access_token()
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.CONFIG


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error_is_retryable(channel, api, status):
    api.fail_http(CS, status)
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.RETRYABLE


async def test_network_error_is_retryable(db, api):
    dead = make_channel(db, api, api_url="http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(SendError) as caught:
        await dead.send(USER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.RETRYABLE
    await dead.stop()


async def test_wrong_api_url_is_config(db, api):
    wrong = make_channel(db, api, api_url=api.url + "/nothing-here")
    with pytest.raises(SendError) as caught:
        await wrong.send(USER, Outbound("Xin chào"))
    assert caught.value.failure is Failure.CONFIG
    await wrong.stop()


async def test_tokens_and_phone_never_logged(channel, api, caplog):
    for name in ("bot", "aiohttp"):  # aiosqlite's own DEBUG log prints SQL parameters, any secret in any row
        caplog.set_level(logging.DEBUG, logger=name)
    await channel.send(USER, Outbound("Số của bạn: +84900000000"))
    api.expire_access_token()
    await channel.send(USER, Outbound("x"))
    for secret in ("access-0", "refresh-0", "access-1", "refresh-1", "fakeAppSecret", "84900000000"):
        assert secret not in caplog.text


def test_limits():
    from bot.channels.zalo_oa import ZaloOAChannel

    assert (ZaloOAChannel.code, ZaloOAChannel.supports_buttons) == ("zalo_oa", True)
    assert ZaloOAChannel.limits.per_second == 30 and ZaloOAChannel.limits.chat_interval == 0.2


@pytest.mark.real_window
async def test_nothing_is_sent_outside_the_seven_day_window(db, channel, api):
    from datetime import UTC, datetime, timedelta

    from bot.db.zalo import ZaloOAUser

    async with db.session() as session:
        session.add(ZaloOAUser(user_id=USER, last_interaction_at=datetime.now(UTC) - timedelta(days=8)))
        session.add(ZaloOAUser(user_id="recent", last_interaction_at=datetime.now(UTC) - timedelta(days=6)))
        await session.commit()
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("Nhắc họp tổ"))
    assert caught.value.failure is Failure.OUT_OF_WINDOW and api.calls == []
    assert await channel.send("recent", Outbound("Nhắc họp tổ")) is not None
    with pytest.raises(SendError):
        await channel.send("never-seen", Outbound("Nhắc họp tổ"))
