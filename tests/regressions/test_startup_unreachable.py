"""Issue 15.8: `cdsbot run` keeps serving when a platform cannot be reached at start, retries in the
background, shows the channel as degraded in /health, and takes messages once the platform is back."""

import asyncio
import logging
import socket
import time

import aiohttp
import pytest

from bot.app import create_app
from bot.config import ConfigError, Settings
from tests.e2e.test_telegram_registration import message, next_reply
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI

WRONG_TOKEN = "123456789:AAWrongTokenButWellFormed-00000000000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(db, api_url: str, token: str = DEFAULT_TOKEN) -> Settings:
    return Settings(database_url=db.url, web_port=0, web_chat=False, telegram_token=token, telegram_api_url=api_url)


async def health(app) -> dict:
    async with aiohttp.ClientSession() as http, http.get(f"{app.url}/health") as answer:
        assert answer.status == 200
        return await answer.json()


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_telegram_down_at_start_is_retried_and_then_answers(demo_roster, caplog):
    caplog.set_level(logging.INFO)
    port = free_port()  # nothing listens there yet: the Bot API is down
    app = create_app(settings_for(demo_roster, f"http://127.0.0.1:{port}"))
    app.starts.retry = (0.1, 0.3)
    await app.start()
    api = FakeTelegramAPI()
    try:
        status = (await health(app))["channels"]["telegram"]
        assert status["status"] == "degraded" and status["reason"]
        assert DEFAULT_TOKEN.split(":")[1] not in status["reason"]
        assert app.channel_status() == {"telegram": status}
        await asyncio.sleep(0.8)  # several retries fail meanwhile
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "bot.app"]
        assert len(warnings) == 1
        assert "telegram cannot be reached" in warnings[0] and "retries in the background" in warnings[0]

        await api.start(port)  # the Bot API comes up
        await until(lambda: app.channel_status()["telegram"]["status"] == "ok")
        assert (await health(app))["channels"]["telegram"] == {"status": "ok", "reason": ""}
        api.push_update(message(text="xin chào"))
        assert "mã mời" in (await next_reply(api, 0))["text"].lower()
    finally:
        await app.stop()
        await api.close()
    assert DEFAULT_TOKEN not in caplog.text


async def test_a_refused_token_stops_start_up_with_one_line(demo_roster):
    async with FakeTelegramAPI() as api:
        app = create_app(settings_for(demo_roster, api.url, WRONG_TOKEN))
        try:
            with pytest.raises(ConfigError) as refused:
                await app.start()
        finally:
            await app.stop()
    assert str(refused.value).startswith("telegram: the platform refused the configuration")
    assert "rejected" in str(refused.value)
    assert WRONG_TOKEN not in str(refused.value)


async def test_any_channel_down_at_start_is_degraded_not_fatal(demo_roster):
    """The retry lives in the App, so a Zalo Bot Platform that cannot be reached is handled the same way."""
    token = "1234567890:zaloBotTokenThatMustNotShow00"
    settings = Settings(database_url=demo_roster.url, web_port=0, web_chat=True, zalo_bot_token=token,
                        zalo_bot_api_url=f"http://127.0.0.1:{free_port()}")
    app = create_app(settings)
    app.starts.retry = (30.0, 30.0)
    await app.start()
    try:
        channels = (await health(app))["channels"]
        assert channels["web"] == {"status": "ok", "reason": ""}
        assert channels["zalo_bot"]["status"] == "degraded" and token not in channels["zalo_bot"]["reason"]
    finally:
        await app.stop()
