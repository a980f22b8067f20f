"""Export files: the XLSX opens and its totals match the roll-up; the CSV keeps Vietnamese; the ZIP names photos."""

import csv
import io
import random
import zipfile
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import insert, select

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report, ReportPhoto
from bot.i18n import Translator
from bot.services import campaigns, export_files, exports, org, periods, photos
from bot.services.report_types import load_report_types
from tests.report_images import photo

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOTES = {False: "Họp tổ ở nhà văn hóa", True: '=HYPERLINK("x")'}


async def _reports(session, n: int = 600, seed: int = 5) -> Member:
    """Random reports in Mộ Đức over November (some returned, one with a formula-like note); its member."""
    rng = random.Random(seed)
    district = await org.unit_by_code(session, "533")
    teams = (await session.execute(select(Team.id, OrgUnit.path).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                   .where(org.in_subtree(district)).order_by(OrgUnit.path))).all()
    member = Member(full_name="=Người Ghi Chép", team_id=teams[0][0], created_at=NOW)
    session.add(member)
    await session.flush()
    kinds = list(load_report_types().values())
    rows = []
    for i in range(n):
        team_id, path = rng.choice(teams[: len(teams) // 2])  # half the teams never report
        kind = rng.choice(kinds)
        counts = {c.id: rng.randint(0, c.max) for c in kind.counts}
        rows.append(dict(team_id=team_id, unit_path=path, type_id=kind.id, counts=counts, people=counts.get("people"),
                         activity_date=date(2026, 11, 1) + timedelta(days=rng.randrange(30)),
                         status=rng.choice(("pending", "approved", "returned")), filed_by_member_id=member.id,
                         reviewed_by_member_id=member.id, note=NOTES[i == 0],
                         draft_key=f"exp-{i}", created_at=NOW, duplicate_photo=False))
    await session.execute(insert(Report), rows)
    await session.commit()
    return member


async def _selection(session, code: str = "533", approved_only: bool = False) -> exports.Selection:
    return exports.Selection(await org.unit_by_code(session, code), periods.parse("2026-11"), approved_only, "vi")


async def test_the_xlsx_opens_and_its_totals_match_the_rollup(any_db, demo_roster, tmp_path):
    async with any_db.session() as session:
        await _reports(session)
        sel = await _selection(session)
        result = await exports.rollup(session, sel)
        out = tmp_path / "r.xlsx"
        written = await export_files.write_xlsx(session, sel, out)
    book = load_workbook(out, read_only=True)
    rollup_sheet, rows_sheet = book.worksheets
    assert [rollup_sheet.title, rows_sheet.title] == ["Tổng hợp", "Báo cáo"]
    lines = list(rollup_sheet.iter_rows(values_only=True))
    header, body, total = lines[1], lines[2:-1], lines[-1]
    assert header[0] == "Đơn vị" and "Hướng dẫn dịch vụ công trực tuyến: số báo cáo" in header
    assert total[0] == "Tổng cộng · Huyện Mộ Đức"
    columns = exports.columns(Translator("vi"))
    for i, column in enumerate(columns, start=5):
        assert total[i] == exports.figure(result.total, column)
        assert total[i] == sum(v for v in (line[i] for line in body) if isinstance(v, int))
    assert any(line[5] == "chưa có số liệu" for line in body)  # a commune with no report: no figures, not 0
    report_rows = list(rows_sheet.iter_rows(values_only=True))
    assert len(report_rows) - 1 == written == result.total.reports
    people = header.index("Hướng dẫn dịch vụ công trực tuyến: Số người được hướng dẫn")
    sheet_people = sum(r[report_rows[0].index(header[people])] or 0 for r in report_rows[1:])
    assert sheet_people == total[people]
    assert all(not str(cell).startswith("=") for r in report_rows for cell in r if cell is not None)


async def test_the_csv_keeps_vietnamese_and_leaves_returned_reports_out(db, demo_roster, tmp_path):
    async with db.session() as session:
        await _reports(session, n=200)
        sel = await _selection(session, approved_only=True)
        out = tmp_path / "r.csv"
        written = await export_files.write_csv(session, sel, out)
        approved = await session.scalar(select(Report.id).where(Report.status == "approved").limit(1))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mã báo cáo", "Ngày hoạt động", "Đơn vị", "Loại báo cáo"]
    assert len(rows) - 1 == written and {r[rows[0].index("Trạng thái")] for r in rows[1:]} == {"Đã duyệt"}
    assert all(r[2].startswith("Huyện Mộ Đức") for r in rows[1:]) and any(" › Thôn " in r[2] for r in rows[1:])
    assert approved is not None and any(r[0] == f"BC-{approved:06d}" for r in rows[1:])
    assert {r[rows[0].index("Người duyệt")] for r in rows[1:]} == {"'=Người Ghi Chép"}  # the formula is defused


async def test_the_zip_names_photos_by_report_and_unit_with_a_manifest(db, demo_roster, tmp_path):
    async with db.session() as session:
        member = await _reports(session, n=3)
        report = (await session.execute(select(Report).where(Report.status != "returned").limit(1))).scalar_one()
        for position, seed in enumerate((1, 2)):
            stored = await photos.store(session, tmp_path / "media", photo(seed, (64, 48)), NOW)
            session.add(ReportPhoto(report_id=report.id, photo_id=stored.id, position=position))
        await session.commit()
        code = (await session.execute(select(OrgUnit.code).where(OrgUnit.path == report.unit_path))).scalar_one()
        out = tmp_path / "p.zip"
        written = await export_files.write_zip(session, await _selection(session), out, tmp_path / "media")
        await export_files.write_csv(session, await _selection(session), tmp_path / "r.csv", "https://x.vn")
    number = f"BC-{report.id:06d}"
    links = f"https://x.vn/admin/photos/{number}/1 https://x.vn/admin/photos/{number}/2"
    assert links in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")  # the console's scoped photo URLs
    assert member.id and written == 2
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        manifest = archive.read("manifest.csv").decode("utf-8-sig")
    assert [n for n in names if n.endswith(".jpg")] == [f"BC-{report.id:06d}_{code}_{n}" for n in
                                                        sorted(n.split("_", 2)[2] for n in names if n.endswith(".jpg"))]
    assert all(n.endswith(("_1.jpg", "_2.jpg")) for n in names if n.endswith(".jpg"))
    assert manifest.startswith("Tệp,Mã báo cáo") and "Huyện Mộ Đức" in manifest


async def test_the_cli_exports_in_the_chosen_language_and_records_the_download(db, demo_roster, tmp_path, capsys):
    from bot.cli import build_parser
    from bot.config import Settings
    from bot.db.console import AuditEntry

    async with db.session() as session:
        await _reports(session, n=50)
    settings = Settings(database_url=str(db.engine.url))
    out = tmp_path / "en.csv"
    args = build_parser().parse_args(["reports", "export", "--unit", "533", "--from", "2026-11-01", "--to",
                                      "2026-11-30", "--format", "csv", "--lang", "en", "-o", str(out), "--quiet"])
    await args.func(settings, args)
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("Report code,Activity date,Unit,Report type,Online public services guidance: People")
    args = build_parser().parse_args(["reports", "summary", "--unit", "533", "--from", "2026-11-01", "--to",
                                      "2026-11-30"])
    await args.func(settings, args)
    summary = capsys.readouterr().out
    assert "Tổng cộng" in summary and "Theo loại báo cáo:" in summary and "Hướng dẫn dịch vụ công trực tuyến" in summary
    async with db.session() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "export_downloaded"))).scalar_one()
    assert (entry.action, entry.target, entry.address) == ("export_downloaded", "en.csv", "cli")


def test_periods_name_their_dates_and_deadlines():
    month, quarter = periods.parse("2026-11"), periods.parse("2026-q4")
    assert (month.start, month.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert (quarter.key, quarter.start, quarter.end) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert month.deadline.isoformat() == "2026-12-05T23:59:00+07:00"  # monthly-report.yaml: day 5 of the next month
    campaign = periods.parse("campaign:national-dx-day:2026")
    dates = campaigns.campaign_dates(campaign.campaign, 2026)  # the campaign file's own window and deadline
    assert (campaign.start, campaign.end, campaign.deadline.date()) == (dates.period_start, dates.period_end,
                                                                         dates.deadline)
    for bad in ("2026-13", "2026-02-10..2026-01-01", "campaign:nope:2026", "soon"):
        try:
            periods.parse(bad)
        except periods.BadPeriod:
            continue
        raise AssertionError(f"{bad} parsed")
