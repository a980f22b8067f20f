"""The fast report-rows sheet reads back exactly like openpyxl's own write-only sheet, beside an ordinary sheet."""

from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from bot.services.xlsx_rows import add_plain_sheet

ROWS = [
    ["Mã báo cáo", "Ngày hoạt động", "Đơn vị", "Số người"],
    ["BC-000001", date(2026, 1, 5), "Huyện Mộ Đức › Xã Đức Nhuận › Thôn 3", 12, None, 2.5],
    ["BC-000002", date(1999, 12, 31), "", None, "  lề hai bên ", "a < b & c > d"],
    [None, None, None, 0, -7, "dòng 1\r\ndòng 2\ttab"],
]


def _read(path) -> tuple[list[list], str]:
    book = load_workbook(path)
    first, sheet = book.worksheets
    assert first["A1"].value == "Tổng hợp"  # the other sheet (openpyxl's) is intact
    return [list(row) for row in sheet.iter_rows(values_only=True)], sheet["B2"].number_format


def test_rows_read_back_as_openpyxl_writes_them(tmp_path):
    files = {}
    for kind in ("openpyxl", "plain"):
        book = Workbook(write_only=True)
        book.create_sheet("Tổng hợp").append(["Tổng hợp"])
        sheet = add_plain_sheet(book, "Báo cáo") if kind == "plain" else book.create_sheet("Báo cáo")
        for row in ROWS:
            sheet.append(row)
        book.save(files.setdefault(kind, tmp_path / f"{kind}.xlsx"))
    rows, number_format = _read(files["plain"])
    assert (rows, number_format) == _read(files["openpyxl"])
    assert rows[1][:4] == ["BC-000001", datetime(2026, 1, 5), "Huyện Mộ Đức › Xã Đức Nhuận › Thôn 3", 12]
    assert rows[2][4:] == ["  lề hai bên ", "a < b & c > d"] and rows[3][5] == "dòng 1\r\ndòng 2\ttab"
    assert number_format == "yyyy-mm-dd"


def test_characters_excel_refuses_are_left_out_and_other_values_are_refused(tmp_path):
    book = Workbook(write_only=True)
    sheet = add_plain_sheet(book, "Báo cáo")
    sheet.append(["ghi\x0bchú\x01"])
    with pytest.raises(TypeError):
        sheet.append([True])
    book.save(tmp_path / "r.xlsx")
    assert load_workbook(tmp_path / "r.xlsx").active["A1"].value == "ghichú"
