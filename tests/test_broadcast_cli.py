"""`cdsbot broadcast send` from the command line: a district's members get the announcement on Telegram,
each in their language, nobody outside the district; `broadcast status` reports the totals."""

import asyncio
import os
import socket
import sys
from pathlib import Path

from tests.fakes.members import add_members
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def cdsbot(env: dict, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode(), err.decode()


async def test_send_to_a_district_from_the_command_line(demo_roster):
    db = demo_roster
    inside = await add_members(db, 40, under="533", first_external=1000, en_every=4)
    await add_members(db, 10, under="536", first_external=9000)
    async with FakeTelegramAPI() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}
        env |= {"CDSBOT_DATABASE_URL": db.url, "CDSBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN,
                "CDSBOT_TELEGRAM_API_URL": api.url, "CDSBOT_WEB_PORT": str(free_port()), "PYTHONPATH": str(ROOT),
                "CDSBOT_QUIET_START": "00:00", "CDSBOT_QUIET_END": "00:00"}  # no quiet hours: any time of day
        code, out, err = await cdsbot(env, "broadcast", "send", "--unit", "533", "--text-vi", "Họp tổ tối nay",
                                      "--text-en", "Team meeting tonight", "--ack", "--yes")
        assert code == 0, err
        assert "40" in out and "telegram" in out
        code, status, err = await cdsbot(env, "broadcast", "status", "1")
    assert code == 0, err
    got = {chat: text for chat, text, _ in api.sent}
    assert set(got) == {1000 + i for i in range(len(inside))}, "exactly the district's members"
    assert sum(text == "Team meeting tonight" for text in got.values()) == 10
    assert sum(text == "Họp tổ tối nay" for text in got.values()) == 30
    buttons = api.calls_to("sendMessage")[0].params["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in buttons for b in row] == ["ack:1:ok", "ack:1:help"]
    assert "sent 40" in status
