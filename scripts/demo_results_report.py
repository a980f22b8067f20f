"""Fill a database with the demo roster, demo base figures and demo DX Day 2027 reports, for the results report.

    CDSBOT_DATABASE_URL=sqlite+aiosqlite:///var/demo-report.db .venv/bin/python scripts/demo_results_report.py
    CDSBOT_DATABASE_URL=sqlite+aiosqlite:///var/demo-report.db .venv/bin/cdsbot reports document \
        --unit 51 --plan national-dx-day:2027 --date 2027-10-15 -o var/documents/bao-cao-ngay-cds-2027.docx

Demo data only (made-up reports, rounded illustrative base figures); never run it against a real database.
"""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.common import DEMO_ROSTERS, import_files
from bot.config import load_settings
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.services import bases, document_demo, org

BASES = Path(__file__).resolve().parent / "demo" / "quang-ngai-bases-demo.csv"


async def main() -> None:
    """Migrate, import the roster when empty, then the base figures and the reports (each once)."""
    settings = load_settings()
    db = Database(settings.database_url)
    now = datetime(2027, 10, 13, 1, 0, tzinfo=UTC)
    try:
        await upgrade(db.engine)
        async with db.session() as session:
            empty = (await org.stats(session))["teams"] == 0
        if empty:
            await import_files(db, DEMO_ROSTERS, show_progress=False)
        async with db.session() as session:
            figures, problems = bases.parse_csv(BASES.read_text(encoding="utf-8"))
            written, missing = await bases.import_bases(session, figures, now)
            assert not problems and not missing, problems + missing
            await session.commit()
            added = await document_demo.seed(session, settings.media_dir, now)
        print(f"base figures: {written} units; demo reports added: {added}")
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
