"""The roll-up page and its exports over HTTP: totals, "no figures" apart from zero, drill-down, scope, audit."""

import asyncio
import io
import re
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.console import AuditEntry
from bot.db.models import OrgUnit, Team
from bot.db.reports import Report
from tests.web.conftest import START, add_member, csrf_of, sign_in

NO_FIGURES = "chưa có số liệu"


async def add_report(db, unit_code: str, member_id: int, day: date, kind: str, counts: dict,
                     status: str = "approved", key: str = "") -> None:
    """A report of the unit's team with its counts."""
    async with db.session() as session:
        team_id, path = (await session.execute(select(Team.id, OrgUnit.path).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                               .where(OrgUnit.code == unit_code))).one()
        session.add(Report(team_id=team_id, unit_path=path, type_id=kind, activity_date=day, status=status,
                           counts=counts, people=counts.get("people"), filed_by_member_id=member_id,
                           draft_key=key or f"rollup-{unit_code}-{day}-{status}-{kind}", created_at=START))
        await session.commit()


async def commune_reports(db) -> None:
    """Đức Nhuận: village 1 reports twice (one pending), village 3 reports 0 people; one returned never counts."""
    one = await add_member(db, "21409-01", "Nguyễn Văn Một", "+84905000011", "chat-11")
    three = await add_member(db, "21409-03", "Phạm Thị Ba", "+84905000013", "chat-13")
    await add_report(db, "21409-01", one, date(2026, 11, 3), "public_services", {"people": 12})
    await add_report(db, "21409-01", one, date(2026, 11, 4), "training", {"sessions": 2, "people": 30}, "pending")
    await add_report(db, "21409-03", three, date(2026, 11, 5), "public_services", {"people": 0})
    await add_report(db, "21409-03", three, date(2026, 11, 6), "public_services", {"people": 99}, "returned")


def cells(page: str, code: str) -> list[str]:
    """The visible cells of the row that drills into `code`."""
    row = re.search(rf'<tr class="[^"]*" data-code="{code}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


async def test_the_officer_sees_totals_no_figures_and_drills_down(client, demo_roster, people):
    await commune_reports(demo_roster)
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get("/admin/reports/rollup?period=2026-11")).text()
    assert "Xã Đức Nhuận" in page and "05/12/2026" in page  # the monthly deadline is shown
    village1, village3, village2 = cells(page, "21409-01"), cells(page, "21409-03"), cells(page, "21409-02")
    assert village1[1:4] == ["1/1", "1", "1"] and village1[4] == "12"  # 1 report, 12 people (public services)
    assert village3[4] == "0"  # reported zero: a zero, not "no figures"
    assert NO_FIGURES in village2 and "0" not in village2[3:]
    assert "<svg" in page and "Báo cáo theo đơn vị" in page
    approved = await (await client.get("/admin/reports/rollup?period=2026-11&approved=1")).text()
    assert cells(approved, "21409-01")[3] == "1"  # the pending training report is left out
    drill = await (await client.get("/admin/reports/rollup?unit=21409-01&period=2026-11")).text()
    assert 'href="/admin/reports/rollup?unit=21409&amp;period=2026-11"' in drill  # breadcrumb back up


async def test_another_commune_is_refused_for_the_page_and_the_export(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    assert (await client.get("/admin/reports/rollup?unit=21412")).status == 403
    token = await csrf_of(client, "/admin/reports/rollup")
    response = await client.post("/admin/reports/exports", data={"csrf_token": token, "unit": "21412",
                                                                 "period": "2026-11", "format": "xlsx"})
    assert response.status == 403
    assert (await client.get("/admin/reports/rollup?period=2026-13")).status == 400


async def test_an_export_is_built_downloaded_and_audited(client, demo_roster, people):
    await commune_reports(demo_roster)
    await sign_in(client, demo_roster, *people["officer"])
    token = await csrf_of(client, "/admin/reports/rollup")
    response = await client.post("/admin/reports/exports", data={"csrf_token": token, "unit": "21409",
                                                                 "period": "2026-11", "format": "xlsx"})
    assert response.status == 200 and "/admin/reports/exports/" in str(response.url)
    job = response.url.path
    status = job + "/status"
    for _ in range(50):
        fragment = await (await client.get(status)).text()
        if 'id="export-download"' in fragment:
            break
        await asyncio.sleep(0.1)
    download = await client.get(job + "/file")
    assert download.status == 200 and 'filename="bao-cao_21409_2026-11.xlsx"' in download.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await download.read()), read_only=True)
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(rows) == 1 + 3  # header + the counted reports (the returned one is left out)
    async with demo_roster.session() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "export_downloaded"))).scalar_one()
    assert entry.target == "bao-cao_21409_2026-11.xlsx" and entry.unit_path.endswith("/")


async def test_a_new_report_shows_at_once_although_the_scan_is_cached(client, demo_roster, people):
    await commune_reports(demo_roster)
    await sign_in(client, demo_roster, *people["officer"])
    before = cells(await (await client.get("/admin/reports/rollup?period=2026-11")).text(), "21409-01")
    one = await add_member(demo_roster, "21409-01", "Người Thứ Hai", "+84905000019", "chat-19")
    await add_report(demo_roster, "21409-01", one, date(2026, 11, 9), "public_services", {"people": 5}, key="late-1")
    after = cells(await (await client.get("/admin/reports/rollup?period=2026-11")).text(), "21409-01")
    assert (before[3], before[4]) == ("1", "12") and (after[3], after[4]) == ("2", "17")


async def test_the_export_form_carries_the_tree_as_at_date(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get("/admin/reports/rollup?period=2026-11&asat=2026-11-01")).text()
    assert '<input type="hidden" name="asat" value="2026-11-01">' in page
    assert "Báo cáo kết quả và phụ lục theo cây đơn vị hiện nay" in page  # the DOCX still uses today's tree
    token = await csrf_of(client, "/admin/reports/rollup")
    form = {"csrf_token": token, "unit": "21409", "period": "2026-11", "format": "xlsx"}
    assert (await client.post("/admin/reports/exports", data=form | {"asat": "not-a-day"})).status == 400
    response = await client.post("/admin/reports/exports", data=form | {"asat": "2026-11-01"})
    assert response.status == 200
    for _ in range(50):
        if 'id="export-download"' in await (await client.get(response.url.path + "/status")).text():
            break
        await asyncio.sleep(0.1)
    book = load_workbook(io.BytesIO(await (await client.get(response.url.path + "/file")).read()), read_only=True)
    assert "cây đơn vị tại ngày" in next(book.worksheets[0].iter_rows(values_only=True))[0]
