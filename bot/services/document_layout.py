"""The page of a Vietnamese administrative document (Decree 30/2020/NĐ-CP, Appendix I) in python-docx.

A4; margins top 20, bottom 20, left 30, right 15 mm; Times New Roman; body 14 pt, justified, first line
indented 1.27 cm, 6 pt after; the letterhead as a borderless two-column table (issuing body left, Quốc hiệu
and Tiêu ngữ right, each with its short rule beneath); page numbers centred at the top from page 2;
"Nơi nhận" (12/11 pt) and the signature block side by side at the end.
"""

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

FONT = "Times New Roman"
BODY_PT = 14
LEFT_CM, RIGHT_CM = 7.0, 9.5  # the letterhead's columns (16.5 cm of text width)
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def new_document() -> Document:
    """An empty A4 document with the decree's margins, font and page numbers."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(BODY_PT)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    style.paragraph_format.space_after, style.paragraph_format.space_before = Pt(0), Pt(0)
    style.paragraph_format.line_spacing = 1.0
    _page_numbers(section)
    return doc


def _page_numbers(section) -> None:
    """The page number centred in the header, not on the first page."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    run.font.size = Pt(13)


def line(container, text: str = "", *, size: float = BODY_PT, bold=False, italic=False, align="center",
         before: float = 0, after: float = 0, indent: float = 0):
    """One paragraph of one run; `align` left / center / right / justify; `indent` the first line, in cm."""
    paragraph = container.add_paragraph()
    paragraph.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                           "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent:
        fmt.first_line_indent = Cm(indent)
    if text:
        run = paragraph.add_run(text)
        run.font.size, run.bold, run.italic = Pt(size), bold, italic
    return paragraph


def rule(container, width_cm: float, column_cm: float) -> None:
    """A short centred rule (the line under the issuing body, the motto and the title)."""
    paragraph = line(container, size=4)
    side = Cm(max(0.0, (column_cm - width_cm) / 2))
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def two_columns(doc, left_cm: float = LEFT_CM, right_cm: float = RIGHT_CM):
    """A borderless one-row table: (left cell, right cell), their first empty paragraph removed."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_widths(table, (left_cm, right_cm))
    row_flags(table.rows[0], "cantSplit")
    cells = table.rows[0].cells
    for cell in cells:
        cell._tc.remove(cell.paragraphs[0]._p)
    return cells


def row_flags(row, *flags: str) -> None:
    """Row properties: "cantSplit" keeps a row on one page, "tblHeader" repeats it on every page."""
    props = row._tr.get_or_add_trPr()
    for flag in flags:
        props.append(OxmlElement(f"w:{flag}"))


def set_widths(table, widths_cm) -> None:
    """Column widths in the grid and in every cell (Word reads the cells, LibreOffice the grid)."""
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def letterhead(doc, parent_body: str, issuing_body: str, number: str, place_date: str) -> None:
    """Issuing body and number on the left; Quốc hiệu, Tiêu ngữ and place and date on the right."""
    left, right = two_columns(doc)
    line(left, parent_body.upper(), size=12)
    line(left, issuing_body.upper(), size=12, bold=True)
    rule(left, 2.2, LEFT_CM)
    line(left, number, size=13, before=6)
    line(right, NATION, size=12, bold=True)
    line(right, MOTTO, size=13, bold=True)
    rule(right, 5.5, RIGHT_CM)
    line(right, place_date, size=14, italic=True, before=6)


def title(doc, name: str, subject: str) -> None:
    """"BÁO CÁO" and what it is about, bold and centred, a short rule beneath."""
    line(doc, name.upper(), bold=True, before=18)
    line(doc, subject, bold=True)
    rule(doc, 3.5, 16.5)
    line(doc, after=6)


def closing(doc, recipients: list[str], authority: str, signer_title: str, signer_name: str) -> None:
    """"Nơi nhận:" with its list on the left, the signature block on the right."""
    left, right = two_columns(doc, 7.5, 8.5)
    line(left, "Nơi nhận:", size=12, bold=True, italic=True, align="left", before=12)
    for recipient in recipients:
        line(left, f"- {recipient}", size=11, align="left")
    first = line(right, authority.upper(), size=14, bold=True, before=12)
    if signer_title:
        line(right, signer_title.upper(), size=14, bold=True)
    for _ in range(4):
        line(right)
    line(right, signer_name, size=14, bold=True)
    first.paragraph_format.keep_with_next = True
