"""Fixtures for the Zalo OA channel: the fake API, a channel on the test database, a webhook client."""

import json
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.zalo_oa import ZaloOAChannel
from bot.core.messages import Inbound
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, FakeZaloOA

TESTDATA = Path(__file__).parent / "testdata"


def body(name: str) -> dict:
    return json.loads((TESTDATA / f"{name}.json").read_text("utf-8"))


def make_channel(db, api: FakeZaloOA, **kw) -> ZaloOAChannel:
    """A channel wired to the fake, seeded with the fake's current tokens unless told otherwise."""
    options = {"access_token": api.access_token, "refresh_token": api.refresh_token, "timeout": 5.0,
               "api_url": api.url, "oauth_url": api.url,
               "replay_window": None} | kw  # testdata events are stamped 2025; the window: test_forged_webhooks
    return ZaloOAChannel(db, APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, **options)


@pytest.fixture
async def api():
    async with FakeZaloOA() as fake:
        yield fake


@pytest.fixture
async def channel(db, api):
    channel = make_channel(db, api)
    yield channel
    await channel.stop()


class Hook:
    """The channel behind a test server, started with a sink that records what the core would get."""

    def __init__(self, channel: ZaloOAChannel, client: TestClient):
        self.channel, self.client = channel, client
        self.received: list[Inbound] = []

    async def sink(self, inbound: Inbound) -> None:
        self.received.append(inbound)

    async def post(self, raw: bytes, headers: dict) -> int:
        response = await self.client.post("/webhooks/zalo_oa", data=raw, headers=headers)
        await self.channel.idle()
        return response.status


async def open_hook(channel: ZaloOAChannel) -> tuple[Hook, TestClient]:
    app = web.Application()
    channel.setup_routes(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    hook = Hook(channel, client)
    await channel.start(hook.sink)
    return hook, client


@pytest.fixture
async def hook(channel):
    hook, client = await open_hook(channel)
    yield hook
    await client.close()


@pytest.fixture(autouse=True)
def _window_open(request, monkeypatch):
    """Request-shape tests talk to members inside the 7-day window; window tests opt out with `real_window`."""
    if "real_window" not in request.keywords:

        async def always(self, user_id: str) -> bool:
            return True

        monkeypatch.setattr(ZaloOAChannel, "in_window", always)
