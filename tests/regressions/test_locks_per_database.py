"""Issue 16.5: the scheduler's and the senders' advisory locks were keyed for the whole PostgreSQL server, not the
database, so two cdsbot databases on one server (two provinces, or two test runs) shared one scheduler and one
sender per channel: the second database's schedules never fired and its broadcasts were never sent. Each database
now has its own locks; two processes on the same database still exclude each other."""

import pytest

from bot.clock import Clock
from bot.db.session import Database
from bot.delivery.lead import Lead
from bot.scheduler import Scheduler
from tests.conftest import _postgres, _postgres_admin

pytestmark = pytest.mark.parametrize("any_db", ["postgres"], indirect=True)


async def test_each_database_has_its_own_scheduler_and_senders(any_db):
    other_db = await _postgres(demo=False)
    same_db = Database(any_db.url)
    schedulers = [Scheduler(db, Clock()) for db in (any_db, other_db, same_db)]
    leads = [Lead(db, lambda _channel: None) for db in (any_db, other_db, same_db)]
    try:
        for lead in leads:
            await lead.open()
        assert [await scheduler._acquire() for scheduler in schedulers] == [True, True, False]
        assert [await lead.take("telegram") for lead in leads] == [True, True, False]
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
        for lead in leads:
            await lead.close()
        await same_db.dispose()
        await other_db.dispose()
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{other_db.engine.url.database}" WITH (FORCE)')
