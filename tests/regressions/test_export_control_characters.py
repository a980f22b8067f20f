"""Issue 12: a report note holding a character Excel refuses (a vertical tab pasted from a phone) made the whole
XLSX export fail (openpyxl's IllegalCharacterError); the character is now left out and the export is written."""

from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.reports import Report
from bot.services import export_files
from tests.services.test_exports import _reports, _selection


async def test_a_note_with_a_control_character_is_exported_without_it(db, demo_roster, tmp_path):
    async with db.session() as session:
        await _reports(session, n=5)
        report = (await session.execute(select(Report).where(Report.status != "returned").limit(1))).scalar_one()
        report.note = "Họp tổ\x0bcuối tháng"
        await session.commit()
        written = await export_files.write_xlsx(session, await _selection(session), tmp_path / "r.xlsx")
    rows = list(load_workbook(tmp_path / "r.xlsx", read_only=True).worksheets[1].iter_rows(values_only=True))
    assert written == len(rows) - 1
    assert "Họp tổcuối tháng" in {cell for row in rows for cell in row}
