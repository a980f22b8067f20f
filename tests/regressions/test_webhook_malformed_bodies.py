"""Issue 19, item 5: malformed webhook bodies are answered 4xx with nothing processed, never a 500 or a traceback.

Before: 303 of 6,200 mutated Telegram updates got HTTP 500 (a message that is a string, a date of 1e20,
100,000-deep JSON, the last on all three webhooks and on Zalo OA before the signature was checked), and a
Zalo Bot update with a number as text got 200, a traceback and no reply. Found while fixing: a text with
half a surrogate pair (JSON `\\ud800`) reached the core and failed there with a traceback, and a NUL would
fail on PostgreSQL; a Zalo OA timestamp with half a surrogate pair made the MAC check itself fail (500)
before the signature was known.
"""

import json

import pytest

from tests.channels.webhook_harness import (
    TELEGRAM,
    TELEGRAM_HEADERS,
    ZALO_BOT,
    ZALO_BOT_HEADERS,
    ZALO_OA,
    encode,
    running,
    telegram_text,
    zalo_bot_text,
    zalo_oa_text,
)
from tests.fakes.zalo_oa_api import signed

DEEP = b"[" * 100_000 + b"]" * 100_000


def message_is(value):
    def change(update: dict) -> dict:
        update["message"] = value
        return update
    return change


def date_is(value):
    def change(update: dict) -> dict:
        update["message"]["date"] = value
        return update
    return change


def zalo_bot_text_is(value):
    def change(update: dict) -> dict:
        update["result"]["message"]["text"] = value
        return update
    return change


CASES = [
    ("telegram message is a string", TELEGRAM, lambda: (encode(message_is("hi")(telegram_text())), TELEGRAM_HEADERS)),
    ("telegram date 1e20", TELEGRAM, lambda: (encode(date_is(1e20)(telegram_text())), TELEGRAM_HEADERS)),
    ("telegram 100,000 deep", TELEGRAM, lambda: (DEEP, TELEGRAM_HEADERS)),
    ("zalo_oa 100,000 deep, unsigned", ZALO_OA, lambda: (DEEP, {"X-ZEvent-Signature": "mac=" + "0" * 64})),
    ("zalo_bot 100,000 deep", ZALO_BOT, lambda: (DEEP, ZALO_BOT_HEADERS)),
    ("zalo_bot text is a number", ZALO_BOT, lambda: (encode(zalo_bot_text_is(12)(zalo_bot_text())), ZALO_BOT_HEADERS)),
    ("zalo_bot date 1e20", ZALO_BOT, lambda: (encode(date_is(1e20)(zalo_bot_text()["result"])), ZALO_BOT_HEADERS)),
    ("telegram text with half a surrogate pair", TELEGRAM,
     lambda: (json.dumps(telegram_text(text="\ud800 x")).encode(), TELEGRAM_HEADERS)),
    ("zalo_bot text with a NUL", ZALO_BOT, lambda: (encode(zalo_bot_text(text="a\u0000b")), ZALO_BOT_HEADERS)),
    ("zalo_oa timestamp with half a surrogate pair, unsigned", ZALO_OA,
     lambda: (encode(zalo_oa_text() | {"timestamp": "1\udfff"}), {"X-ZEvent-Signature": "mac=" + "0" * 64})),
    ("zalo_bot list of an update and a number", ZALO_BOT,
     lambda: (encode([zalo_bot_text()["result"], 5]), ZALO_BOT_HEADERS)),  # was: the update handled, 200
    ("telegram body of 1 MB", TELEGRAM, lambda: (b" " * 2**20 + encode(telegram_text()), TELEGRAM_HEADERS)),
]


@pytest.mark.parametrize(("case", "path", "build"), CASES, ids=[c[0] for c in CASES])
async def test_refused_with_a_4xx_and_nothing_processed(tmp_path, case, path, build):
    async with running(tmp_path) as bot:
        before = await bot.processed()
        status = await bot.post(path, *build())
        assert 400 <= status < 500, status
        assert await bot.processed() == before
        assert bot.tracebacks.lines() == []


async def test_a_signed_zalo_oa_event_of_the_wrong_shape_is_dropped_with_200(tmp_path, caplog):
    """Zalo re-delivers anything it gets no 200 for; the event is dropped at the door, not stored half-read."""
    event = zalo_oa_text()
    event["sender"] = {"id": {"nested": "x"}}
    async with running(tmp_path) as bot:
        before = await bot.processed()
        assert await bot.post(ZALO_OA, *signed(event)) == 200
        assert await bot.processed() == before
        assert bot.tracebacks.lines() == []
    assert any("dropped: malformed" in r.getMessage() for r in caplog.records)
