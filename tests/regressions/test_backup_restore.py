"""Issue 19, backups: there was no way to back up or restore cdsbot. `cdsbot db backup FILE` snapshots the SQLite
database (consistently, while it is written) with the media folder, into a .tar.gz or a folder; `cdsbot db restore`
puts it back, refusing to replace data unless --force; a restored database serves the same roll-up and the same
photos. PostgreSQL is pointed to pg_dump / pg_restore in one line."""

import sqlite3
import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.cli import build_parser
from bot.cli.common import CliError
from bot.config import Settings
from bot.db.reports import Photo, Report, ReportPhoto
from bot.db.session import Database
from bot.services import org, photos, reports
from bot.services.backup import backup
from tests.report_images import photo
from tests.services.test_reports_rollup import COUNT_IDS, DEADLINE, _generate

START, END = date(2026, 11, 1), date(2026, 11, 30)


def settings_for(path, media) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", media_dir=media)


async def cdsbot(settings: Settings, *argv: str) -> None:
    args = build_parser().parse_args(list(argv))
    await args.func(settings, args)


async def filled(db, media) -> None:
    """Random reports over the demo roster, three of them with a photo."""
    async with db.session() as session:
        await _generate(session, n=600)
        first = (await session.execute(select(Report).order_by(Report.id).limit(3))).scalars().all()
        for seed, report in enumerate(first):
            stored = await photos.store(session, media, photo(seed), datetime(2026, 11, 20, tzinfo=UTC))
            session.add(ReportPhoto(report_id=report.id, photo_id=stored.id))
        await session.commit()


async def served(db, media) -> tuple:
    """The province roll-up and every photo (its row and its file's bytes), as an officer would get them."""
    async with db.session() as session:
        root = await org.unit_by_code(session, "51")
        rollup = await reports.rollup(session, root, START, END, deadline=DEADLINE, count_ids=COUNT_IDS)
        rows = [(r.unit.code, r.by_type, r.expected, r.reported, r.on_time, r.late, r.own_team) for r in rollup.units]
        pictures = (await session.execute(select(Photo, ReportPhoto.report_id).join(ReportPhoto))).all()
        files = [(p.sha256, report_id, p.width, p.height, (media / p.path).read_bytes()) for p, report_id in pictures]
    assert rows and len(files) == 3
    return rows, rollup.total.by_type, rollup.counts, sorted(files)


@pytest.mark.parametrize("name", ["backup.tar.gz", "backup-folder"])
async def test_a_restored_database_serves_the_same_rollup_and_photos(demo_roster, tmp_path, capsys, name):
    media = tmp_path / "media"
    await filled(demo_roster, media)
    before = await served(demo_roster, media)
    await cdsbot(settings_for(demo_roster.url.split("///")[1], media), "db", "backup", str(tmp_path / name))
    said = capsys.readouterr().out
    assert said == (f"backed up {media} and the database to {tmp_path / name}: units 1,141, members 1, reports 600, "
                    "photos 3; media files 3\n")
    elsewhere = settings_for(tmp_path / "restored" / "cdsbot.db", tmp_path / "restored" / "media")
    await cdsbot(elsewhere, "db", "restore", str(tmp_path / name))
    said = capsys.readouterr().out
    assert f"restored {tmp_path / name} (made 20" in said and "photos 3; media files 3" in said
    assert said.strip().endswith("database is at the latest version")
    restored = Database(elsewhere.database_url)
    try:
        assert await served(restored, tmp_path / "restored" / "media") == before
    finally:
        await restored.dispose()


async def test_restore_refuses_to_replace_data_unless_forced(demo_roster, tmp_path, capsys):
    media, live = tmp_path / "media", demo_roster.url.split("///")[1]
    await filled(demo_roster, media)
    settings = settings_for(live, media)
    await cdsbot(settings, "db", "backup", str(tmp_path / "b.tgz"))
    with pytest.raises(CliError) as refused:
        await cdsbot(settings, "db", "restore", str(tmp_path / "b.tgz"))
    assert str(refused.value) == (f"{live} already holds data (units 1,141, members 1, reports 600, photos 3); "
                                  f"{media} already holds media files (3): add --force to replace it (what is replaced "
                                  "is kept beside it)")
    capsys.readouterr()
    await cdsbot(settings, "db", "restore", str(tmp_path / "b.tgz"), "--force")
    kept = [line.removeprefix("kept what was there before as ") for line in capsys.readouterr().out.splitlines()
            if line.startswith("kept ")]
    assert [p.rsplit(".before-restore-", 1)[0] for p in kept] == [live, str(media)]
    assert sqlite3.connect(kept[0]).execute("SELECT count(*) FROM report").fetchone() == (600,)
    assert len(list((tmp_path / "media").rglob("*.jpg"))) == 3


def test_a_backup_taken_while_writing_is_consistent(tmp_path):
    """Rows are written in pairs, one transaction each; every snapshot holds whole pairs and is sound."""
    live = tmp_path / "live.db"
    with sqlite3.connect(live) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE pair (n INTEGER, side TEXT)")
    stop = threading.Event()

    def write():
        conn, n = sqlite3.connect(live, timeout=30), 0
        while not stop.is_set():
            with conn:
                conn.executemany("INSERT INTO pair VALUES (?, ?)", [(n, "a"), (n, "b")])
            n += 1
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    reader = sqlite3.connect(live)
    try:
        while reader.execute("SELECT count(*) FROM pair").fetchone()[0] < 100:  # the writer is under way
            time.sleep(0.01)
        for i in range(5):
            committed = reader.execute("SELECT count(*) FROM pair").fetchone()[0]
            backup(live, tmp_path / "no-media", tmp_path / f"snap{i}")
            copy = sqlite3.connect(tmp_path / f"snap{i}" / "cdsbot.db")
            assert copy.execute("PRAGMA quick_check").fetchone() == ("ok",)
            a, b = (copy.execute("SELECT count(*) FROM pair WHERE side = ?", (side,)).fetchone()[0] for side in "ab")
            assert a == b and a + b >= committed, "whole pairs, and everything committed before (the WAL too)"
            copy.close()
    finally:
        stop.set()
        writer.join()
        reader.close()


@pytest.mark.parametrize("command", [["db", "backup", "x.tar.gz"], ["db", "restore", "x.tar.gz"]])
async def test_postgres_is_pointed_to_pg_dump_in_one_line(tmp_path, command):
    settings = Settings(database_url="postgresql+asyncpg://cdsbot:secret@127.0.0.1:1/cdsbot", media_dir=tmp_path)
    with pytest.raises(CliError) as told:
        await cdsbot(settings, *command)
    assert str(told.value) == ("the database is not SQLite: back it up with pg_dump --format=custom and restore it "
                               f"with pg_restore, and copy the media folder {tmp_path} (README, “Backups”)")


async def test_a_file_that_is_not_a_backup_is_refused(db, tmp_path):
    other = tmp_path / "notes.tar.gz"
    other.write_text("hello", encoding="utf-8")
    with pytest.raises(CliError, match=r"notes.tar.gz is not a cdsbot backup \(a .tar.gz or a folder made by"):
        await cdsbot(settings_for(tmp_path / "fresh.db", tmp_path / "media"), "db", "restore", str(other))
