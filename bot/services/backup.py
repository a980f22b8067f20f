"""Back up and restore a SQLite cdsbot: the database and the media folder, as one .tar.gz or one folder.

The database is copied with SQLite's online backup API, so a backup taken while the server runs is a
consistent snapshot. Media files are copied after it: a photo's file is written before its row is
committed, so every photo the snapshot names is in the backup. PostgreSQL is backed up with its own
tools (`pg_dump`, `pg_restore`; see the README).
"""

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

DB_NAME, MEDIA, MANIFEST = "cdsbot.db", "media", "cdsbot-backup.json"
FORMAT = 1
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
COUNTED = (("org_unit", "units"), ("member", "members"), ("report", "reports"), ("photo", "photos"))


NOT_A_BACKUP = "is not a cdsbot backup (a .tar.gz or a folder made by `cdsbot db backup`)"


class BackupError(Exception):
    """A backup or restore that cannot be done, said in one line."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds, in the words an operator checks it by."""

    rows: dict[str, int]
    media_files: int
    created_at: str = ""

    def __str__(self) -> str:
        return f"{_rows_text(self.rows)}; media files {self.media_files:,}"


def _rows_text(rows: dict[str, int]) -> str:
    return ", ".join(f"{label} {n:,}" for label, n in rows.items())


@dataclass(frozen=True)
class Restored:
    """What a restore put in place, and where it kept what it replaced."""

    summary: Summary
    kept: list[Path]


def sqlite_file(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for any other database (PostgreSQL has pg_dump)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def is_archive(path: Path) -> bool:
    """A backup named .tar.gz or .tgz is one archive; any other name is a folder."""
    return path.name.endswith(ARCHIVE_SUFFIXES)


def backup(db_file: Path, media_dir: Path, target: Path) -> Summary:
    """Write a .tar.gz (by its name) or else a folder holding a snapshot of the database and the media."""
    if target.exists():
        raise BackupError(f"{target} already exists: name a new file or folder")
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent} to write {target.name} in")
    if not db_file.is_file():
        raise BackupError(f"no database file {db_file}")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".cdsbot-backup-") as work:
        staging = Path(work) / "backup"
        staging.mkdir()
        _copy_database(db_file, staging / DB_NAME)
        files = _copy_media(media_dir, staging / MEDIA)  # after the database (see the module docstring)
        summary = Summary(_counts(staging / DB_NAME), files, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        manifest = {"cdsbot_backup": FORMAT, "created_at": summary.created_at, "media_files": files}
        (staging / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        if is_archive(target):
            partial = Path(work) / "backup.tar.gz"
            with tarfile.open(partial, "w:gz") as tar:
                for item in sorted(staging.iterdir()):
                    tar.add(item, arcname=item.name)
            os.replace(partial, target)
        else:
            staging.rename(target)
    return summary


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while another process writes."""
    with _connect(source) as src, _connect(target) as dst:
        src.backup(dst)


def _connect(path: Path) -> closing[sqlite3.Connection]:
    """A connection closed on leaving the `with` (sqlite3's own context manager only commits)."""
    return closing(sqlite3.connect(path))


def _copy_media(media_dir: Path, target: Path) -> int:
    """Copy every finished media file (not `.part` files being written); return how many."""
    target.mkdir(parents=True)
    count = 0
    if media_dir.is_dir():
        for path in sorted(media_dir.rglob("*")):
            if path.is_file() and path.suffix != ".part":
                destination = target / path.relative_to(media_dir)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
                count += 1
    return count


def _counts(db_file: Path) -> dict[str, int]:
    """Rows of the tables an operator recognises (a table missing from an old schema counts 0)."""
    counts = {}
    with _connect(db_file) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, label in COUNTED:
            counts[label] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] if table in names else 0
    return counts


def holds_data(db_file: Path) -> bool:
    """Whether the database has any row besides its schema version (a migrated, empty one has none)."""
    if not db_file.is_file() or db_file.stat().st_size == 0:
        return False
    with _connect(db_file) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version'")]
        return any(conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() for table in tables)


def restore(source: Path, db_file: Path, media_dir: Path, force: bool = False) -> Restored:
    """Put a backup's database and media in place; data already there is refused unless `force`, then kept aside."""
    if not source.exists():
        raise BackupError(f"no backup {source}")
    db_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=db_file.parent, prefix=".cdsbot-restore-") as work:
        folder = _unpacked(source, Path(work))
        summary = _checked(folder, source)
        present = _present(db_file, media_dir)
        if present and not force:
            raise BackupError(f"{present}: add --force to replace it (what is replaced is kept beside it)")
        kept = _set_aside(db_file, media_dir) if present else []
        _copy_database(folder / DB_NAME, db_file)
        if (folder / MEDIA).is_dir():
            shutil.copytree(folder / MEDIA, media_dir, dirs_exist_ok=True)
    return Restored(summary, kept)


def _unpacked(source: Path, work: Path) -> Path:
    """The backup's folder: the source itself, or a .tar.gz extracted (no links, nothing outside `work`)."""
    if source.is_dir():
        return source
    if not tarfile.is_tarfile(source):
        raise BackupError(f"{source} {NOT_A_BACKUP}")
    folder = work / "unpacked"
    try:
        with tarfile.open(source) as tar:
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} cannot be read: {exc}") from None
    return folder


def _checked(folder: Path, source: Path) -> Summary:
    """The backup's summary, once its manifest and its database copy are sound."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict) or manifest.get("cdsbot_backup") != FORMAT or not (folder / DB_NAME).is_file():
        raise BackupError(f"{source} {NOT_A_BACKUP}")
    try:
        with _connect(folder / DB_NAME) as conn:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        check = str(exc)
    if check != "ok":
        raise BackupError(f"{source}: its database copy is damaged ({check})")
    return Summary(_counts(folder / DB_NAME), int(manifest.get("media_files", 0)), str(manifest.get("created_at", "")))


def _present(db_file: Path, media_dir: Path) -> str:
    """What a restore would replace, said in one phrase ('' when nothing)."""
    found = []
    if holds_data(db_file):
        found.append(f"{db_file} already holds data ({_rows_text(_counts(db_file))})")
    files = sum(1 for p in media_dir.rglob("*") if p.is_file()) if media_dir.is_dir() else 0
    if files:
        found.append(f"{media_dir} already holds media files ({files:,})")
    return "; ".join(found)


def _set_aside(db_file: Path, media_dir: Path) -> list[Path]:
    """Keep the database and media a forced restore replaces, named `….before-restore-<time>`."""
    stamp, kept = datetime.now(UTC).strftime("%Y%m%d-%H%M%S"), []
    if db_file.is_file():
        kept.append(db_file.with_name(f"{db_file.name}.before-restore-{stamp}"))
        _copy_database(db_file, kept[-1])
    if media_dir.is_dir() and any(media_dir.iterdir()):
        kept.append(media_dir.with_name(f"{media_dir.name}.before-restore-{stamp}"))
        media_dir.rename(kept[-1])
    return kept
