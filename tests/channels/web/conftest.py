"""Fixtures for the web channel: a started WebChannel with a recording sink, and a headless browser."""

from pathlib import Path

import pytest

from bot.channels.web import WebChannel
from bot.core.messages import Inbound
from tests.browser import launch_browser


class RecordingSink:
    """Collects every Inbound the channel hands over."""

    def __init__(self):
        self.received: list[Inbound] = []

    async def __call__(self, inbound: Inbound) -> None:
        self.received.append(inbound)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def channel(tmp_path: Path, sink: RecordingSink) -> WebChannel:
    channel = WebChannel(tmp_path / "media")
    await channel.start(sink)
    yield channel
    await channel.stop()


@pytest.fixture
async def browser():
    """A headless Chromium (Playwright Browser); mark the test with tests.browser.requires_chromium."""
    async with launch_browser() as browser:
        yield browser
