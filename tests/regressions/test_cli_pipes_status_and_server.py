"""Rough edges of the command line (issue 15, item 19).

- `cdsbot … | head` ended in a BrokenPipeError traceback: a reader that stops early now ends it quietly.
- `cdsbot broadcast status` needed an id; without one it now lists the broadcasts.
- `broadcast send` said "a `cdsbot run` is serving" when the server was `cdsbot demo`; it names the server
  by its address now.
"""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import update

from bot.app import create_app
from bot.config import Settings
from bot.db.models import Delivery, Member
from bot.services import broadcast as bc
from tests.fakes.members import add_members
from tests.test_broadcast_cli import ROOT, cdsbot, free_port

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # 08:30 in Quảng Ngãi


def env_for(db, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}
    no_quiet_hours = {"CDSBOT_QUIET_START": "00:00", "CDSBOT_QUIET_END": "00:00"}  # broadcasts go at any time of day
    return env | {"CDSBOT_DATABASE_URL": db.url, "CDSBOT_WEB_PORT": str(free_port()), "PYTHONPATH": str(ROOT)} \
        | no_quiet_hours | extra


def run_into_closed_pipe(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run the command with stdout a pipe nobody reads any more, as after `| head` has quit."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "bot", *args], stdout=write, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=env, cwd=ROOT, text=True, timeout=120)
    finally:
        os.close(write)


async def test_a_reader_that_stops_early_ends_the_command_quietly(demo_roster):
    env = env_for(demo_roster)
    for args in (("units", "tree"), ("content", "stats")):  # long output, and short output flushed at exit
        done = await asyncio.to_thread(run_into_closed_pipe, env, *args)
        assert done.stderr == "", f"cdsbot {' '.join(args)}: {done.stderr}"
        assert done.returncode == 141, "like any Unix tool stopped by a closed pipe (128 + SIGPIPE)"


async def test_broadcast_status_without_an_id_lists_the_broadcasts(demo_roster):
    db = demo_roster
    ids = await add_members(db, 6, under="533")
    async with db.session() as session:
        officer = await session.get(Member, ids[0])
        officer.role, officer.full_name = "admin", "Nguyễn Văn An"
        first = await bc.create(session, sender=None, audience=bc.Audience(units=["533"]),
                                text_vi="Họp tổ tối nay\nlúc 19 giờ", now=NOW)
        await bc.expand(session, first, NOW)
        second = await bc.create(session, sender=officer, audience=bc.Audience(units=["533"]),
                                 text_vi="Nhắc nộp báo cáo", ack=True, now=NOW)
        await bc.expand(session, second, NOW)
        await session.execute(update(Delivery).where(Delivery.broadcast_id == first.id).values(status="sent"))
        await session.commit()
    code, out, err = await cdsbot(env_for(db), "broadcast", "status")
    assert code == 0, err
    header, *rows = [line.split("\t") for line in out.splitlines()]
    assert header[:10] == ["id", "date", "sender", "state", "messages", "sent", "failed", "unreachable", "waiting",
                           "received"]
    assert [row[:10] for row in rows] == [
        [str(second.id), "2026-11-24 08:30", "Nguyễn Văn An", "sending", "6", "0", "0", "0", "6", "0"],
        [str(first.id), "2026-11-24 08:30", "-", "done", "6", "6", "0", "0", "0", "0"],
    ], "newest first, local time, who sent it, its state and counts"
    assert rows[1][-1] == "Họp tổ tối nay"


async def test_broadcast_send_names_a_demo_server_right(demo_roster, tmp_path):
    db = demo_roster
    await add_members(db, 3, under="533", channel="web", first_external=20_000_000)
    port = free_port()
    server = create_app(Settings(database_url=db.url, web_port=port, media_dir=tmp_path / "media",  # as `demo`
                                 quiet_start="00:00", quiet_end="00:00"))
    await server.start()
    try:
        code, out, err = await cdsbot(env_for(db, CDSBOT_WEB_PORT=str(port)), "broadcast", "send", "--unit", "533",
                                      "--text-vi", "Họp tổ tối nay", "--yes")
    finally:
        await server.stop()
    assert code == 0, err
    assert "cdsbot run" not in out
    assert f"a cdsbot server is running at http://127.0.0.1:{port}: it sends" in out
    assert "web: sent 3" in out
