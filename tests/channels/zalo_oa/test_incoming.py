"""Incoming table: OA webhook bodies (testdata/*.json) → the Inbound the core sees; signatures, storage, order."""

import asyncio
import time
from dataclasses import asdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.channels.zalo_oa import to_inbound
from bot.db.zalo import ZaloEvent, ZaloOAUser
from tests.channels.zalo_oa.conftest import body, make_channel, open_hook
from tests.fakes.zalo_oa_api import APP_SECRET, OA_ID, signed

USER = "8000000000000000001"
SENT_AT = datetime.fromtimestamp(1760000000, UTC)
PHOTO = "https://photo-stal-1.zdn.vn/fake/photo-0001.jpg"


def fields(inbound) -> dict:
    return {key: value for key, value in asdict(inbound).items() if value is not None}


CASES = [
    ("user_send_text", {"message_id": "a1b2c3d4e5f60001", "text": "Xin chào"}),
    ("query_tap", {"message_id": "a1b2c3d4e5f60002", "payload": "menu:guides"}),
    ("user_send_image", {"message_id": "a1b2c3d4e5f60003", "photo": PHOTO, "text": "Buổi tập huấn ở thôn 3"}),
    ("user_send_sticker", {"message_id": "a1b2c3d4e5f60004"}),
    ("follow", {"event": "unblocked"}),
    ("unfollow", {"event": "blocked"}),
    ("user_seen_message", None),
    ("oa_send_text", None),  # the OA's own message echoed back
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[case[0] for case in CASES])
async def test_event_to_inbound(hook, name, expected):
    assert await hook.post(*signed(body(name))) == 200
    if expected is None:
        assert hook.received == []
    else:
        (got,) = hook.received
        want = {"channel": "zalo_oa", "external_id": USER, "received_at": SENT_AT} | expected
        assert fields(got) == {"message_id": got.message_id} | want  # follow events: message_id is the event key
    async with hook.channel.db.session() as session:
        (event,) = (await session.execute(select(ZaloEvent))).scalars().all()
    assert event.body == body(name) and event.processed_at is not None and event.error is None


def test_follow_without_msg_id_uses_the_event_key():
    assert to_inbound(body("follow"), "sha256:abc").message_id == "sha256:abc"


async def test_contact_and_follow_state_are_recorded(hook):
    await hook.post(*signed(body("follow")))
    async with hook.channel.db.session() as session:
        user = await session.get(ZaloOAUser, USER)
        assert (user.following, user.last_interaction_at) == (True, SENT_AT)
    later = body("user_send_text") | {"timestamp": "1760086400000"}
    await hook.post(*signed(later))
    await hook.post(*signed(body("unfollow")))  # an older event: does not move the last interaction back
    async with hook.channel.db.session() as session:
        user = await session.get(ZaloOAUser, USER)
        assert user.following is False
        assert user.last_interaction_at == datetime.fromtimestamp(1760086400, UTC)


async def test_redelivered_event_is_processed_once(hook):
    raw, headers = signed(body("user_send_text"))
    assert [await hook.post(raw, headers) for _ in range(3)] == [200, 200, 200]
    assert len(hook.received) == 1
    async with hook.channel.db.session() as session:
        assert len((await session.execute(select(ZaloEvent))).all()) == 1


async def test_redelivered_event_without_msg_id_is_processed_once(hook):
    raw, headers = signed(body("follow"))
    await hook.post(raw, headers)
    await hook.post(raw, headers)
    assert len(hook.received) == 1


BAD = [
    ("forged signature", lambda raw, h: (raw, h | {"X-ZEvent-Signature": "mac=" + "0" * 64}), 401),
    ("missing signature", lambda raw, h: (raw, {"Content-Type": "application/json"}), 401),
    ("app secret instead of OA secret", lambda raw, h: signed(raw, secret=APP_SECRET), 401),
    ("body changed after signing", lambda raw, h: (raw.replace(b"Xin", b"Chao"), h), 401),
    ("not json", lambda raw, h: signed(b'{"event_name": "user_send_text",', timestamp="1"), 400),
    ("json list", lambda raw, h: signed(b"[1, 2]", timestamp="1"), 400),
    ("no event_name", lambda raw, h: signed({"timestamp": "1760000000000", "sender": {"id": USER}}), 400),
]


