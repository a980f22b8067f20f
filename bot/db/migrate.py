"""Run Alembic from code: `cdsbot db upgrade` and the tests use the same path; `cdsbot run` only checks.

Production migrates as its own step (`cdsbot db upgrade`), so a server never changes the schema behind
the operator's back: `require_current` refuses to start on a database that is empty or behind the code.
"""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import resources
from bot.config import ConfigError

MIGRATIONS = resources.MIGRATIONS


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database behind `engine` to `revision` (head by default)."""
    cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))

    def _run(connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_run)


async def revisions(engine: AsyncEngine) -> tuple[str | None, str]:
    """The database's revision (None when it has no schema yet) and the code's newest one."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    async with engine.connect() as connection:
        current = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    return current, head


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision) is not None
    except CommandError:
        return False


async def require_current(engine: AsyncEngine) -> None:
    """Raise ConfigError (one line naming the fix) unless the database is at the code's newest migration."""
    current, head = await revisions(engine)
    if current == head:
        return
    if current is None:
        where = "has no cdsbot tables yet"
    elif not _known(current):
        raise ConfigError(f"the database is at migration {current}, which this cdsbot does not know "
                          f"(it needs {head}): was it migrated by a newer version?")
    else:
        where = f"is at migration {current}, this cdsbot needs {head}"
    raise ConfigError(f"the database {where}: run `cdsbot db upgrade` first (with the same settings), then start again")
