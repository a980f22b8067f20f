"""The OA token pair: proactive refresh, one refresh for concurrent sends, no lock-out after a crash."""

import asyncio
from datetime import UTC, datetime

import pytest

from bot.channels.base import Failure, SendError
from bot.clock import FakeClock
from bot.core.messages import Outbound
from bot.db.session import Database
from bot.db.zalo import ZaloToken
from tests.channels.zalo_oa.conftest import make_channel

USER = "8000000000000000001"
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def stored(db) -> ZaloToken:
    async with db.session() as session:
        return await session.get(ZaloToken, 1)


async def test_configured_tokens_seed_the_table_once(any_db, api):
    channel = make_channel(any_db, api)
    await channel.send(USER, Outbound("một"))
    row = await stored(any_db)
    assert (row.access_token, row.refresh_token) == ("access-0", "refresh-0")
    other = make_channel(any_db, api, access_token="old-config", refresh_token="old-config")
    await other.send(USER, Outbound("hai"))  # the table wins over configuration
    assert [c.token for c in api.calls] == ["access-0", "access-0"]
    await channel.stop()
    await other.stop()


async def test_refreshed_before_expiry(any_db, api):
    clock = FakeClock(START)
    channel = make_channel(any_db, api, clock=clock)
    await channel.send(USER, Outbound("một"))
    clock.advance(hours=23, minutes=59)  # 25 h tokens: a little over an hour left, no refresh
    await channel.send(USER, Outbound("hai"))
    clock.advance(minutes=2)  # under an hour left
    await channel.send(USER, Outbound("ba"))
    assert [c.token for c in api.calls] == ["access-0", "access-0", "access-1"]
    row = await stored(any_db)
    assert row.refresh_token == "refresh-1"
    assert (row.expires_at - clock.now()).total_seconds() == 90_000  # Zalo's "expires_in": "90000"
    await channel.stop()


async def test_concurrent_sends_during_a_refresh_use_one_refresh(any_db, api):
    channel = make_channel(any_db, api)
    await channel.send(USER, Outbound("trước"))
    api.expire_access_token()
    api.refresh_delay = 0.2  # every send arrives while the refresh is in flight
    results = await asyncio.gather(*(channel.send(f"80000000000000001{n:02d}", Outbound("x")) for n in range(20)))
    assert all(results)
    assert len(api.refresh_calls) == 1
    assert {c.token for c in api.calls[-20:]} == {"access-1"}


async def test_proactive_concurrent_refresh_is_single_too(any_db, api):
    clock = FakeClock(START)
    channel = make_channel(any_db, api, clock=clock)
    await channel.send(USER, Outbound("trước"))
    clock.advance(hours=24, minutes=30)
    api.refresh_delay = 0.2
    await asyncio.gather(*(channel.send(USER, Outbound(str(n))) for n in range(10)))
    assert len(api.refresh_calls) == 1
    await channel.stop()


async def test_crash_between_refresh_and_use_keeps_the_new_refresh_token(any_db, api, monkeypatch):
    channel = make_channel(any_db, api)
    await channel.send(USER, Outbound("trước"))
    api.expire_access_token()

    def crash(row):
        raise SystemExit("the process died right after Zalo answered the refresh")

    monkeypatch.setattr(channel.tokens, "_use", crash)
    with pytest.raises(SystemExit):
        await channel.send(USER, Outbound("x"))
    assert api.refresh_token == "refresh-1"  # Zalo rotated: refresh-0 is dead now
    assert (await stored(any_db)).refresh_token == "refresh-1"

    restarted = make_channel(any_db, api)  # a new process on the same database
    await restarted.send(USER, Outbound("sau"))
    assert api.calls[-1].token == "access-1"
    api.expire_access_token()  # and the stored refresh token really works against Zalo
    await restarted.send(USER, Outbound("sau nữa"))
    assert api.calls[-1].token == "access-2" and (await stored(any_db)).refresh_token == "refresh-2"
    await channel.stop()
    await restarted.stop()


async def test_no_tokens_anywhere_is_config(db, api):
    channel = make_channel(db, api, access_token="", refresh_token="")
    with pytest.raises(SendError) as caught:
        await channel.send(USER, Outbound("x"))
    assert caught.value.failure is Failure.CONFIG and "set-tokens" in caught.value.detail
    await channel.stop()


async def test_hourly_check_refreshes_without_sends(db, api):
    clock = FakeClock(START)
    channel = make_channel(db, api, clock=clock)
    await channel.tokens.access_token(channel.http)
    clock.advance(hours=24, minutes=30)
    await channel.start(lambda inbound: None)  # the token check runs at once, then hourly
    for _ in range(50):
        if api.refresh_calls:
            break
        await asyncio.sleep(0.02)
    assert len(api.refresh_calls) == 1 and (await stored(db)).refresh_token == "refresh-1"
    await channel.stop()


async def test_cli_set_tokens(db, capsys):
    from argparse import Namespace

    from bot.cli.zalo import cmd_zalo_oa_set_tokens
    from bot.config import load_settings

    settings = load_settings(database_url=db.url)
    args = Namespace(access="A-from-consent", refresh="R-from-consent", expires_in=90_000)
    await cmd_zalo_oa_set_tokens(settings, args)
    out = capsys.readouterr().out
    assert "A-from-consent" not in out and "R-from-consent" not in out and "valid until" in out
    row = await stored(db)
    assert (row.access_token, row.refresh_token) == ("A-from-consent", "R-from-consent")


@pytest.mark.parametrize("any_db", ["postgres"], indirect=True)
@pytest.mark.parametrize("why", ["rejected", "expiring"])
async def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(any_db, api, why):
    """Two processes (each its own engine) on one PostgreSQL: one refresh call, both end with the new token."""
    clock = FakeClock(START)
    first = make_channel(any_db, api, clock=clock)
    await first.send(USER, Outbound("trước"))
    other_db = Database(any_db.url)
    second = make_channel(other_db, api, clock=clock)
    await second.send(USER, Outbound("trước"))
    api.refresh_delay = 0.3  # the second process asks while the first one's refresh is in flight
    if why == "rejected":
        api.expire_access_token()
        refreshes = (t.tokens.refresh_after_rejection(t.http, "access-0") for t in (first, second))
    else:
        clock.advance(hours=24, minutes=30)
        refreshes = (t.tokens.access_token(t.http) for t in (first, second))
    assert await asyncio.gather(*refreshes) == ["access-1", "access-1"]
    assert len(api.refresh_calls) == 1 and (await stored(any_db)).refresh_token == "refresh-1"
    await first.send(USER, Outbound("sau"))
    await second.send(USER, Outbound("sau"))
    assert [c.token for c in api.calls[-2:]] == ["access-1", "access-1"]
    await first.stop()
    await second.stop()
    await other_db.dispose()