@pytest.mark.parametrize(("case", "tamper", "status"), BAD, ids=[b[0] for b in BAD])
async def test_bad_requests_are_refused_and_not_stored(hook, case, tamper, status):
    raw, headers = tamper(*signed(body("user_send_text")))
    assert await hook.post(raw, headers) == status
    assert hook.received == []
    async with hook.channel.db.session() as session:
        assert (await session.execute(select(ZaloEvent))).first() is None


async def test_signature_without_mac_prefix_is_accepted(hook):
    assert await hook.post(*signed(body("user_send_text"), prefix="")) == 200
    assert len(hook.received) == 1


VARIANTS = [  # (channel settings, how Zalo would sign)
    ({"mac_id": "oa_id"}, {"ident": OA_ID}),
    ({"mac_secret": "app_secret"}, {"secret": APP_SECRET}),
    ({"mac_timestamp": "header"}, {"timestamp": "1760000001234"}),
    ({"mac_id": "oa_id", "mac_secret": "app_secret", "mac_timestamp": "header"},
     {"ident": OA_ID, "secret": APP_SECRET, "timestamp": "1760000001234"}),
]


@pytest.mark.parametrize(("settings", "signing"), VARIANTS, ids=["oa_id", "app_secret", "header_ts", "all"])
async def test_configurable_mac_variants(db, api, settings, signing):
    channel = make_channel(db, api, **settings)
    hook, client = await open_hook(channel)
    try:
        assert await hook.post(*signed(body("user_send_text"), **signing)) == 200
        assert await hook.post(*signed(body("query_tap"))) == 401  # the default recipe no longer matches
        assert [i.text or i.payload for i in hook.received] == ["Xin chào"]
    finally:
        await client.close()
        await channel.stop()


def test_unknown_mac_setting_is_refused(db):
    with pytest.raises(ValueError):
        make_channel(db, type("Api", (), {"url": "", "access_token": "", "refresh_token": ""}), mac_id="user_id")


async def test_stored_but_unprocessed_events_are_processed_on_start(db, api):
    channel = make_channel(db, api)
    hook, client = await open_hook(channel)
    await channel.stop()  # the process dies: the webhook still answers and stores, nothing processes
    for name in ("user_send_text", "query_tap"):
        assert (await client.post("/webhooks/zalo_oa", data=signed(body(name))[0],
                                  headers=signed(body(name))[1])).status == 200
    assert hook.received == []
    await client.close()

    restarted = make_channel(db, api)
    hook, client = await open_hook(restarted)
    await restarted.idle()
    assert [(i.text, i.payload) for i in hook.received] == [("Xin chào", None), (None, "menu:guides")]
    async with db.session() as session:
        assert all(e.processed_at for e in (await session.execute(select(ZaloEvent))).scalars())
    await client.close()
    await restarted.stop()


async def test_failed_processing_is_retried_on_next_start(db, api):
    channel = make_channel(db, api)
    hook, client = await open_hook(channel)

    async def broken(inbound):
        raise RuntimeError("database down")

    await channel.stop()
    await channel.start(broken)
    await hook.post(*signed(body("user_send_text")))
    async with db.session() as session:
        (event,) = (await session.execute(select(ZaloEvent))).scalars().all()
        assert event.processed_at is None
    await channel.stop()
    await client.close()
    restarted = make_channel(db, api)
    hook, client = await open_hook(restarted)
    await restarted.idle()
    assert [i.text for i in hook.received] == ["Xin chào"]
    await client.close()
    await restarted.stop()


async def test_fetch_photo_downloads_the_url(channel, api):
    assert (await channel.fetch_photo(f"{api.url}/photos/p1.jpg")).startswith(b"\xff\xd8")


async def test_webhook_answers_before_processing(db, api):
    """Zalo gives 2 seconds: the 200 goes out while a slow core is still busy with the event."""
    channel = make_channel(db, api)
    hook, client = await open_hook(channel)
    release = asyncio.Event()

    async def slow(inbound):
        await release.wait()
        hook.received.append(inbound)

    await channel.stop()
    await channel.start(slow)
    started = time.monotonic()
    response = await client.post("/webhooks/zalo_oa", data=signed(body("user_send_text"))[0],
                                 headers=signed(body("user_send_text"))[1])
    assert response.status == 200 and time.monotonic() - started < 0.5
    assert hook.received == []
    release.set()
    await channel.idle()
    assert [i.text for i in hook.received] == ["Xin chào"]
    await client.close()
    await channel.stop()
