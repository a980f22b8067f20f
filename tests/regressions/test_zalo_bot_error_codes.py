"""Issue 15.3: on the Zalo Bot error-code page 403 is an internal server error. Reading it as "blocked"
marked members unreachable after a platform hiccup; it is retried, and every documented code has a label."""

import pytest

from bot.channels.base import Failure, SendError
from bot.channels.zalo_bot import ZaloBotChannel
from bot.core.messages import Outbound
from tests.fakes.zalo_bot_api import FakeZaloBot


@pytest.mark.parametrize(("code", "failure"), [(403, Failure.RETRYABLE), (404, Failure.PERMANENT),
                                               (408, Failure.RETRYABLE)], ids=str)
async def test_a_platform_error_is_not_a_member_who_left(code, failure):
    async with FakeZaloBot() as api:
        channel = ZaloBotChannel(api.token, api.url)
        api.fail_next("sendMessage", code, "Internal server error" if code == 403 else "error")
        with pytest.raises(SendError) as caught:
            await channel.send("c1c2c3d4e5f6a7b8c9d3", Outbound("Nhắc họp tổ"))
        await channel.stop()
    assert caught.value.failure is failure and caught.value.failure is not Failure.GONE
