"""Issue 15.4: Zalo OA says "access token invalid" as -216, 216, -401 or 401. Only -216 was refreshed; the
other three failed the message for good while a refresh would have fixed it."""

import pytest

from bot.core.messages import Outbound
from tests.channels.zalo_oa.conftest import make_channel
from tests.fakes.zalo_oa_api import FakeZaloOA


@pytest.fixture(autouse=True)
def _window_open(monkeypatch):
    from bot.channels.zalo_oa import ZaloOAChannel

    async def always(self, user_id: str) -> bool:
        return True

    monkeypatch.setattr(ZaloOAChannel, "in_window", always)


@pytest.mark.parametrize("code", [-216, 216, -401, 401])
async def test_each_token_error_refreshes_once_and_the_message_goes(db, code):
    async with FakeZaloOA() as api:
        channel = make_channel(db, api)
        api.invalid_token_error, api.access_token = code, "revoked-elsewhere"
        assert await channel.send("8000000000000000001", Outbound("Nhắc họp tổ")) is not None
        await channel.stop()
    assert len(api.refresh_calls) == 1 and len(api.delivered) == 1
