"""Alembic environment: async engine, SQLModel metadata, batch mode on SQLite."""

import asyncio
import importlib
import pkgutil

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import bot.db
from bot.db.session import make_engine
from bot.db.types import UtcDateTime

# Every module in bot/db registers its tables on import.
for module in pkgutil.iter_modules(bot.db.__path__):
    importlib.import_module(f"bot.db.{module.name}")
target_metadata = SQLModel.metadata


def _render_item(kind, obj, autogen_context):
    """Write SQLModel's and our own column types as plain, importable names."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "bot.db.types.UtcDateTime()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_async(context.config.get_main_option("sqlalchemy.url")))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `cdsbot db upgrade`")
run_migrations_online()
