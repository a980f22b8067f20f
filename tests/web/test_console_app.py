"""The console inside cdsbot's server: where it is mounted, its cookie, headers, error pages and the key it needs."""

import asyncio
import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.cli import main
from bot.config import load_settings
from bot.services import signin
from tests.web.conftest import SECRET, console_app, console_settings, csrf_of, sent_link, sign_in


async def test_root_leads_to_the_console_and_the_chat_stays(db, tmp_path):
    app = create_app(console_settings(database_url=db.url, media_dir=tmp_path / "media"))
    async with TestClient(TestServer(app.web)) as client:
        for path in ("/", "/admin"):
            response = await client.get(path, allow_redirects=False)
            assert (response.status, response.headers["Location"]) == (302, "/admin/"), path
        assert (await client.get("/admin/", allow_redirects=False)).headers["Location"] == "/admin/signin"
        assert (await client.get("/chat")).status == 200
    await app.db.dispose()


async def test_without_a_key_there_is_no_console_and_root_is_the_chat(db, tmp_path):
    app = create_app(load_settings(database_url=db.url, media_dir=tmp_path / "media"))
    async with TestClient(TestServer(app.web)) as client:
        assert (await client.get("/", allow_redirects=False)).headers["Location"] == "/chat"
        assert (await client.get("/admin/signin")).status == 404
    await app.db.dispose()


@pytest.mark.parametrize("public_url, secure", [("", False), ("https://bot.quangngai.gov.vn", True)])
async def test_the_session_cookie_is_httponly_lax_and_secure_on_https(db, clock, public_url, secure):
    async with TestClient(TestServer(console_app(db, clock, public_url=public_url))) as client:
        response = await client.get("/admin/signin")
        cookie = response.cookies["cdsbot_console"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/admin"
        assert bool(cookie["secure"]) is secure
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Referrer-Policy"] == "no-referrer"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


async def test_a_failing_page_is_friendly_and_logged_without_the_token(db, clock, monkeypatch, caplog):
    async def broken(*_args):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(signin, "peek_link", broken)
    async with TestClient(TestServer(console_app(db, clock))) as client:
        with caplog.at_level(logging.ERROR):
            response = await client.get("/admin/signin/t/SECRET-TOKEN-123")
        text = await response.text()
    assert response.status == 500 and "Hệ thống gặp lỗi" in text and "Traceback" not in text
    assert "database fell over" in caplog.text and "/admin/signin/t/{token}" in caplog.text
    assert "SECRET-TOKEN-123" not in caplog.text


async def test_cdsbot_logs_no_token_or_phone_number(client, demo_roster, people, caplog):
    phone, chat = people["officer"]
    with caplog.at_level(logging.DEBUG):
        await sign_in(client, demo_roster, phone, chat)
        link = await sent_link(demo_roster, chat)
        await client.get(link)  # a spent link
        await client.get("/admin/nowhere")
    ours = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("bot"))
    for secret in (phone, "905000002", link.rsplit("/", 1)[1], await csrf_of(client, "/admin/audit")):
        assert secret not in ours


@pytest.mark.parametrize("key, says", [
    (None, "CDSBOT_CONSOLE_SECRET is not set"),
    ("change-me-please-change-me-please-change-me", "CDSBOT_CONSOLE_SECRET looks like a placeholder"),
    ("short-but-random-Zx81", "CDSBOT_CONSOLE_SECRET looks like a placeholder or is too short"),
])
async def test_run_refuses_without_a_proper_console_key(tmp_path, monkeypatch, capsys, key, says):
    monkeypatch.setenv("CDSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    if key is not None:
        monkeypatch.setenv("CDSBOT_CONSOLE_SECRET", key)
    assert await asyncio.to_thread(main, ["run"]) == 2
    assert says in capsys.readouterr().err


def test_a_proper_key_or_no_console_is_accepted():
    assert console_settings().console_secret_problem() is None
    assert load_settings(console=False).console_secret_problem() is None
    assert load_settings(console_secret=SECRET[:31]).console_secret_problem() is not None
