"""Every page cdsbot serves carries the security headers, not only the console's (issue 19).

Before the fix the chat page, its files, /health and the webhooks answered with none: the chat could be
framed by another site and a browser could guess content types.
"""

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from tests.web.conftest import console_settings


@pytest.mark.parametrize("path", ["/chat", "/chat/static/chat.js", "/health", "/admin/signin", "/no-such-page"])
async def test_every_page_forbids_framing_sniffing_referrers_and_inline_scripts(db, tmp_path, path):
    app = create_app(console_settings(database_url=db.url, media_dir=tmp_path / "media", web_chat=True))
    async with TestClient(TestServer(app.web)) as client:
        response = await client.get(path, allow_redirects=False)
    await app.db.dispose()
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
