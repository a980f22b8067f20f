"""A whole year's roll-up read from the trigger-kept totals equals the scan of every report, after any writes.

Random reports (seeded) are inserted, then updated as review and remap do (status, unit path, date,
counts) and deleted; after each round the fast path (bot/services/rollup_totals.py) and the scan
(bot/services/rollup_scan.py) must agree on every unit row, the total row, the counts, completeness,
timeliness and the chart's months, and the totals tables must equal a backfill from scratch.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import delete, func, insert, select, update

from bot.db import rollup_triggers
from bot.db.migrate import alembic_config, upgrade
from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report
from bot.db.rollup_totals import RollupMonth, RollupYear, RollupYearCount
from bot.services import exports, org, remap, remap_apply, reports, rollup_scan, rollup_totals
from bot.services.report_types import load_report_types
from tests.services.test_remap import AN_PHU, EFFECTIVE, seed, settled_map

YEAR = 2026
DEADLINE = datetime(YEAR, 6, 30, 17, 0, tzinfo=UTC)  # mid-year: some teams on time, some late
ROOTS = ("51", "533", "21409")  # the province, a district, a commune (with villages)
COUNT_IDS = sorted({c.id for t in load_report_types().values() for c in t.counts})


def _counts(rng: random.Random, kind) -> dict:
    """A type's counts, some absent and some None (a count the member skipped)."""
    found = {}
    for count in kind.counts:
        roll = rng.random()
        if roll > 0.15:
            found[count.id] = rng.randint(0, count.max)
        elif roll > 0.07:
            found[count.id] = None
    return found


