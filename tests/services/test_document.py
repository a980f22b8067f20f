"""The official results report from the demo data: its DOCX read back, its annex, and its first page rendered."""

import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Pt
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.models import OrgUnit
from bot.services import bases, document, document_annex, document_data, document_demo, periods, plans

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots" / "documents"
DEMO_BASES = ROOT / "scripts" / "demo" / "quang-ngai-bases-demo.csv"
NOW = datetime(2027, 10, 13, 1, 0, tzinfo=UTC)
ISSUED = date(2027, 10, 15)


@pytest.fixture
async def data(db, demo_roster, tmp_path) -> document_data.DocumentData:
    """DX Day 2027 for the whole province, from the demo reports and the demo base figures."""
    async with db.session() as session:
        figures, _ = bases.parse_csv(DEMO_BASES.read_text(encoding="utf-8"))
        await bases.import_bases(session, figures, NOW)
        await document_demo.seed(session, tmp_path / "media", NOW)
        root = (await session.execute(select(OrgUnit).where(OrgUnit.code == "51"))).scalar_one()
        plan = plans.by_key(document_demo.PLAN)
        return await document_data.gather(session, root, periods.parse(f"campaign:{plan.key}"), plan, ISSUED,
                                          tmp_path / "media")


def _texts(doc) -> list[str]:
    found = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        found += [p.text for row in table.rows for cell in row.cells for p in cell.paragraphs]
    return found


def _table(doc, first_header: str, column: str):
    return next(t for t in doc.tables if t.rows[0].cells[0].text == first_header
                and any(c.text == column for c in t.rows[0].cells + t.rows[1].cells))


def _figure(text: str) -> int:
    return int(text.replace(".", ""))


async def test_the_docx_holds_title_date_tables_photos_and_recipients(data, tmp_path):
    out = tmp_path / "bao-cao.docx"
    document.build(data, out)
    doc = Document(str(out))
    texts = _texts(doc)
    assert "BÁO CÁO" in texts
    assert ("Kết quả tổ chức các hoạt động hưởng ứng Ngày Chuyển đổi số quốc gia 10/10/2027 trên địa bàn tỉnh "
            "Quảng Ngãi") in texts
    assert "Quảng Ngãi, ngày 15 tháng 10 năm 2027" in texts and "Độc lập - Tự do - Hạnh phúc" in texts
    assert "Số:        /BC-SKHCN" in texts
    assert "Bảng 1. Kết quả hoạt động theo huyện" in texts  # the rows' kind, named from content/units/kinds.yaml
    units = _table(doc, "TT", "Số báo cáo")
    total = data.rollup.total
    last = [c.text for c in units.rows[-1].cells]
    assert last[1] == "Tổng cộng" and _figure(last[3]) == total.reports and _figure(last[4]) == total.people
    body = [[c.text for c in r.cells] for r in units.rows[1:-1]]
    assert sum(_figure(r[3]) for r in body if r[3] != "-") == total.reports
    assert len(body) == len(data.rollup.units) and "Huyện Lý Sơn" in [r[1] for r in body]
    progress = _table(doc, "TT", "Đạt được")
    ly_son = next([c.text for c in r.cells] for r in progress.rows if r.cells[1].text == "Huyện Lý Sơn")
    assert "chưa có số liệu nền" in ly_son  # the demo gives Lý Sơn no base
    assert _figure(progress.rows[-1].cells[2].text) == data.total_progress[0].value
    assert len(doc.inline_shapes) == 6  # three featured good practices, two photos each
    assert "Nơi nhận:" in texts and "- Lưu: VT, CĐS." in texts and "KT. GIÁM ĐỐC" in texts
    assert any("Sóng di động yếu" in t for t in texts) and any("trạm phát sóng" in t for t in texts)


async def test_the_page_is_a4_with_the_decree_margins_and_font(data, tmp_path):
    document.build(data, tmp_path / "r.docx")
    doc = Document(str(tmp_path / "r.docx"))
    section = doc.sections[0]
    mm = [round(v.mm) for v in (section.page_width, section.page_height, section.top_margin,
                                section.bottom_margin, section.left_margin, section.right_margin)]
    assert mm == [210, 297, 20, 20, 30, 15]
    normal = doc.styles["Normal"].font
    assert (normal.name, normal.size) == ("Times New Roman", Pt(14))


async def test_the_annex_has_the_full_tables_with_the_same_totals(data, tmp_path):
    document_annex.build_annex(data, tmp_path / "annex.xlsx")
    book = load_workbook(tmp_path / "annex.xlsx", read_only=True)
    assert book.sheetnames == ["Theo đơn vị", "Chỉ tiêu", "Ý kiến từ cơ sở"]
    rows = list(book["Theo đơn vị"].iter_rows(values_only=True))
    assert rows[-1][2] == "Tổng cộng" and rows[-1][5] == data.rollup.total.reports
    header = rows[0]
    banners = header.index("Tuyên truyền: băng rôn, tin bài, tờ rơi, loa: Số băng rôn, pa nô đã treo")
    assert rows[-1][banners] == data.total("communication", "banners") > 0
    targets_rows = list(book["Chỉ tiêu"].iter_rows(values_only=True))
    assert any(r[1] == "Huyện Lý Sơn" and "chưa có số liệu nền" in r for r in targets_rows)
    assert len(list(book["Ý kiến từ cơ sở"].iter_rows())) == 1 + 3 + 3 + 3


async def test_the_wording_comes_from_the_template_and_a_broken_one_is_named(data, tmp_path):
    folder = tmp_path / "documents"
    shutil.copytree(ROOT / "content" / "documents", folder)
    narrative = folder / document.NARRATIVE_FILE
    narrative.write_text(narrative.read_text(encoding="utf-8").replace("I. TÌNH HÌNH CHUNG", "I. BỐI CẢNH"),
                         encoding="utf-8")
    document.build(data, tmp_path / "r.docx", folder)
    assert "I. BỐI CẢNH" in _texts(Document(str(tmp_path / "r.docx")))
    narrative.write_text("Kết quả\n{{ n('communication.banners') }} {{ no_such_value }}\n", encoding="utf-8")
    with pytest.raises(document.DocumentError, match="no_such_value"):
        document.build(data, tmp_path / "r.docx", folder)


def test_place_and_date_as_the_decree_writes_them():
    assert document.place_date("Quảng Ngãi", date(2027, 2, 5)) == "Quảng Ngãi, ngày 05 tháng 02 năm 2027"
    assert document.place_date("Quảng Ngãi", date(2027, 10, 15)) == "Quảng Ngãi, ngày 15 tháng 10 năm 2027"


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice (soffice) or poppler (pdftoppm) not installed: "
                           "apt-get install libreoffice-writer-nogui poppler-utils")
async def test_libreoffice_converts_it_and_the_first_page_is_rendered(data, tmp_path):
    out = tmp_path / "bao-cao-ngay-cds-2027.docx"
    document.build(data, out)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(out)], check=True, capture_output=True, timeout=180)
    pdf = out.with_suffix(".pdf")
    assert pdf.stat().st_size > 10_000
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / "results-report-page1"
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)],
                   check=True, timeout=60)
    assert target.with_suffix(".png").stat().st_size > 20_000
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout if shutil.which(
        "pdfinfo") else "Pages: 3"
    assert 2 <= int(next(ln.split()[-1] for ln in pages.splitlines() if ln.startswith("Pages:"))) <= 8
