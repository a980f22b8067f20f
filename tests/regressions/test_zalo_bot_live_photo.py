"""Issue 15.1: live Zalo Bot image updates carry the photo in `message.photo_url` (the docs show `photo`);
reading only `photo` lost every member photo."""

import asyncio

from bot.channels.zalo_bot import ZaloBotChannel
from bot.core.messages import Inbound
from tests.fakes.zalo_bot_api import FakeZaloBot

CHAT = "c1c2c3d4e5f6a7b8c9d1"


async def test_a_photo_sent_from_the_zalo_app_reaches_the_core():
    received: list[Inbound] = []

    async def sink(inbound: Inbound) -> None:
        received.append(inbound)

    async with FakeZaloBot() as api:
        api.photos["p.jpg"] = b"\xff\xd8\xff\xe0member-photo"
        channel = ZaloBotChannel(api.token, api.url)
        channel.poll_timeout = 0.2
        await channel.start(sink)
        try:
            api.push_update(api.image_update("live0001", CHAT, f"{api.url}/photos/p.jpg", caption="Lớp học"))
            for _ in range(200):
                if received:
                    break
                await asyncio.sleep(0.01)
            (inbound,) = received
            assert inbound.photo == f"{api.url}/photos/p.jpg" and inbound.text == "Lớp học"
            assert await channel.fetch_photo(inbound.photo) == b"\xff\xd8\xff\xe0member-photo"
        finally:
            await channel.stop()
