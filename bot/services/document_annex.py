"""The results report's annex (XLSX, write-only): the full tables behind the document's figures."""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from bot.services.document_data import DocumentData
from bot.services.document_tables import NO_BASE_TEXT, row_name
from bot.services.report_types import load_report_types

KIND_NAMES = {"practice": "Sáng kiến, cách làm hay (điển hình)", "difficulties": "Khó khăn, vướng mắc",
              "recommendations": "Kiến nghị, đề xuất"}


def _header(sheet, titles: list[str]) -> None:
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def _by_unit(book: Workbook, data: DocumentData) -> None:
    """Every count of every type per child unit, then the total."""
    sheet = book.create_sheet("Theo đơn vị")
    columns = [(t.id, c.id, f"{t.name_in('vi')}: {c.label_in('vi')}")
               for t in load_report_types().values() for c in t.counts]
    _header(sheet, ["TT", "Mã", "Đơn vị", "Số tổ đã báo cáo", "Tổng số tổ", "Số báo cáo", "Số người được hỗ trợ",
                    *(title for _, _, title in columns)])
    rows = [(str(i), r, row_name(r)) for i, r in enumerate(data.rollup.units, start=1)]
    for order, row, name in [*rows, ("", data.rollup.total, "Tổng cộng")]:
        by_type = row.by_type or {}
        sheet.append([order, row.unit.code, name, row.reported, row.expected, row.reports, row.people,
                      *((by_type[t].counts.get(c) if t in by_type else None) for t, c, _ in columns)])


def _pct(value: float | None):
    return NO_BASE_TEXT if value is None else round(value, 2)


def _targets(book: Workbook, data: DocumentData) -> None:
    """Each unit's base figures and, per target, the figure, the goal and both percentages."""
    sheet = book.create_sheet("Chỉ tiêu")
    titles = ["Mã", "Đơn vị", "Dân số", "Số hộ"]
    for t in data.targets:
        name = t.name_in("vi")
        titles += [f"{name}: đạt được", f"{name}: chỉ tiêu ({t.percent[data.targets_year]:g}%)",
                   f"{name}: % trên số liệu nền", f"{name}: % so với chỉ tiêu"]
    _header(sheet, titles)
    units = {r.unit.id: r.unit for r in data.rollup.units}
    for unit, found in [*((units[u], p) for u, p in data.progress.items()), (data.root, data.total_progress)]:
        base = data.bases.get(unit.id)
        line = [unit.code, unit.name if unit is not data.root else f"Tổng cộng ({unit.name})",
                base.population if base else None, base.households if base else None]
        for item in found:
            line += [item.value, None if item.goal is None else round(item.goal), _pct(item.of_base),
                     _pct(item.of_target)]
        sheet.append(line)


def _written(book: Workbook, data: DocumentData) -> None:
    sheet = book.create_sheet("Ý kiến từ cơ sở")
    _header(sheet, ["Loại", "Đơn vị", "Ngày", "Nội dung", "Số ảnh"])
    for kind, items in data.written.items():
        for item in items:
            sheet.append([KIND_NAMES.get(kind, kind), item.unit, item.day, item.text, len(item.photos)])


def build_annex(data: DocumentData, out: Path) -> None:
    """Write the annex: results by unit, progress against targets, the written parts."""
    book = Workbook(write_only=True)
    for part in (_by_unit, _targets, _written):
        part(book, data)
    book.save(str(out))
