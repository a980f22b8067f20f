"""Roll-ups after the 2025 remap: on the new tree, on the tree as it stood at a date, and two periods side by side."""

from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report
from bot.i18n import Translator
from bot.services import exports, org, remap, remap_apply, reports, rollup_history
from tests.services.test_remap import AN_PHU, DEADLINE, EFFECTIVE, remap_into_an_phu, seed, settled_map

Y2024, Y2026 = (date(2024, 1, 1), date(2024, 12, 31)), (date(2026, 1, 1), date(2026, 12, 31))
AS_AT = date(2024, 12, 31)
DISTRICT = "522"  # Huyện Tư Nghĩa: Xã Nghĩa Hà was in it


def figures(result: reports.Rollup) -> dict:
    """{(unit id, own team): (reports, people, expected, reported, on time, late)} and the total."""
    rows = {(r.unit.id, r.own_team): (r.reports, r.people, r.expected, r.reported, r.on_time, r.late)
            for r in result.units}
    return rows | {"total": (result.total.reports, result.total.people, result.total.expected,
                             result.total.reported, result.total.on_time, result.total.late)}


async def before_and_after(session, tmp_path, codes: list[str]) -> tuple[dict, remap.Plan]:
    """Seed, roll up each of `codes` on the 2023 tree for 2024, then remap: {code: its roll-up before}."""
    await seed(session)
    path, _draft = await settled_map(session, tmp_path)
    plan = await remap.plan_remap(session, path, EFFECTIVE)
    assert plan.problems == []
    before = {code: await reports.rollup(session, await org.unit_by_code(session, code), *Y2024, deadline=DEADLINE,
                                         count_ids=[], kinds=exports.kinds()) for code in codes}
    await remap_apply.apply_remap(session, plan)
    await session.commit()
    return before, plan


async def test_the_tree_as_at_2024_shows_the_old_units_with_their_own_figures(any_db, demo_roster, tmp_path):
    async with any_db.session() as session:
        before, _plan = await before_and_after(session, tmp_path, ["51", DISTRICT, "21256"])
    async with any_db.session() as session:
        for code, old in before.items():
            unit = await session.get(OrgUnit, old.root.id)  # the same unit (a reused code moved to code@date)
            as_at = await rollup_history.rollup_as_at(session, unit, *Y2024, day=AS_AT, deadline=DEADLINE,
                                                      kinds=exports.kinds())
            assert figures(as_at) == figures(old), code
            assert as_at.counts == {t: part.counts for t, part in old.total.by_type.items()}
        province = await org.unit_by_code(session, "51")
        old_view = await rollup_history.rollup_as_at(session, province, *Y2024, day=AS_AT, deadline=DEADLINE)
        districts = [row for row in old_view.units if not row.own_team]
        assert {row.unit.kind for row in districts} == {"district"}  # the 13 districts, not the 96 communes
        assert len(districts) == 13 and all(row.reports for row in districts)
        new_view = await rollup_history.rollup_as_at(session, province, *Y2024, day=date(2025, 7, 1),
                                                     deadline=DEADLINE)
        assert "district" not in {row.unit.kind for row in new_view.units if row.unit.retired_on is None}
        assert new_view.total.reports == old_view.total.reports == await session.scalar(
            select(func.count()).select_from(Report))


async def test_a_2024_rollup_on_the_new_tree_sums_its_predecessors_beside_2026(any_db, demo_roster, tmp_path):
    async with any_db.session() as session:
        _olds, parts = await remap_into_an_phu(session, tmp_path)
        await file_2026(session, AN_PHU, people=7, times=3)
    async with any_db.session() as session:
        province = await org.unit_by_code(session, "51")
        now_2026 = await reports.rollup(session, province, *Y2026, deadline=DEADLINE, count_ids=[])
        then_2024 = await reports.rollup(session, province, *Y2024, deadline=DEADLINE, count_ids=[])
        pairs = {pair.unit.code: pair for pair in rollup_history.side_by_side(now_2026, then_2024) if not pair.total}
        an_phu = pairs[AN_PHU]
        assert an_phu.values("reports") == (3, sum(p.total.reports for p in parts),
                                            3 - sum(p.total.reports for p in parts))
        assert an_phu.values("people")[:2] == (21, sum(p.total.people for p in parts))
        kon_tum = [pair for code, pair in pairs.items() if code.startswith("23")]  # the former Kon Tum's units
        assert kon_tum and all(pair.values("reports") == (None, None, None) for pair in kon_tum)  # no data, not 0
        total = rollup_history.side_by_side(now_2026, then_2024)[-1]
        assert total.total and total.values("reports")[1] == await session.scalar(
            select(func.count()).select_from(Report).where(Report.activity_date < date(2025, 1, 1)))


async def test_reports_of_units_formed_later_keep_a_row_of_their_own_on_an_older_tree(any_db, demo_roster, tmp_path):
    async with any_db.session() as session:
        await before_and_after(session, tmp_path, [])
        await file_2026(session, AN_PHU, people=5, times=2)
        province = await org.unit_by_code(session, "51")
        view = await rollup_history.rollup_as_at(session, province, *Y2026, day=AS_AT, deadline=DEADLINE)
        [later] = [row for row in view.units if row.unit.code == AN_PHU]
        assert (later.reports, later.people, later.unit.valid_from) == (2, 10, EFFECTIVE)
        assert view.total.reports == 2


