"""Roll-ups checked against a plain-Python computation over the same random reports (fixed seed)."""

import json
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report
from bot.services import org, reports
from bot.services.report_types import load_report_types

START, END = date(2026, 11, 1), date(2026, 11, 30)
DEADLINE = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
COUNT_IDS = sorted({c.id for t in load_report_types().values() for c in t.counts})


async def _generate(session, seed: int = 8, n: int = 2500) -> None:
    """Random reports over two-thirds of the demo roster's teams, some outside the period."""
    rng = random.Random(seed)
    teams = (await session.execute(select(Team.id, OrgUnit.path, OrgUnit.code)
                                   .join(OrgUnit, Team.unit_id == OrgUnit.id).order_by(Team.id))).all()
    member = Member(full_name="Người Tạo Dữ Liệu", team_id=teams[0][0], created_at=DEADLINE)
    session.add(member)
    await session.flush()
    types = [t for t in load_report_types().values() if t.counts]  # the written kinds count nothing
    chosen = rng.sample(teams, k=len(teams) * 2 // 3) + [t for t in teams if t.code in ("21409", "21409-03")]
    rows = []
    for i in range(n):
        team_id, path, _code = rng.choice(chosen)
        kind = rng.choice(types)
        counts = {c.id: rng.randint(0, c.max) for c in kind.counts}
        day = date(2026, 10, 20) + timedelta(days=rng.randint(0, 50))
        created = datetime.combine(day, time(), UTC) + timedelta(hours=rng.randint(1, 24 * 20))
        status = rng.choice(("pending", "approved", "approved", "returned"))
        rows.append(dict(team_id=team_id, unit_path=path, type_id=kind.id, activity_date=day, counts=counts,
                         people=counts.get("people"), status=status,
                         filed_by_member_id=member.id, draft_key=f"gen-{i}", created_at=created, duplicate_photo=False))
    await session.execute(insert(Report), rows)
    await session.commit()


def _child(path: str, root: OrgUnit) -> int:
    rest = path[len(root.path):]
    return int(rest.split("/")[0]) if rest else root.id


async def _expected(session, root: OrgUnit, approved_only: bool):
    """The same figures computed in Python from every row, without the roll-up's SQL."""
    ok = {"approved"} if approved_only else {"pending", "approved"}
    rows = [r for r in (await session.execute(select(Report))).scalars()
            if r.unit_path.startswith(root.path) and START <= r.activity_date <= END and r.status in ok]
    totals: dict = defaultdict(lambda: defaultdict(lambda: [0, None, set()]))
    counts: dict = defaultdict(lambda: dict.fromkeys(COUNT_IDS))
    first: dict[int, datetime] = {}
    for r in rows:
        cell = totals[_child(r.unit_path, root)][r.type_id]
        cell[0] += 1
        cell[1] = r.people if cell[1] is None else cell[1] + (r.people or 0)
        cell[2].add(r.team_id)
        for cid, value in r.counts.items():
            counts[r.type_id][cid] = (counts[r.type_id][cid] or 0) + value
        first[r.team_id] = min(first.get(r.team_id, r.created_at), r.created_at)
    complete: dict = defaultdict(lambda: [0, 0, 0, 0])
    for team, unit in await org.teams_in(session, root):
        cell = complete[_child(unit.path, root)]
        cell[0] += 1
        if team.id in first:
            cell[1] += 1
            cell[2 if first[team.id] <= DEADLINE else 3] += 1
    return ({u: {t: reports.TypeTotal(c[0], c[1], len(c[2])) for t, c in by.items()} for u, by in totals.items()},
            dict(counts), {u: tuple(c) for u, c in complete.items()})


@pytest.mark.parametrize("code", ["51", "533", "21409", "21409-03"])
@pytest.mark.parametrize("approved_only", [False, True])
async def test_rollup_matches_a_plain_python_count(any_db, demo_roster, code, approved_only):
    async with any_db.session() as session:
        await _generate(session)
        root = await org.unit_by_code(session, code)
        totals, counts, complete = await _expected(session, root, approved_only)
        assert totals, "the dataset should have reports in every subtree tested"
        assert await reports.totals_by_unit_and_type(session, root, START, END, approved_only) == totals
        assert await reports.count_totals(session, root, START, END, COUNT_IDS, approved_only) == counts
        assert await reports.completeness(session, root, START, END, DEADLINE, approved_only) == complete
        result = await reports.rollup(session, root, START, END, deadline=DEADLINE, count_ids=COUNT_IDS,
                                      approved_only=approved_only)
    assert result.total.reports == sum(t.reports for by in totals.values() for t in by.values())
    assert result.total.expected == sum(c[0] for c in complete.values())
    assert [row.unit.id for row in result.units if row.own_team] == ([root.id] if root.id in complete else [])


async def test_no_data_is_not_zero_and_the_root_s_own_team_is_a_row(any_db, demo_roster):
    async with any_db.session() as session:
        root = await org.unit_by_code(session, "21409")
        village = await org.unit_by_code(session, "21409-03")
        team = (await session.execute(select(Team).where(Team.unit_id == village.id))).scalar_one()
        member = Member(full_name="Người Thử", team_id=team.id, created_at=DEADLINE)
        session.add(member)
        await session.flush()
        session.add(Report(team_id=team.id, unit_path=village.path, type_id="public_services",
                           activity_date=date(2026, 11, 10), counts={"people": 0}, people=0, status="approved",
                           filed_by_member_id=member.id, draft_key="zero", created_at=DEADLINE + timedelta(days=1)))
        await session.flush()
        result = await reports.rollup(session, root, START, END, deadline=DEADLINE, count_ids=COUNT_IDS)
    rows = {row.unit.code: row for row in result.units}
    assert rows["21409"].unit.id == root.id and rows["21409"].own_team  # the commune's own team, apart from villages
    assert result.units[-1] is rows["21409"] and not any(row.own_team for row in result.units[:-1])
    assert (result.total.reports, result.total.people, result.total.unit.id) == (1, 0, root.id)
    assert rows["21409-03"].people == 0 and rows["21409-03"].reports == 1
    assert (rows["21409-03"].reported, rows["21409-03"].on_time, rows["21409-03"].late) == (1, 0, 1)
    assert rows["21409-04"].people is None and rows["21409-04"].by_type is None and rows["21409-04"].expected == 1
    assert result.counts["public_services"]["people"] == 0 and "vneid" not in result.counts


async def test_cli_summary_prints_vietnamese_numbers_and_json(db, demo_roster, capsys):
    from bot.cli import build_parser
    from bot.config import Settings

    async with db.session() as session:
        await _generate(session, n=3000)
    settings = Settings(database_url=str(db.engine.url))
    args = build_parser().parse_args(["reports", "summary", "--from", "2026-11-01", "--to", "2026-11-30",
                                      "--deadline", "2026-12-05"])
    await args.func(settings, args)
    out = capsys.readouterr().out
    assert out.startswith("Tỉnh Quảng Ngãi [51] · 01/11/2026–30/11/2026")
    assert "Huyện Mộ Đức" in out and any("." in word and word.replace(".", "").isdigit() for word in out.split())
    args = build_parser().parse_args(["reports", "summary", "--unit", "21409", "--from", "2026-11-01", "--to",
                                      "2026-11-30", "--approved-only", "--json"])
    await args.func(settings, args)
    data = json.loads(capsys.readouterr().out)
    assert data["unit"] == "21409" and data["approved_only"] is True
    assert {row["code"] for row in data["units"]} >= {"21409", "21409-03"}
    assert any(row["reports"] is None and row["people"] is None for row in data["units"])
    assert data["total"]["reports"] == sum(row["reports"] or 0 for row in data["units"])