async def _insert(session, rng: random.Random, n: int, start: int = 0) -> None:
    """`n` reports over the year (a few the year before and after) from half of the demo roster's teams."""
    teams = (await session.execute(select(Team.id, OrgUnit.path).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                   .order_by(Team.id))).all()
    member = await session.scalar(select(Member.id).limit(1))
    if member is None:
        session.add(holder := Member(full_name="Người Tạo Dữ Liệu", team_id=teams[0][0], created_at=DEADLINE))
        await session.flush()
        member = holder.id
    chosen = rng.sample(teams, k=len(teams) // 2)
    kinds = list(load_report_types().values())
    rows = []
    for i in range(start, start + n):
        team_id, path = rng.choice(chosen)
        kind = rng.choice(kinds)
        counts = _counts(rng, kind)
        day = date(YEAR, 1, 1) + timedelta(days=rng.randint(-20, 385))
        created = datetime.combine(day, time(), UTC) + timedelta(hours=rng.randint(1, 24 * 60))
        rows.append(dict(team_id=team_id, unit_path=path, type_id=kind.id, activity_date=day, counts=counts,
                         people=counts.get("people"), status=rng.choice(("pending", "approved", "returned")),
                         filed_by_member_id=member, draft_key=f"t-{i}", created_at=created, duplicate_photo=False))
    await session.execute(insert(Report), rows)


async def _change(session, rng: random.Random) -> None:
    """Review decisions, moved paths (as a remap), moved dates and edited counts one by one, and deletions."""
    ids = list((await session.execute(select(Report.id).order_by(Report.id))).scalars())
    teams = list((await session.execute(select(Team.id))).scalars())
    paths = list((await session.execute(select(OrgUnit.path).where(OrgUnit.depth >= 2))).scalars())
    for report_id in rng.sample(ids, k=len(ids) // 5):
        values = rng.choice([{"status": rng.choice(("pending", "approved", "returned"))},
                             {"activity_date": date(YEAR, 1, 1) + timedelta(days=rng.randint(-5, 370))},
                             {"counts": {"people": rng.randint(0, 30)}, "people": None},
                             {"team_id": rng.choice(teams)}])
        await session.execute(update(Report).where(Report.id == report_id).values(values))
    old = rng.choice(sorted({p for p in paths if p.count("/") >= 3}))
    await session.execute(update(Report).where(Report.unit_path.startswith(old))
                          .values(unit_path=rng.choice(paths)))  # many rows in one statement
    await session.execute(delete(Report).where(Report.id.in_(rng.sample(ids, k=len(ids) // 10))))


def _shape(row: reports.UnitRow) -> tuple:
    by_type = {t: (v.reports, v.people, v.teams, v.counts) for t, v in (row.by_type or {}).items()} or None
    return row.unit.id, row.own_team, row.expected, row.reported, row.on_time, row.late, by_type


async def _views(session, approved_only: bool) -> list:
    """Every figure of the roll-up page of each root for the year: rows, total, counts, the chart's months."""
    rollup_scan.clear_cache()
    found = []
    for code in ROOTS:
        root = await org.unit_by_code(session, code)
        view = await reports.rollup(session, root, date(YEAR, 1, 1), date(YEAR, 12, 31), deadline=DEADLINE,
                                    count_ids=COUNT_IDS, approved_only=approved_only, kinds=exports.kinds())
        months = await reports.monthly(session, root, date(YEAR, 1, 1), date(YEAR, 12, 31), approved_only)
        found.append(([_shape(r) for r in view.units], _shape(view.total), view.counts, months))
    return found


async def _fast_equals_scan(session, monkeypatch) -> None:
    for approved_only in (False, True):
        fast = await _views(session, approved_only)
        with monkeypatch.context() as patch:
            patch.setattr(rollup_totals, "whole_year", lambda start, end: False)
            patch.setattr(rollup_totals, "whole_months", lambda start, end: False)
            scan = await _views(session, approved_only)
        assert fast == scan
    assert any(row[6] for view in fast for row in view[0])  # not an empty comparison


async def _tables(session) -> list:
    return [sorted(tuple(row) for row in await session.execute(select(*table.__table__.c)))
            for table in (RollupYear, RollupYearCount, RollupMonth)]


async def _triggers_equal_backfill(session) -> None:
    """The tables the triggers kept equal a backfill from the reports as they are now."""
    kept = await _tables(session)
    for table in (RollupYear, RollupYearCount, RollupMonth):
        await session.execute(delete(table))
    await session.run_sync(lambda s: rollup_triggers.backfill(s.connection()))
    assert kept == await _tables(session)


@pytest.mark.parametrize("seed_value", [3, 11])
async def test_the_yearly_totals_give_the_scans_figures_after_inserts_updates_and_deletes(
        any_db, demo_roster, monkeypatch, seed_value):
    rng = random.Random(seed_value)
    async with any_db.session() as session:
        await _insert(session, rng, 900)
        await session.commit()
        await _fast_equals_scan(session, monkeypatch)
        for round_number in range(2):
            await _change(session, rng)
            await _insert(session, rng, 150, start=1000 * (round_number + 1))
            await session.commit()
            await _fast_equals_scan(session, monkeypatch)
            await _triggers_equal_backfill(session)
            await session.rollback()


async def test_a_remap_keeps_the_yearly_totals_right(any_db, demo_roster, tmp_path, monkeypatch):
    async with any_db.session() as session:
        await seed(session)  # 2024 reports over the 2023 tree
        path, _draft = await settled_map(session, tmp_path)
        plan = await remap.plan_remap(session, path, EFFECTIVE)
        await remap_apply.apply_remap(session, plan)
        await session.commit()
    async with any_db.session() as session:
        province, an_phu = await org.unit_by_code(session, "51"), await org.unit_by_code(session, AN_PHU)
        views = {}
        for fast in (True, False):
            with monkeypatch.context() as patch:
                if not fast:
                    patch.setattr(rollup_totals, "whole_year", lambda start, end: False)
                rollup_scan.clear_cache()
                views[fast] = [[_shape(r) for r in (await reports.rollup(
                    session, root, date(2024, 1, 1), date(2024, 12, 31), deadline=DEADLINE,
                    count_ids=["people"])).units] for root in (province, an_phu)]
        assert views[True] == views[False]
        assert any(row[6] for row in views[True][1])  # An Phú's predecessors' reports moved under it
        await _triggers_equal_backfill(session)


async def test_the_triggers_exist_after_migrating(any_db):
    async with any_db.engine.connect() as conn:
        if any_db.is_sqlite:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'report'"
            expected = set(rollup_triggers.TRIGGERS)
        else:
            query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'report'::regclass AND NOT tgisinternal"
            expected = {"rollup_report_change"}
        assert set((await conn.exec_driver_sql(query)).scalars()) >= expected


async def test_the_migration_backfills_the_reports_stored_before_it(any_db, demo_roster, monkeypatch):
    config = alembic_config(any_db.engine.url.render_as_string(hide_password=False))

    ours = next(r for r in ScriptDirectory.from_config(config).walk_revisions() if r.doc.startswith("rollup_year"))

    def down(connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, ours.down_revision)

    async with any_db.engine.begin() as conn:
        await conn.run_sync(down)  # no totals tables, no triggers
    async with any_db.session() as session:
        await _insert(session, random.Random(5), 400)
        await session.commit()
    await upgrade(any_db.engine)
    async with any_db.session() as session:
        assert await session.scalar(select(func.sum(RollupYear.reports))) == 400
        await _fast_equals_scan(session, monkeypatch)
