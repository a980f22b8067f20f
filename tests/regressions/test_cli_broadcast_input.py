"""Issue 19 item 11: `cdsbot broadcast send` queued an announcement with an unknown `--guide` or a `--photo` that is
not an image, and with neither `--yes` nor a terminal to ask on it crashed with EOFError. Each is refused with one
line on stderr and exit code 2, and nothing is queued; a real guide and a real photo still go through."""

import io
import os

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.cli.broadcast import _confirmed
from bot.db.broadcasts import Broadcast
from tests.fakes.members import add_members
from tests.test_broadcast_cli import ROOT, cdsbot, free_port


def env_for(db) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}  # no messenger: rows stay queued
    return env | {"CDSBOT_DATABASE_URL": db.url, "CDSBOT_WEB_PORT": str(free_port()), "PYTHONPATH": str(ROOT)}


async def queued(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Broadcast))


@pytest.fixture
async def members(demo_roster):
    await add_members(demo_roster, 5, under="533")
    return demo_roster


def png(path):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


CASES = [
    # extra arguments, what the one line says (the file names are made in tmp_path)
    (["--guide", "no-such-guide", "--yes"], "cdsbot: no guide 'no-such-guide' (the guides are the files in "
                                            "content/guides/)"),
    (["--photo", "notes.txt", "--yes"], "cdsbot: photo notes.txt is not a JPEG or PNG image"),
    (["--photo", "fake.png", "--yes"], "cdsbot: photo fake.png is not a JPEG or PNG image"),
    ([], "cdsbot: no terminal to confirm on: add --yes to send without asking"),
]


@pytest.mark.parametrize(("extra", "says"), CASES, ids=["guide", "text-photo", "renamed-text-photo", "no-terminal"])
async def test_bad_input_is_refused_with_one_line_and_nothing_queued(members, tmp_path, extra, says):
    (tmp_path / "notes.txt").write_text("not a photo", encoding="utf-8")
    (tmp_path / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    extra = [str(tmp_path / a) if a in ("notes.txt", "fake.png") else a for a in extra]
    code, _out, err = await cdsbot(env_for(members), "broadcast", "send", "--unit", "533", "--text-vi", "Họp tổ",
                                   *extra)
    assert (code, err.strip().splitlines()) == (2, [says.replace(" notes.txt", f" {tmp_path / 'notes.txt'}")
                                                    .replace(" fake.png", f" {tmp_path / 'fake.png'}")])
    assert await queued(members) == 0


async def test_a_known_guide_and_a_real_photo_are_queued(members, tmp_path):
    photo = png(tmp_path / "poster.png")
    code, out, err = await cdsbot(env_for(members), "broadcast", "send", "--unit", "533", "--text-vi", "Họp tổ",
                                  "--guide", "vneid-level2", "--photo", str(photo), "--yes")
    assert code == 0, err
    assert "broadcast #1: 5 messages queued" in out
    async with members.session() as session:
        broadcast = (await session.execute(select(Broadcast))).scalar_one()
    assert (broadcast.guide_id, broadcast.photo) == ("vneid-level2", str(photo))


def test_an_end_of_input_at_the_question_is_a_no(monkeypatch):
    def end_of_input(_question):
        raise EOFError

    monkeypatch.setattr("builtins.input", end_of_input)
    assert _confirmed("Send this announcement? [y/N] ") is False
