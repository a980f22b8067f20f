"""`cdsbot run --role web|sender|scheduler|all`: what each process does, what /health says, what SQLite refuses.

On PostgreSQL a web-role cdsbot (in this test process) takes a member's message by webhook and only enqueues
the reply; a `cdsbot run --role sender,scheduler` subprocess on the same database delivers it to the fake
Telegram, and each process's /health says which locks it holds.
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.app import create_app
from bot.cli import main
from bot.config import ROLES, Settings, parse_roles
from tests.e2e.test_telegram_registration import CHAT, SECRET, message, next_reply
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI
from tests.handlers.test_register import invite
from tests.regressions.test_startup_unreachable import free_port, health
from tests.test_cli import cdsbot

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK = "https://cds.example.org/webhooks/telegram"


@pytest.mark.parametrize("text, roles", [
    ("all", set(ROLES)), ("web", {"web"}), ("sender,scheduler", {"sender", "scheduler"}),
    (" Sender , web ", {"sender", "web"}), ("web,sender,scheduler", set(ROLES)),
])
def test_roles_are_read_as_the_operator_writes_them(text, roles):
    assert parse_roles(text) == roles


@pytest.mark.parametrize("text", ["", "webs", "web,mailer", "all,web", ","])
def test_an_unknown_role_is_refused_by_the_command_line(text, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--role", text])
    assert stopped.value.code == 2
    assert "say all, or one or more of web, sender, scheduler" in capsys.readouterr().err


@pytest.mark.parametrize("role", ["web", "sender", "scheduler", "sender,scheduler"])
async def test_sqlite_refuses_a_process_that_does_not_do_everything(db, monkeypatch, capsys, role):
    monkeypatch.setenv("CDSBOT_DATABASE_URL", db.url)
    monkeypatch.setenv("CDSBOT_CONSOLE", "false")
    assert await asyncio.to_thread(main, ["run", "--role", role]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"--role {role}: SQLite serves one cdsbot process" in line and "PostgreSQL" in line


@pytest.mark.parametrize("port", ["http", "-1", "65536"])
def test_a_port_that_is_no_port_is_refused_by_the_command_line(port, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--port", port])
    assert stopped.value.code == 2 and "a port is a number from 0 to 65535" in capsys.readouterr().err


def test_a_second_process_on_a_taken_port_says_so_in_one_line(db, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cdsbot(tmp_path, "run", "--port", str(port), CDSBOT_DATABASE_URL=db.url, CDSBOT_CONSOLE="false")
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.splitlines() == [f"cdsbot: cannot listen on 127.0.0.1:{port} (address already in use): give "
                                        "each cdsbot process its own port (cdsbot run --port N, or CDSBOT_WEB_PORT)"]


async def test_health_of_one_process_doing_everything(demo_roster):
    async with FakeTelegramAPI() as api:
        app = create_app(Settings(database_url=demo_roster.url, web_port=0, web_chat=False, console=False,
                                  telegram_token=DEFAULT_TOKEN, telegram_api_url=api.url))
        await app.start()
        try:
            answer = await health(app)
        finally:
            await app.stop()
    assert answer == {"ok": True, "roles": ["web", "sender", "scheduler"],
                      "channels": {"telegram": {"status": "ok", "reason": ""}}, "sending": ["telegram"],
                      "locks": {"sender": {"telegram": True}, "scheduler": True}}


def _sender_process(db_url: str, api_url: str, port: int) -> subprocess.Popen:
    """`cdsbot run --role sender,scheduler` with the web process's Telegram settings (webhook mode)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")} | {
        "PYTHONPATH": str(ROOT), "CDSBOT_DATABASE_URL": db_url, "CDSBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN,
        "CDSBOT_TELEGRAM_API_URL": api_url, "CDSBOT_TELEGRAM_WEBHOOK_URL": WEBHOOK,
        "CDSBOT_TELEGRAM_WEBHOOK_SECRET": SECRET}
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--role", "sender,scheduler", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def _health_at(port: int, timeout: float = 30.0) -> dict:
    """The /health of a process on `port`, once it answers holding Telegram's sender lock and the scheduler's."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/health") as answer:
                    body = await answer.json()
                    if body["locks"]["sender"].get("telegram") and body["locks"]["scheduler"]:
                        return body
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, "the sender process did not take Telegram and the schedules"
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("any_db", ["postgres"], indirect=True)
async def test_a_web_process_enqueues_and_a_sender_process_delivers(any_db, demo_roster):
    async with FakeTelegramAPI() as api, aiohttp.ClientSession() as http:
        api.invite = await invite(demo_roster, "21409-03")
        web = create_app(Settings(database_url=demo_roster.url, web_port=0, web_chat=False, console=False,
                                  telegram_token=DEFAULT_TOKEN, telegram_api_url=api.url,
                                  telegram_webhook_url=WEBHOOK, telegram_webhook_secret=SECRET),
                         roles=frozenset({"web"}))
        await web.start()  # first: were it to take Telegram's sender lock, the sender process never would
        port = free_port()
        sender = _sender_process(demo_roster.url, api.url, port)
        try:
            sending = await _health_at(port)
            async with http.post(f"{web.url}/webhooks/telegram", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                                 json=message(text=f"/start {api.invite}")) as answer:
                assert answer.status == 200
            reply = await next_reply(api, 0, timeout=15)
            serving = await health(web)
        finally:
            await web.stop()
            sender.terminate()
            output = sender.communicate(timeout=30)[0]
    assert "Thôn 3 · Xã Đức Nhuận" in reply["text"] and reply["chat_id"] == CHAT
    assert sending["roles"] == ["sender", "scheduler"] and sending["sending"] == ["telegram"]
    assert sending["locks"] == {"sender": {"telegram": True}, "scheduler": True}
    assert serving["roles"] == ["web"] and serving["sending"] == []
    assert serving["locks"] == {"sender": {"telegram": False}, "scheduler": False}
    assert serving["channels"] == {"telegram": {"status": "ok", "reason": ""}}
    assert sender.returncode == 0 and "Traceback" not in output, output
    assert "(role sender,scheduler)" in output
