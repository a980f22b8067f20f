"""The tables of the results report: results by unit, progress against the year's targets, good practices."""

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from bot.i18n import Translator
from bot.services import reports
from bot.services.document_data import DocumentData, Written
from bot.services.document_layout import line, row_flags, set_widths, two_columns
from bot.services.targets import Progress, percent_text
from bot.services.unit_kinds import kinds_name

TABLE_PT = 12
NONE = "-"
BASE_WORDS = {"population": "dân số", "households": "số hộ"}
NO_BASE_TEXT = "chưa có số liệu nền"
UNIT_HEADERS = ("TT", "Đơn vị", "Số tổ đã báo cáo / tổng số tổ", "Số báo cáo", "Số người được hỗ trợ")
UNIT_WIDTHS = (1.0, 6.0, 3.5, 2.5, 3.5)


def number(tr: Translator, value: int | None) -> str:
    """A figure in Vietnamese style (7.534), "-" where there is none."""
    return NONE if value is None else tr.number(value)


def percent(tr: Translator, value: float | None) -> str:
    """"45,2%" (always one decimal), or the words for "no base" where the unit has no base figure."""
    return NO_BASE_TEXT if value is None else percent_text(tr.locale, value)


def row_name(row: reports.UnitRow) -> str:
    """A unit row's name; the root's own team is named as such, never as the unit's total."""
    return f"Tổ của {row.unit.name[:1].lower()}{row.unit.name[1:]}" if row.own_team else row.unit.name


def _grid(doc, rows: int, widths: tuple[float, ...], header_rows: int = 1):
    table = doc.add_table(rows=rows, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_widths(table, widths)
    for i, row in enumerate(table.rows):
        row_flags(row, "cantSplit", *(("tblHeader",) if i < header_rows else ()))
    return table


def _put(cell, text: str, bold: bool = False, align: str = "center") -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if align == "left" else WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(2)
    run = paragraph.add_run(text)
    run.font.size, run.bold = Pt(TABLE_PT), bold


def _caption(doc, text: str) -> None:
    line(doc, text, size=13, bold=True, before=6, after=3).paragraph_format.keep_with_next = True


def units_table(doc, data: DocumentData, tr: Translator) -> None:
    """Bảng 1: teams reported, reports and people helped per child unit, then the total (the roll-up's)."""
    rows = data.rollup.units
    kinds = kinds_name([row.unit.kind for row in rows if not row.own_team], "vi", plural=False)
    _caption(doc, f"Bảng 1. Kết quả hoạt động theo {kinds or 'đơn vị'}")  # "theo xã/phường/đặc khu" (kinds.yaml)
    table = _grid(doc, len(rows) + 2, UNIT_WIDTHS)
    for cell, text in zip(table.rows[0].cells, UNIT_HEADERS, strict=True):
        _put(cell, text, bold=True)
    total = data.rollup.total
    for i, row in enumerate([*rows, total], start=1):
        last = row is total
        values = ("" if last else str(i), "Tổng cộng" if last else row_name(row),
                  f"{number(tr, row.reported)}/{number(tr, row.expected)}", number(tr, row.reports),
                  number(tr, row.people))
        for j, (cell, text) in enumerate(zip(table.rows[i].cells, values, strict=True)):
            _put(cell, text, bold=last, align="left" if j == 1 else "center")
    line(doc, after=6)


def targets_table(doc, data: DocumentData, tr: Translator) -> None:
    """Bảng 2: for each target, the figure reached and its share of the target, per unit and in total."""
    if not data.targets:
        line(doc, "Chưa có chỉ tiêu được giao cho năm báo cáo.", align="justify", indent=1.27, after=6)
        return
    _caption(doc, "Bảng 2. Kết quả so với chỉ tiêu năm")
    n = len(data.targets)
    side = (16.5 - 1.0 - 4.0) / (2 * n)
    table = _grid(doc, 2 + len(data.progress) + 1, (1.0, 4.0, *([side] * 2 * n)), header_rows=2)
    head, sub = table.rows[0].cells, table.rows[1].cells
    for a, b, text in ((0, 0, "TT"), (1, 1, "Đơn vị")):
        head[a].merge(sub[b])
        _put(head[a], text, bold=True)
    for k, target in enumerate(data.targets):
        cell = head[2 + 2 * k].merge(head[3 + 2 * k])
        _put(cell, f"{target.name_in('vi')} (chỉ tiêu {tr.number(target.percent[data.targets_year])}% "
                   f"{BASE_WORDS[target.base]})", bold=True)
        _put(sub[2 + 2 * k], "Đạt được", bold=True)
        _put(sub[3 + 2 * k], "Tỷ lệ so với chỉ tiêu", bold=True)
    units = {r.unit.id: r.unit for r in data.rollup.units}
    body = [(str(i), units[uid].name, found) for i, (uid, found) in enumerate(data.progress.items(), start=1)]
    for r, (order, name, found) in enumerate([*body, ("", "Tổng cộng", data.total_progress)], start=2):
        last = order == ""
        cells = table.rows[r].cells
        _put(cells[0], order, bold=last)
        _put(cells[1], name, bold=last, align="left")
        for k, item in enumerate(found):
            _put(cells[2 + 2 * k], number(tr, item.value), bold=last)
            _put(cells[3 + 2 * k], _of_target(tr, item), bold=last)
    line(doc, after=6)


def _of_target(tr: Translator, item: Progress) -> str:
    return percent(tr, item.of_target)


def practices(doc, items: list[Written], tr: Translator) -> None:
    """Each featured good practice: the unit and its text, then its photos side by side with a caption."""
    for k, item in enumerate(items, start=1):
        line(doc, f"{k}. {item.unit}: {item.text}", align="justify", indent=1.27, after=3)
        if not item.photos:
            continue
        cells = two_columns(doc, 8.25, 8.25)
        for cell, photo in zip(cells, item.photos, strict=False):
            picture = line(cell)
            picture.add_run().add_picture(str(photo), width=Cm(7.5))
            line(cell, f"Ảnh: {item.unit}, {tr.date(item.day)}", size=12, italic=True, after=6)
        for cell in cells[len(item.photos):]:
            line(cell)
