"""Migrations and models agree, on SQLite and PostgreSQL, and upgrading is repeatable."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import bot.db.models  # noqa: F401  (registers the tables)
from bot.cli import main
from bot.db.migrate import alembic_config


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
    return compare_metadata(context, SQLModel.metadata)


async def test_models_match_migrations(any_db):
    async with any_db.engine.connect() as conn:
        differences = await conn.run_sync(_differences)
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert differences == [], "models and migrations disagree; write a migration:\n" + "\n".join(map(str, differences))
    assert set(SQLModel.metadata.tables) <= tables


async def _version(database) -> str:
    async with database.engine.connect() as conn:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()


async def test_cli_db_upgrade_twice(any_db, monkeypatch, capsys):
    head = ScriptDirectory.from_config(alembic_config(any_db.url)).get_current_head()
    monkeypatch.setenv("CDSBOT_DATABASE_URL", any_db.url)
    await any_db.dispose()  # let the command have the database to itself
    for _ in range(2):
        assert await asyncio.to_thread(main, ["db", "upgrade"]) == 0
        assert capsys.readouterr().out == "database is at the latest version\n"
    assert await _version(any_db) == head


async def test_cli_db_upgrade_creates_a_new_sqlite_file(tmp_path, monkeypatch, capsys):
    target = tmp_path / "sub" / "dir" / "new.db"
    monkeypatch.setenv("CDSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{target}")
    assert await asyncio.to_thread(main, ["db", "upgrade"]) == 0
    assert target.exists()
    assert "latest version" in capsys.readouterr().out
