"""The results report from the console's roll-up page: a DOCX for the chosen unit and period, scoped and audited."""

from datetime import date
from io import BytesIO

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.console import AuditEntry
from bot.db.reports import Report
from tests.web.conftest import add_member, csrf_of, sign_in
from tests.web.test_rollup import add_report, commune_reports


async def test_the_officer_downloads_the_report_of_their_commune(client, demo_roster, people):
    await commune_reports(demo_roster)
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get("/admin/reports/rollup?period=2026-11")).text()
    assert "Báo cáo kết quả để ký (DOCX)" in page
    token = await csrf_of(client, "/admin/reports/rollup")
    form = {"csrf_token": token, "unit": "21409", "period": "2026-11", "part": "docx"}
    response = await client.post("/admin/reports/document", data=form)
    assert response.status == 200 and 'filename="bao-cao-ket-qua-21409-2026-11.docx"' in response.headers[
        "Content-Disposition"]
    doc = Document(BytesIO(await response.read()))
    texts = [p.text for p in doc.paragraphs]
    assert "BÁO CÁO" in texts and any("trên địa bàn xã Đức Nhuận" in t for t in texts)
    total = [c.text for c in doc.tables[1].rows[-1].cells]
    assert total[1] == "Tổng cộng" and total[3] == "3" and total[4] == "42"  # the returned report never counts
    annex = await client.post("/admin/reports/document", data=form | {"part": "annex"})
    assert load_workbook(BytesIO(await annex.read()), read_only=True).sheetnames[0] == "Theo đơn vị"
    async with demo_roster.session() as session:
        entries = (await session.execute(select(AuditEntry).where(AuditEntry.action == "export_downloaded"))).all()
    assert len(entries) == 2


async def test_another_commune_is_refused(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    token = await csrf_of(client, "/admin/reports/rollup")
    response = await client.post("/admin/reports/document", data={"csrf_token": token, "unit": "21412",
                                                                  "period": "2026-11", "part": "docx"})
    assert response.status == 403
    response = await client.post("/admin/reports/document", data={"csrf_token": token, "unit": "21409",
                                                                  "period": "2026-11", "part": "pdf"})
    assert response.status == 400


async def test_a_good_practice_is_marked_exemplary_from_the_review_queue(client, demo_roster, people):
    author = await add_member(demo_roster, "21409-01", "Nguyễn Văn Sáng", "+84905000021", "chat-21")
    await add_report(demo_roster, "21409-01", author, date(2026, 11, 3), "good_practice", {}, status="pending")
    async with demo_roster.session() as session:
        report = (await session.execute(select(Report).where(Report.type_id == "good_practice"))).scalar_one()
        report.note = "Lớp học VNeID buổi tối"
        await session.commit()
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get("/admin/reports/review")).text()
    assert "⭐ Đánh dấu điển hình" in page
    token = await csrf_of(client, "/admin/reports/review")
    response = await client.post("/admin/reports/feature", data={"csrf_token": token, "feature": str(report.id)})
    assert response.status == 200 and "Bỏ đánh dấu điển hình" in await response.text()
    async with demo_roster.session() as session:
        assert (await session.get(Report, report.id)).featured
        assert (await session.execute(select(AuditEntry).where(AuditEntry.action == "report_featured"))).first()
    assert (await client.post("/admin/reports/feature", data={"csrf_token": token, "feature": "999999"})).status == 403
