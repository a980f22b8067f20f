"""Forged and malformed calls to the three webhooks: each gets its status and leaves nothing processed.

One running cdsbot (real HTTP, fake platforms) takes every case. "Nothing processed" means no new row in
the tables processing writes (conversations, message ids, OA events and users, replies) and no callback
query answered. Status 200 marks a signed Zalo OA event dropped at the door (Zalo re-delivers anything it
got no 200 for) and a replay acknowledged without being handled again.
"""

import copy
import hashlib
import json
import time

import pytest
import pytest_asyncio

from tests.channels.webhook_harness import (
    TELEGRAM,
    TELEGRAM_HEADERS,
    TELEGRAM_SECRET,
    ZALO_BOT,
    ZALO_BOT_HEADERS,
    ZALO_BOT_SECRET,
    ZALO_OA,
    encode,
    running,
    telegram_text,
    zalo_bot_text,
    zalo_oa_text,
)
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, signed

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 20_000 + b"1" + b"}" * 20_000
HUGE = 300 * 1024
HOUR_MS = 3_600_000
TG_SECRET_HEADER, ZB_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token", "X-Bot-Api-Secret-Token"


def _raw(body: dict, change) -> bytes:
    """The genuine body changed by `change` (a function of the body), or raw bytes posted instead of it."""
    if isinstance(change, bytes):
        return change
    return encode(change(body) if change else body)


def tg(change=None, headers=None):
    """A Telegram call: a fresh text update changed by `change`, with the right secret unless `headers` given."""
    return lambda: (TELEGRAM, _raw(telegram_text(), change), TELEGRAM_HEADERS if headers is None else headers)


def zb(change=None, headers=None):
    """A Zalo Bot call, built like `tg` from a fresh wrapped text update."""
    return lambda: (ZALO_BOT, _raw(zalo_bot_text(), change), ZALO_BOT_HEADERS if headers is None else headers)


def oa(change=None, sign=None):
    """A Zalo OA call: a fresh text event changed by `change`, then `sign(raw) -> (raw, headers)` (Zalo's MAC)."""
    return lambda: (ZALO_OA, *(sign or signed)(_raw(zalo_oa_text(), change)))


def _parent(body: dict, path: str) -> tuple[object, str]:
    *parents, last = path.split(".")
    for key in parents:
        body = body[key]
    return body, last


def setter(path: str, value):
    """Set a dotted path in the body (the path must exist up to its last key)."""
    def change(body: dict) -> dict:
        holder, last = _parent(body, path)
        holder[last] = copy.deepcopy(value)
        return body
    return change


def remover(path: str):
    """Delete a dotted path from the body."""
    def change(body: dict) -> dict:
        holder, last = _parent(body, path)
        del holder[last]
        return body
    return change


def mac_with(ident: str = APP_ID, secret: str = "", stamp: str | None = None):
    """A MAC Zalo never made: another id or key, or another timestamp (default: the body's), over the exact body."""
    def sign(raw: bytes) -> tuple[bytes, dict]:
        timestamp = stamp if stamp is not None else str(json.loads(raw).get("timestamp", ""))
        digest = hashlib.sha256(ident.encode() + raw + timestamp.encode() + secret.encode()).hexdigest()
        return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={digest}"}
    return sign


def signed_then(tamper):
    """Sign correctly, then change the body or headers in flight."""
    def sign(raw: bytes) -> tuple[bytes, dict]:
        good_raw, headers = signed(raw)
        return tamper(good_raw, dict(headers))
    return sign


def at_ms(offset_ms: int):
    return setter("timestamp", str(int(time.time() * 1000) + offset_ms))


