"""Issue 16.6: `cdsbot run` migrated the database itself at every start, behind the operator's back. It now
refuses an empty or outdated schema with one line naming `cdsbot db upgrade`, and leaves the database as it was;
`cdsbot db upgrade` then lets it start (`cdsbot demo`, the quick start, still migrates itself: tests/e2e)."""

import pytest

from bot.db.migrate import revisions, upgrade
from bot.db.session import Database
from tests.test_cli import cdsbot


async def _revisions(url: str) -> tuple[str | None, str]:
    db = Database(url)
    try:
        return await revisions(db.engine)
    finally:
        await db.dispose()


@pytest.mark.parametrize("at, says", [
    (None, "the database has no cdsbot tables yet: run `cdsbot db upgrade` first"),
    ("0010", "the database is at migration 0010, this cdsbot needs {head}: run `cdsbot db upgrade` first"),
])
async def test_run_refuses_a_schema_behind_the_code_and_leaves_it_alone(tmp_path, at, says):
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    if at is not None:
        db = Database(url)
        await upgrade(db.engine, at)
        await db.dispose()
    head = (await _revisions(url))[1]
    done = cdsbot(tmp_path, "run", CDSBOT_DATABASE_URL=url, CDSBOT_CONSOLE="false")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"cdsbot: {says.format(head=head)} (with the same settings), then start again"]
    assert (await _revisions(url))[0] == at, "run changed the schema"
    upgraded = cdsbot(tmp_path, "db", "upgrade", CDSBOT_DATABASE_URL=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (await _revisions(url)) == (head, head)
