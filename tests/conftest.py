"""Shared fixtures: fresh migrated databases (SQLite, and PostgreSQL when configured) and the demo roster.

- `db`: a fresh, migrated SQLite database (a `bot.db.session.Database`) in the test's tmp_path.
- `any_db`: the same, once on SQLite and once on PostgreSQL; the PostgreSQL run gets its own
  database on the server named by CDSBOT_TEST_POSTGRES_URL and is skipped when that is unset.
- `demo_roster`: the test's `any_db` (or `db` when the test does not ask for `any_db`) holding
  content/units/*.csv, imported and committed; copied from a template imported once per session.

Every test runs in its own empty working directory with no CDSBOT_* variables, so a developer's
`.env` or environment never leaks in.
"""

import os
import secrets
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli.common import DEMO_ROSTERS, import_files
from bot.db.migrate import upgrade
from bot.db.session import Database

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("CDSBOT_TEST_POSTGRES_URL")
NO_POSTGRES = "CDSBOT_TEST_POSTGRES_URL not set: PostgreSQL storage tests skipped"

_templates: dict[str, str] = {}  # backend -> demo template (SQLite file / PostgreSQL database name)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No CDSBOT_* variables and an empty working directory, so no .env is read."""
    for key in list(os.environ):
        if key.startswith("CDSBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


async def _migrate(database: Database, demo: bool) -> None:
    await upgrade(database.engine)
    if demo:
        result = await import_files(database, DEMO_ROSTERS, show_progress=False)
        assert not result.problems, result.problems


async def _sqlite(tmp_path: Path, tmp_path_factory, demo: bool) -> Database:
    target = tmp_path / "cdsbot.db"
    if demo:
        if "sqlite" not in _templates:
            template = tmp_path_factory.mktemp("template") / "demo.db"
            database = Database(f"sqlite+aiosqlite:///{template}")
            await _migrate(database, demo=True)
            await database.dispose()
            _templates["sqlite"] = str(template)
        shutil.copyfile(_templates["sqlite"], target)
    database = Database(f"sqlite+aiosqlite:///{target}")
    if not demo:
        await _migrate(database, demo=False)
    return database


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def _postgres_admin(*statements: str) -> None:
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _postgres(demo: bool) -> Database:
    name = f"cdsbot_test_{secrets.token_hex(6)}"
    if demo:
        if "postgres" not in _templates:
            template = f"cdsbot_test_template_{secrets.token_hex(6)}"
            await _postgres_admin(f'CREATE DATABASE "{template}"')
            database = Database(_postgres_url(template))
            await _migrate(database, demo=True)
            await database.dispose()
            _templates["postgres"] = template
        await _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{_templates["postgres"]}"')
        return Database(_postgres_url(name))
    await _postgres_admin(f'CREATE DATABASE "{name}"')
    database = Database(_postgres_url(name))
    await _migrate(database, demo=False)
    return database


def pytest_sessionfinish(session, exitstatus):
    if "postgres" in _templates:
        import asyncio

        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{_templates.pop("postgres")}" WITH (FORCE)'))


@pytest.fixture
async def db(request, tmp_path, tmp_path_factory):
    database = await _sqlite(tmp_path, tmp_path_factory, "demo_roster" in request.fixturenames)
    yield database
    await database.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def any_db(request, tmp_path, tmp_path_factory):
    demo = "demo_roster" in request.fixturenames
    if request.param == "sqlite":
        database = await _sqlite(tmp_path, tmp_path_factory, demo)
        yield database
        await database.dispose()
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    database = await _postgres(demo)
    try:
        yield database
    finally:
        await database.dispose()
        name = database.engine.url.database
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def demo_roster(request) -> Database:
    """The test's database with the demo roster committed (see the module docstring)."""
    return request.getfixturevalue("any_db" if "any_db" in request.fixturenames else "db")