CASES = [  # (id, build, expected status, replay: post the same call once first)
    # -- Telegram ----------------------------------------------------------------------------------
    ("tg wrong secret", tg(headers={TG_SECRET_HEADER: "not-the-secret"}), 403, False),
    ("tg missing secret", tg(headers={}), 403, False),
    ("tg empty secret", tg(headers={TG_SECRET_HEADER: ""}), 403, False),
    ("tg secret in other case", tg(headers={TG_SECRET_HEADER: TELEGRAM_SECRET.upper()}), 403, False),
    ("tg secret with extra", tg(headers={TG_SECRET_HEADER: TELEGRAM_SECRET + "x"}), 403, False),
    ("tg secret prefix", tg(headers={TG_SECRET_HEADER: TELEGRAM_SECRET[:-1]}), 403, False),
    ("tg zalo bot's secret", tg(headers={TG_SECRET_HEADER: ZALO_BOT_SECRET}), 403, False),
    ("tg wrong secret, deep body", tg(DEEP, headers={TG_SECRET_HEADER: "x"}), 403, False),
    ("tg not json", tg(b'{"update_id": 1,'), 400, False),
    ("tg empty body", tg(b""), 400, False),
    ("tg json list", tg(b"[1, 2]"), 400, False),
    ("tg NaN", tg(b'{"update_id": NaN}'), 400, False),
    ("tg no update_id", tg(remover("update_id")), 400, False),
    ("tg update_id a string", tg(setter("update_id", "12")), 400, False),
    ("tg update_id true", tg(setter("update_id", True)), 400, False),
    ("tg update_id 2**70", tg(setter("update_id", 2**70)), 400, False),
    ("tg message a string", tg(setter("message", "hi")), 400, False),
    ("tg date 1e20", tg(setter("message.date", 1e20)), 400, False),
    ("tg date negative", tg(setter("message.date", -5)), 400, False),
    ("tg chat id 500 chars", tg(setter("message.chat.id", "9" * 500)), 400, False),
    ("tg chat missing", tg(remover("message.chat")), 400, False),
    ("tg text a number", tg(setter("message.text", 12)), 400, False),
    ("tg text with a NUL", tg(setter("message.text", "a\u0000b")), 400, False),
    ("tg name with half a surrogate pair", tg(setter("message.from.first_name", "\ud800")), 400, False),
    ("tg photo of strings", tg(lambda u: remover("message.text")(setter("message.photo", ["a", "b"])(u))), 400, False),
    ("tg callback without from", tg(lambda u: {"update_id": u["update_id"], "callback_query": {"id": "1"}}), 400,
     False),
    ("tg callback id a number", tg(lambda u: {"update_id": u["update_id"], "callback_query": {
        "id": 5, "from": {"id": 700000001}, "data": "menu:report"}}), 400, False),
    ("tg 100,000 deep", tg(DEEP), 400, False),
    ("tg body over the limit", tg(setter("message.text", "x" * HUGE)), 413, False),
    ("tg replayed update", tg(), 200, True),
    # -- Zalo OA -----------------------------------------------------------------------------------
    ("oa wrong mac", oa(sign=signed_then(lambda r, h: (r, h | {"X-ZEvent-Signature": "mac=" + "0" * 64}))), 401,
     False),
    ("oa missing mac", oa(sign=signed_then(lambda r, h: (r, {"Content-Type": "application/json"}))), 401, False),
    ("oa empty mac", oa(sign=signed_then(lambda r, h: (r, h | {"X-ZEvent-Signature": "mac="}))), 401, False),
    ("oa mac with an empty key", oa(sign=mac_with(secret="")), 401, False),
    ("oa mac with the app secret", oa(sign=mac_with(secret=APP_SECRET)), 401, False),
    ("oa mac with the oa id", oa(sign=mac_with(ident=OA_ID, secret=OA_SECRET_KEY)), 401, False),
    ("oa mac over another timestamp", oa(sign=mac_with(secret=OA_SECRET_KEY, stamp="1")), 401, False),
    ("oa body changed after signing", oa(sign=signed_then(lambda r, h: (r.replace(b"Xin", b"Chao"), h))), 401, False),
    ("oa timestamp changed after signing", oa(sign=signed_then(lambda r, h: (r.replace(b'"timestamp": "1', b'"timestamp": "2'), h))), 401, False),  # noqa: E501
    ("oa body truncated", oa(sign=signed_then(lambda r, h: (r[:-1], h))), 400, False),
    ("oa mac of another event", oa(sign=signed_then(lambda r, h: (encode(zalo_oa_text()), h))), 401, False),
    ("oa not json", oa(b'{"event_name": ', sign=lambda r: signed(r, timestamp="")), 400, False),
    ("oa json list", oa(b'[{"event_name": "user_send_text"}]', sign=lambda r: signed(r, timestamp="")), 400, False),
    ("oa no event_name", oa(remover("event_name")), 400, False),
    ("oa event_name a number", oa(setter("event_name", 7)), 400, False),
    ("oa 100,000 deep, unsigned", oa(DEEP, sign=lambda r: (r, {"X-ZEvent-Signature": "mac=" + "1" * 64})), 400,
     False),
    ("oa 100,000 deep, signed", oa(DEEP, sign=lambda r: signed(r, timestamp="")), 400, False),
    ("oa 20,000 deep objects", oa(DEEP_OBJECT, sign=lambda r: signed(r, timestamp="")), 400, False),
    ("oa body over the limit", oa(setter("message.text", "x" * HUGE)), 413, False),
    ("oa stale: 13 hours old", oa(at_ms(-13 * HOUR_MS)), 200, False),
    ("oa stale: a year old", oa(at_ms(-365 * 24 * HOUR_MS)), 200, False),
    ("oa stamped an hour ahead", oa(at_ms(HOUR_MS)), 200, False),
    ("oa no timestamp", oa(remover("timestamp")), 200, False),
    ("oa timestamp not a number", oa(setter("timestamp", "yesterday")), 200, False),
    ("oa timestamp with half a surrogate pair", oa(setter("timestamp", "1\udfff"),
                                                  sign=lambda r: (r, {"X-ZEvent-Signature": "mac=" + "2" * 64})), 401,
     False),
    ("oa sender id an object", oa(setter("sender.id", {"id": "1"})), 200, False),
    ("oa sender id 500 chars", oa(setter("sender.id", "1" * 500)), 200, False),
    ("oa message a string", oa(setter("message", "hi")), 200, False),
    ("oa text a number", oa(setter("message.text", 12)), 200, False),
    ("oa attachments an object", oa(lambda e: setter("event_name", "user_send_image")(
        setter("message.attachments", {"type": "image"})(e))), 200, False),
    ("oa replayed event", oa(), 200, True),
    ("oa replayed follow (no msg_id)", oa(lambda e: {"app_id": APP_ID, "event_name": "follow", "oa_id": OA_ID,
                                                     "follower": {"id": "8000000000000000999"},
                                                     "timestamp": e["timestamp"]}), 200, True),
    # -- Zalo Bot ----------------------------------------------------------------------------------
    ("zb wrong secret", zb(headers={ZB_SECRET_HEADER: "not-the-secret"}), 403, False),
    ("zb missing secret", zb(headers={}), 403, False),
    ("zb telegram's secret", zb(headers={ZB_SECRET_HEADER: TELEGRAM_SECRET}), 403, False),
    ("zb secret with extra", zb(headers={ZB_SECRET_HEADER: ZALO_BOT_SECRET + "x"}), 403, False),
    ("zb not json", zb(b'{"event_name": '), 400, False),
    ("zb empty object", zb(b"{}"), 400, False),
    ("zb no update in result", zb(b'{"ok": true, "result": {}}'), 400, False),
    ("zb text a number", zb(setter("result.message.text", 12)), 400, False),
    ("zb message a string", zb(setter("result.message", "hi")), 400, False),
    ("zb date 1e20", zb(setter("result.message.date", 1e20)), 400, False),
    ("zb no message_id", zb(remover("result.message.message_id")), 400, False),
    ("zb chat id 500 chars", zb(setter("result.message.chat.id", "c" * 500)), 400, False),
    ("zb sender a list", zb(lambda u: remover("result.message.chat")(setter("result.message.from", [1])(u))), 400,
     False),
    ("zb second of two malformed", zb(lambda u: [u["result"], {"event_name": "message.text.received",
                                                               "message": "x"}]), 400, False),
    ("zb list with a number in it", zb(lambda u: [u["result"], 5]), 400, False),
    ("zb 100,000 deep", zb(DEEP), 400, False),
    ("zb NaN date", zb(b'{"event_name": "message.text.received", "message": {"message_id": "m", "date": NaN}}'),
     400, False),
    ("zb body over the limit", zb(setter("result.message.text", "x" * HUGE)), 413, False),
    ("zb replayed message", zb(), 200, True),
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot(tmp_path_factory):
    async with running(tmp_path_factory.mktemp("forged")) as bot:
        yield bot


@pytest.mark.filterwarnings("ignore::pytest.PytestWarning")  # a plain check under the module's asyncio mark
def test_the_table_has_fifty_variants_or_more():
    assert len(CASES) >= 50 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("case", "build", "status", "replay"), CASES, ids=[c[0] for c in CASES])
async def test_forged_call_is_refused_and_nothing_processed(bot, case, build, status, replay):
    path, raw, headers = build()
    if replay:
        assert await bot.post(path, raw, headers) == 200
    before = await bot.processed()
    assert await bot.post(path, raw, headers) == status
    assert await bot.processed() == before
    assert bot.tracebacks.lines() == []


@pytest.mark.parametrize("build", [tg(), oa(), zb()], ids=["telegram", "zalo_oa", "zalo_bot"])
async def test_the_genuine_call_is_processed(bot, build):
    """The control: the same calls untampered are handled, so the refusals above are not vacuous."""
    before = await bot.processed()
    assert await bot.post(*build()) == 200
    after = await bot.processed()
    assert after["inbound_seen"] == before["inbound_seen"] + 1 and after["delivery"] > before["delivery"]
