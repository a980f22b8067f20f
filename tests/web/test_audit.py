"""The audit log: what is recorded, who reads which entries, filters, and the CSV export (itself recorded)."""

import asyncio
import csv
import io
from datetime import timedelta

from sqlalchemy import select

from bot.cli import main
from bot.db.console import AuditEntry
from bot.db.models import OrgUnit
from bot.services import access, audit
from bot.services.audit import AuditAction, AuditFilter
from tests.web.conftest import COMMUNE, START, add_member, sign_in


async def _entries(db, *rows) -> None:
    async with db.session() as session:
        for name, action, unit_path, minutes in rows:
            await audit.record(session, actor_account_id=None, actor_name=name, action=action, target="t",
                               unit_path=unit_path, address="10.0.0.1", at=START + timedelta(minutes=minutes))
        await session.commit()


async def test_officers_read_their_subtree_and_admins_everything(any_db):
    db = any_db
    await _entries(db, ("An", AuditAction.SIGNIN, "/1/5/", 0), ("Bình", AuditAction.ROSTER_IMPORTED, "/2/7/", 1),
                   ("Chi", AuditAction.SETTINGS_CHANGED, None, 2))
    officer = access.Actor(access.Role.OFFICER, "/1/")
    admin = access.Actor(access.Role.ADMIN, access.WHOLE_TREE)
    async with db.session() as session:
        assert [e.actor_name for e in await audit.entries(session, officer, AuditFilter())] == ["An"]
        assert [e.actor_name for e in await audit.entries(session, admin, AuditFilter())] == ["Chi", "Bình", "An"]


async def test_filters_by_who_action_and_local_days(any_db):
    db = any_db
    await _entries(db, ("Nguyễn An", AuditAction.SIGNIN, "/1/", 0), ("Trần Bình", AuditAction.SIGNIN, "/1/", 60 * 24),
                   ("Nguyễn An", AuditAction.SIGNOUT, "/1/", 60 * 24 + 5))
    admin = access.Actor(access.Role.ADMIN, access.WHOLE_TREE)
    next_day = (START + timedelta(days=1)).date()
    cases = [
        (AuditFilter(who="nguyễn"), ["signout", "signin"]),
        (AuditFilter(action="signin"), ["signin", "signin"]),
        (AuditFilter(since=next_day), ["signout", "signin"]),
        (AuditFilter(until=START.date()), ["signin"]),
        (AuditFilter(who="%"), []),  # typed wildcards match themselves only
    ]
    async with db.session() as session:
        for filters, expected in cases:
            assert [e.action for e in await audit.entries(session, admin, filters)] == expected, filters


def test_filters_from_a_query_string_ignore_what_does_not_parse():
    query = {"who": " An ", "action": "drop table", "since": "2026-13-01", "until": "2026-11-30"}
    filters = AuditFilter.from_query(query)
    assert (filters.who, filters.action, filters.since, str(filters.until)) == ("An", "", None, "2026-11-30")


async def test_the_page_and_the_csv_export_which_is_audited(client, demo_roster, people):
    phone, chat = people["officer"]
    await sign_in(client, demo_roster, phone, chat)
    await _entries(demo_roster, ("=HYPERLINK(1)", AuditAction.ROSTER_IMPORTED, "/elsewhere/", 0))
    page = await client.get("/admin/audit?action=signin")
    text = await page.text()
    assert page.status == 200 and "Lê Văn Cán Bộ" in text and "Đã đăng nhập" in text
    export = await client.get("/admin/audit.csv")
    assert export.status == 200 and export.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO((await export.read()).decode("utf-8-sig"))))
    assert rows[0][:3] == ["at_utc", "actor", "action"]
    assert [row[2] for row in rows[1:]] == ["signin"]  # the other unit's entry is not the officer's to read
    async with demo_roster.session() as session:
        last = (await session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))).scalar_one()
    assert (last.action, last.actor_name, last.target) == ("export_downloaded", "Lê Văn Cán Bộ", "audit.csv")


def test_csv_cells_cannot_run_formulas():
    assert audit._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and audit._cell("An") == "An"


async def test_command_line_promotions_and_roster_imports_are_recorded(demo_roster, monkeypatch):
    member = await add_member(demo_roster, COMMUNE, "Đỗ Minh", "+84905000020", "chat-do-0020")
    monkeypatch.setenv("CDSBOT_DATABASE_URL", demo_roster.url)
    assert await asyncio.to_thread(main, ["members", "promote", str(member), "--role", "leader"]) == 0
    async with demo_roster.session() as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
        commune = (await session.execute(select(OrgUnit.path).where(OrgUnit.code == COMMUNE))).scalar_one()
    imported, promoted = rows[0], rows[-1]
    assert (imported.action, imported.actor_name, imported.unit_path) == ("roster_imported", audit.COMMAND_LINE, None)
    assert "quang-ngai-2023.csv" in imported.target
    assert (promoted.action, promoted.target) == ("member_promoted", "Đỗ Minh → leader")
    assert promoted.unit_path.startswith(commune)  # officers of the commune read it
