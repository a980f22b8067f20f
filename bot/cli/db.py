"""`cdsbot db upgrade|backup|restore`: migrate the database; back it up with its media, and restore it."""

from pathlib import Path

from bot.cli.common import CliError
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.services import backup

POSTGRES_HINT = ("the database is not SQLite: back it up with pg_dump --format=custom and restore it with pg_restore, "
                 "and copy the media folder {media} (README, “Backups”)")


async def cmd_db_upgrade(settings: Settings, args) -> None:
    """Migrate the configured database (creating a new SQLite file if needed)."""
    await _upgrade(settings)
    print("database is at the latest version")


async def _upgrade(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()


def _sqlite_file(settings: Settings) -> Path:
    """The configured SQLite file; PostgreSQL is told to use its own tools, in one line."""
    try:
        path = backup.sqlite_file(settings.database_url)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    if path is None:
        raise CliError(POSTGRES_HINT.format(media=settings.media_dir))
    return path


async def cmd_db_backup(settings: Settings, args) -> None:
    """Snapshot the database (consistent while the server runs) and the media into FILE (.tar.gz) or a folder."""
    try:
        summary = backup.backup(_sqlite_file(settings), Path(settings.media_dir), args.file)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"backed up {settings.media_dir} and the database to {args.file}: {summary}")


async def cmd_db_restore(settings: Settings, args) -> None:
    """Restore a backup (stop the server first); a database or media folder holding data needs --force."""
    db_file = _sqlite_file(settings)
    try:
        done = backup.restore(args.file, db_file, Path(settings.media_dir), force=args.force)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    when = f" (made {done.summary.created_at})" if done.summary.created_at else ""
    print(f"restored {args.file}{when} into {db_file} and {settings.media_dir}: {done.summary}")
    for path in done.kept:
        print(f"kept what was there before as {path}")
    await _upgrade(settings)
    print("database is at the latest version")


def add_commands(commands) -> None:
    """Register `db upgrade|backup|restore`."""
    db = commands.add_parser("db", help="database").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", help="bring the database to the latest migration").set_defaults(func=cmd_db_upgrade)
    back = db.add_parser("backup", help="copy the SQLite database and the media folder (safe while serving)")
    back.add_argument("file", type=Path, help="a new .tar.gz file, or else a new folder")
    back.set_defaults(func=cmd_db_backup)
    rest = db.add_parser("restore", help="put a backup in place (stop the server first)")
    rest.add_argument("file", type=Path, help="a .tar.gz or a folder made by `cdsbot db backup`")
    rest.add_argument("--force", action="store_true", help="replace a database or media folder holding data "
                      "(what is replaced is kept beside it)")
    rest.set_defaults(func=cmd_db_restore)
