"""What every `cdsbot` command group shares: the error it prints, a session on a migrated database, CSV and progress."""

import csv
import sys
from pathlib import Path

from tqdm import tqdm

from bot import resources
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.services import audit, org, roster
from bot.services.audit import AuditAction

DEMO_ROSTERS = sorted(resources.UNITS.glob("*.csv"))


class CliError(Exception):
    """A problem to print as one line and exit non-zero."""


def output_file(name: str | Path) -> Path:
    """The file a command writes, its folder made if missing: `-o reports/2027/x.docx` just works."""
    path = Path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    if path.is_dir():
        raise CliError(f"cannot write {path}: it is a folder")
    return path


async def with_session(settings: Settings, work):
    """Run `work(session)` on the configured database, migrated first; the database is closed after."""
    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
        async with db.session() as session:
            return await work(session)
    finally:
        await db.dispose()


async def unit_or_none(session, code: str | None):
    """The unit a command names by code (None when it names none); an unknown code is the user's error."""
    if code is None:
        return None
    unit = await org.unit_by_code(session, code)
    if unit is None:
        raise CliError(f"no unit with code {code}")
    return unit


def progress(desc: str, unit: str, show: bool = True) -> tqdm:
    """A progress bar on stderr, so stdout stays clean for pipes."""
    return tqdm(desc=desc, unit=unit, disable=not show, file=sys.stderr)


def write_csv(header: list[str], rows) -> None:
    """Print rows as CSV on stdout, header first."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


async def import_files(db: Database, files: list[Path], show_progress: bool) -> roster.ImportResult:
    """Import rosters in one transaction, with a progress bar on a terminal."""
    with progress("units", " rows", show_progress) as bar:
        async with db.session() as session:
            result = await roster.import_rosters(session, files, progress=bar.update)
            if result.problems:
                await session.rollback()
            else:
                names = ", ".join(file.name for file in files)
                await audit.record_command(session, AuditAction.ROSTER_IMPORTED, target=names,
                                           detail={"created": result.created, "updated": result.updated})
                await session.commit()
    return result
