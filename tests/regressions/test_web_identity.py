"""Issue 19 item 2: the web chat's identity was whatever id the browser sent.

A second browser using member A's id acted as A; the socket took any Origin. Now the server issues the chat
in a signed HttpOnly cookie, the socket and uploads take only our own page's requests, and `cdsbot run`
serves the web chat only when asked to (with a real key). Linking another messenger is in
test_web_identity_link.py.
"""

import asyncio

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.web import WebChannel
from bot.config import ConfigError, Settings
from bot.web.chat_identity import COOKIE
from tests.browser import launch_browser, requires_chromium, serve
from tests.channels.web.conftest import RecordingSink

KEY = "Zq8vL2pX7mN4rT9wY1bC6dF3hJ5kQ0sV"


@pytest.fixture
async def site(tmp_path):
    """A started web channel on a local port: (its base URL, the channel, what it received)."""
    sink = RecordingSink()
    channel = WebChannel(tmp_path / "media", secret=KEY)
    app = web.Application()
    channel.setup_routes(app)
    await channel.start(sink)
    async with serve(app) as url:
        yield url, channel, sink
        await channel.stop()


async def say(http: aiohttp.ClientSession, url: str, text: str, hello: dict, sink: RecordingSink) -> str:
    """Open the page's socket as this browser would, send `text`; the chat it was received as."""
    async with http.ws_connect(f"{url}/chat/ws", headers={"Origin": url}) as ws:
        await ws.send_json(hello)
        assert (await ws.receive_json(timeout=2))["type"] == "ready"
        await ws.send_json({"type": "text", "text": text, "id": "m-00000001"})
        return await received_as(sink, text)


async def received_as(sink: RecordingSink, text: str) -> str:
    """The chat a text arrived from, once it has arrived."""
    for _ in range(500):
        if chats := [i.external_id for i in sink.received if i.text == text]:
            return chats[0]
        await asyncio.sleep(0.01)
    raise AssertionError(f"{text!r} never arrived")


def browser_session() -> aiohttp.ClientSession:
    """A browser's cookie jar (one that keeps cookies of 127.0.0.1)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_a_second_browser_sending_a_members_chat_id_is_still_its_own_chat(site):
    url, _channel, sink = site
    async with browser_session() as member, browser_session() as other:
        await (await member.get(f"{url}/chat")).read()
        chat_a = await say(member, url, "tôi là A", {"type": "hello"}, sink)
        await (await other.get(f"{url}/chat")).read()
        chat_b = await say(other, url, "tôi cũng là A", {"type": "hello", "chat": chat_a}, sink)
    assert chat_b != chat_a


@pytest.mark.parametrize("case", ["other-origin", "no-origin", "no-cookie", "forged-cookie"])
async def test_socket_refuses_other_sites_and_chats_the_server_did_not_issue(site, case):
    url, channel, _sink = site
    chat = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa"
    cookie = channel.identity.sign(chat)
    headers = {"other-origin": {"Origin": "http://evil.example", "Cookie": f"{COOKIE}={cookie}"},
               "no-origin": {"Cookie": f"{COOKIE}={cookie}"},
               "no-cookie": {"Origin": url},
               "forged-cookie": {"Origin": url, "Cookie": f"{COOKIE}={chat}.{'A' * 32}"}}[case]
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{url}/chat/ws", headers=headers)
    assert refused.value.status == 403


@pytest.mark.parametrize(("public_url", "secure"), [("", False), ("https://cds.example.vn", True)])
async def test_page_issues_a_signed_httponly_cookie_once(tmp_path, public_url, secure):
    channel = WebChannel(tmp_path / "media", secret=KEY, public_url=public_url)
    app = web.Application()
    channel.setup_routes(app)
    async with TestClient(TestServer(app)) as client:
        first = await client.get("/chat")
        cookie = first.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/chat"
        assert bool(cookie["secure"]) is secure
        assert channel.identity.sign(cookie.value.split(".")[0]) == cookie.value
        again = await client.get("/chat", headers={"Cookie": f"{COOKIE}={cookie.value}"})
        assert COOKIE not in again.cookies  # a returning browser keeps its chat


def test_a_configured_key_keeps_chats_across_restarts_and_a_made_up_one_does_not(tmp_path):
    chat = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa"
    before, after = WebChannel(tmp_path, secret=KEY), WebChannel(tmp_path, secret=KEY)
    assert before.identity.sign(chat) == after.identity.sign(chat)
    assert WebChannel(tmp_path).identity.sign(chat) != WebChannel(tmp_path).identity.sign(chat)


def test_cdsbot_run_serves_the_web_chat_only_when_asked_and_with_a_real_key(tmp_path):
    base = {"_env_file": None, "database_url": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", "console": False}
    production = Settings(**base).production_web_chat()
    assert production.web_chat is False
    assert "web" not in create_app(production).channels
    assert "web" in create_app(Settings(**base)).channels  # the demo keeps it on
    asked = Settings(**base, web_chat=True, web_chat_secret=KEY).production_web_chat()
    assert "web" in create_app(asked).channels
    for weak in (None, "changeme"):
        with pytest.raises(ConfigError, match="CDSBOT_WEB_CHAT_SECRET"):
            Settings(**base, web_chat=True, web_chat_secret=weak).production_web_chat()


@requires_chromium
async def test_a_browser_that_copies_a_members_id_into_its_storage_is_not_that_member(site):
    async with launch_browser() as browser:
        await _copy_the_id(browser, *site)


async def _copy_the_id(browser, url: str, _channel: WebChannel, sink: RecordingSink) -> None:
    """Member A chats in one browser; another browser plants A's id where the page used to keep it."""
    from playwright.async_api import expect

    member = await (await browser.new_context()).new_page()
    await member.goto(f"{url}/chat")
    await expect(member.locator("#status")).to_have_text("trực tuyến")
    await member.fill("#input", "tôi là A")
    await member.press("#input", "Enter")
    chat_a = await received_as(sink, "tôi là A")
    assert await member.evaluate("document.cookie") == ""  # HttpOnly: no script on the page can read it

    other = await (await browser.new_context()).new_page()
    await other.add_init_script(f"sessionStorage.setItem('cdsbot.chat', '{chat_a}')")  # what worked before
    await other.goto(f"{url}/chat")
    await expect(other.locator("#status")).to_have_text("trực tuyến")
    await other.fill("#input", "tôi giả làm A")
    await other.press("#input", "Enter")
    assert await received_as(sink, "tôi giả làm A") != chat_a
