"""Issue 15.2: the Zalo Bot Platform redelivers the bot's own sent messages as updates (webhook and long
polling). Without getMe at start the bot could not tell them apart and answered itself."""

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.zalo_bot import ZaloBotChannel
from bot.config import ConfigError
from bot.core.messages import Inbound, Outbound
from tests.fakes.zalo_bot_api import FakeZaloBot

CHAT = "c1c2c3d4e5f6a7b8c9d2"
SECRET = "fake-zalo-bot-secret-02"


class Sink(list):
    async def __call__(self, inbound: Inbound) -> None:
        self.append(inbound)


async def test_long_polling_never_hands_the_bots_own_message_to_the_core():
    async with FakeZaloBot() as api:
        api.echo = True
        received = Sink()
        channel = ZaloBotChannel(api.token, api.url)
        channel.poll_timeout = 0.2
        await channel.start(received)
        try:
            await channel.send(CHAT, Outbound("Xin chào! Nhập mã mời của tổ."))
            await asyncio.sleep(0.4)  # the echo has been polled by now
            assert api.echoes and received == []
        finally:
            await channel.stop()


async def test_the_webhook_never_hands_the_bots_own_message_to_the_core():
    async with FakeZaloBot() as api:
        api.echo = True
        received = Sink()
        channel = ZaloBotChannel(api.token, api.url, webhook_url="https://cds.example.vn/webhooks/zalo_bot",
                                 webhook_secret=SECRET)
        app = web.Application()
        channel.setup_routes(app)
        await channel.start(received)
        async with TestClient(TestServer(app)) as client:
            await channel.send(CHAT, Outbound("Xin chào!"))
            (echo,) = api.echoes
            answer = await client.post("/webhooks/zalo_bot", json={"ok": True, "result": echo},
                                       headers={"X-Bot-Api-Secret-Token": SECRET})
            assert answer.status == 200 and received == []
        await channel.stop()


async def test_a_wrong_token_is_one_clear_line_naming_the_setting():
    async with FakeZaloBot() as api:
        wrong = "1234567890:not-the-token-0000000000"
        channel = ZaloBotChannel(wrong, api.url)
        with pytest.raises(ConfigError) as refused:
            await channel.start(Sink())
        await channel.stop()
    assert str(refused.value).startswith("CDSBOT_ZALO_BOT_TOKEN: ") and "\n" not in str(refused.value)
    assert "not-the-token" not in str(refused.value)


async def test_cdsbot_run_with_a_wrong_token_stops_with_that_line(db):
    """Start-up of the whole app: the same single line, never the token, no traceback to read through."""
    from bot.app import create_app
    from bot.config import Settings

    async with FakeZaloBot() as api:
        wrong = "1234567890:not-the-token-0000000000"
        app = create_app(Settings(database_url=db.url, web_port=0, web_chat=False, zalo_bot_token=wrong,
                                  zalo_bot_api_url=api.url))
        try:
            with pytest.raises(ConfigError) as refused:
                await app.start()
        finally:
            await app.stop()
    assert str(refused.value).startswith("CDSBOT_ZALO_BOT_TOKEN: the Zalo Bot Platform refused getMe (401")
    assert "not-the-token" not in str(refused.value)