async def file_2026(session, code: str, people: int, times: int) -> None:
    """`times` approved 2026 reports of `people` each, filed by the team now at unit `code`."""
    team = await session.scalar(select(Team).join(OrgUnit).where(OrgUnit.code == code))
    unit = await session.get(OrgUnit, team.unit_id)
    member = await session.scalar(select(Member.id).where(Member.team_id == team.id).limit(1))
    await session.execute(insert(Report.__table__), [
        dict(team_id=team.id, unit_path=unit.path, type_id="activity", counts={"people": people}, people=people,
             status="approved", filed_by_member_id=member, draft_key=f"y2026-{code}-{i}",
             activity_date=date(2026, 3, 1 + i), created_at=datetime(2026, 3, 2, tzinfo=UTC), duplicate_photo=False,
             featured=False) for i in range(times)])
    await session.commit()


def test_the_cli_summary_shows_the_tree_as_at_a_date_and_two_periods_side_by_side(db, demo_roster, tmp_path, capsys,
                                                                                   monkeypatch):
    import asyncio
    import json

    from bot.cli import main

    async def prepare():
        async with db.session() as session:
            await before_and_after(session, tmp_path, [])
            await file_2026(session, AN_PHU, people=7, times=3)

    asyncio.run(prepare())
    monkeypatch.setenv("CDSBOT_DATABASE_URL", str(db.engine.url))
    args = ["reports", "summary", "--from", "2026-01-01", "--to", "2026-12-31", "--compare", "2024", "--lang", "en"]
    assert main(args) == 0
    out = capsys.readouterr().out
    _summary, compared = out.split("Compared: ")
    assert compared.startswith("(1) 1 Jan 2026–31 Dec 2026 and (2) 1 Jan 2024–31 Dec 2024 (today's tree)")
    [an_phu] = [line.split()[3:] for line in compared.splitlines() if line.startswith("Xã An Phú")]
    assert an_phu[0] == "3" and an_phu[1] != "—" and an_phu[2] == str(3 - int(an_phu[1].replace(",", "")))
    assert main(args + ["--as-at", "2024-12-31", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["as_at"] == "2024-12-31" and "Huyện Tư Nghĩa" in {row["name"] for row in found["units"]}
    rows = {row["name"]: row for row in found["compare"]["units"]}
    assert rows["Huyện Tư Nghĩa"]["reports"][0] is None and rows["Huyện Tư Nghĩa"]["reports"][1] > 0  # no data ≠ 0
    assert rows["Xã An Phú"]["reports"] == [3, None, None]
    assert main(["reports", "summary", "--compare", "last-year"]) == 2
    assert "bad period" in capsys.readouterr().err


def sheets_of(path) -> tuple[list[tuple], list[tuple]]:
    """The rows of an export's roll-up sheet and of its report-rows sheet."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rollup_sheet, rows_sheet = book.worksheets
    return list(rollup_sheet.iter_rows(values_only=True)), list(rows_sheet.iter_rows(values_only=True))


async def test_the_xlsx_roll_up_sheet_follows_the_tree_as_at_a_date(any_db, demo_roster, tmp_path):
    from bot.services import export_files, periods

    async with any_db.session() as session:
        await before_and_after(session, tmp_path, [])
    async with any_db.session() as session:
        province = await org.unit_by_code(session, "51")
        sel = exports.Selection(province, await periods.stored(session, periods.parse("2024")), lang="en", as_at=AS_AT)
        written = await export_files.write_xlsx(session, sel, tmp_path / "as-at.xlsx")
        shown = await rollup_history.rollup_on(session, province, *Y2024, day=AS_AT, deadline=sel.period.deadline,
                                               kinds=exports.kinds())
        on_today = await exports.rollup(session, exports.Selection(province, sel.period, lang="en"))
    rollup_rows, report_rows = sheets_of(tmp_path / "as-at.xlsx")
    assert "tree as at 31 Dec 2024" in rollup_rows[0][0]
    districts = {row.unit.name for row in shown.units if row.unit.kind == "district"}
    assert len(districts) == 13 and districts <= {row[0] for row in rollup_rows[2:]}
    assert "Xã An Phú" in {row.unit.name for row in on_today.units} - {row[0] for row in rollup_rows}  # formed later
    cols = exports.columns(Translator("en"))
    total = rollup_rows[-1]
    assert total[0].startswith("Total") and list(total[5:]) == [exports.figure(shown.total, c) for c in cols]
    assert list(total[1:5]) == [shown.total.reported, shown.total.expected, shown.total.on_time, shown.total.late]
    assert written == len(report_rows) - 1 == shown.total.reports  # still one row per report, each of them


def test_the_cli_export_takes_the_tree_as_at_a_date(db, demo_roster, tmp_path, capsys, monkeypatch):
    import asyncio

    from bot.cli import main

    async def prepare():
        async with db.session() as session:
            await before_and_after(session, tmp_path, [])

    asyncio.run(prepare())
    monkeypatch.setenv("CDSBOT_DATABASE_URL", str(db.engine.url))
    args = ["reports", "export", "--period", "2024", "--lang", "en", "--quiet", "-o"]
    assert main(args + [str(tmp_path / "today.xlsx")]) == 0
    assert main(args + [str(tmp_path / "then.xlsx"), "--as-at", "2024-12-31"]) == 0
    today, then = (sheets_of(tmp_path / name)[0] for name in ("today.xlsx", "then.xlsx"))
    assert "today's tree" in today[0][0] and "tree as at 31 Dec 2024" in then[0][0]
    assert "Huyện Tư Nghĩa" in {row[0] for row in then} and "Xã An Phú" in {row[0] for row in today} - {
        row[0] for row in then}
    assert today[-1][5:] == then[-1][5:]  # the same reports, counted on either tree
    capsys.readouterr()
    assert main(args + [str(tmp_path / "bad.xlsx"), "--as-at", "yesterday"]) == 2
    assert "not a date" in capsys.readouterr().err
