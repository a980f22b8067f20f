"""Export files of a selection: XLSX (roll-up sheet + report rows), CSV of report rows, ZIP of photos.

Everything is written chunk by chunk as the rows stream in (openpyxl write-only mode, a CSV writer,
zipfile), and `progress(n)` is called after each chunk, so the console and the CLI can show a count.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.services import exports, xlsx_rows

FORMATS = ("xlsx", "csv", "zip")
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8", "zip": "application/zip"}
ROLLUP_SHEET, REPORTS_SHEET = N_("Roll-up"), N_("Reports")
APPROVED_ONLY, PENDING_TOO = N_("approved reports only"), N_("pending and approved reports")
Progress = Callable[[int], None]


def _quiet(_n: int) -> None:
    """No progress to show."""


def scope_text(tr: Translator, approved_only: bool) -> str:
    """Which reports count, in words."""
    return tr.t(APPROVED_ONLY if approved_only else PENDING_TOO)


def file_name(sel: exports.Selection, fmt: str) -> str:
    """'bao-cao_21409_2026-11.xlsx': the unit code and the period, safe in every file system."""
    period = re.sub(r"[^0-9A-Za-z-]+", "_", sel.period.key.replace("..", "_"))
    return f"bao-cao_{sel.root.code}_{period}.{fmt}"


def _rollup_rows(ws, result, tr: Translator, sel: exports.Selection) -> None:
    """The roll-up as shown: a title line (which reports, which tree), the header, rows indented under the root,
    the total in bold."""
    cols = exports.columns(tr)
    dates = f"{tr.date(sel.period.start)}–{tr.date(sel.period.end)}"
    tree = tr.t("tree as at {date}", date=tr.date(sel.as_at)) if sel.as_at else tr.t("today's tree")
    ws.append([exports.safe_text(f"{sel.root.name} · {dates} · {scope_text(tr, sel.approved_only)} · {tree}")])
    ws.append([tr.t("Unit"), tr.t("Teams reported"), tr.t("Teams expected"), tr.t("On time"), tr.t("Late")]
              + [c.header for c in cols])
    no_figures = tr.t(exports.NO_FIGURES)
    for line in exports.table(result, tr):
        name = WriteOnlyCell(ws, value=exports.safe_text(line.name))
        name.alignment = Alignment(indent=line.depth * 2)
        if line.total:
            name.font = Font(bold=True)
        row = line.row
        figures = [exports.figure(row, c) for c in cols]
        ws.append([name, row.reported, row.expected, row.on_time, row.late]
                  + [no_figures if value is None else value for value in figures])


async def write_xlsx(session: AsyncSession, sel: exports.Selection, out: Path, public_url: str = "",
                     progress: Progress = _quiet) -> int:
    """The workbook: the roll-up sheet, then a sheet of every report row; returns the number of report rows."""
    tr = Translator(sel.lang)
    book = Workbook(write_only=True)
    _rollup_rows(book.create_sheet(tr.t(ROLLUP_SHEET)[:31]), await exports.rollup(session, sel), tr, sel)
    sheet = xlsx_rows.add_plain_sheet(book, tr.t(REPORTS_SHEET)[:31])  # many rows: the fast writer
    sheet.append(exports.report_header(tr))
    written = 0
    async for chunk in exports.report_rows(session, sel, public_url):
        for row in chunk:
            sheet.append(row)
        written += len(chunk)
        progress(len(chunk))
    book.save(out)
    return written


async def write_csv(session: AsyncSession, sel: exports.Selection, out: Path, public_url: str = "",
                    progress: Progress = _quiet) -> int:
    """The report rows as CSV in UTF-8 with a BOM (so Excel reads Vietnamese); returns the number of rows."""
    tr = Translator(sel.lang)
    written = 0
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(exports.report_header(tr))
        async for chunk in exports.report_rows(session, sel, public_url):
            writer.writerows([[cell.isoformat() if hasattr(cell, "isoformat") else cell for cell in row]
                              for row in chunk])
            written += len(chunk)
            progress(len(chunk))
    return written


def slug(text: str) -> str:
    """'Thôn Đông 3' → 'Thon-Dong-3': ASCII for file names inside the ZIP."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D")).encode("ascii", "ignore")
    return re.sub(r"[^A-Za-z0-9]+", "-", plain.decode()).strip("-")[:40] or "x"


async def write_zip(session: AsyncSession, sel: exports.Selection, out: Path, media_dir: Path,
                    progress: Progress = _quiet) -> int:
    """The selection's photos named by report code and unit, and manifest.csv; returns the number of photos."""
    tr = Translator(sel.lang)
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow([tr.t("File"), tr.t("Report code"), tr.t("Activity date"), tr.t("Unit"), "sha256"])
    written = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        async for chunk in exports.photo_rows(session, sel):
            for photo in chunk:
                name = f"{photo.report_code}_{photo.unit_code}_{slug(photo.unit_path.split(' › ')[-1])}" \
                       f"_{photo.position + 1}.jpg"
                source = Path(media_dir) / photo.file
                if source.is_file():
                    archive.write(source, name)
                else:
                    name = tr.t("(missing: {file})", file=name)
                writer.writerow([name, photo.report_code, photo.activity_date.isoformat(), photo.unit_path,
                                 photo.sha256])
            written += len(chunk)
            progress(len(chunk))
        archive.writestr("manifest.csv", "\ufeff" + manifest.getvalue())
    return written


async def build(session: AsyncSession, sel: exports.Selection, fmt: str, out: Path, *, public_url: str = "",
                media_dir: Path = Path("var/media"), progress: Progress = _quiet) -> int:
    """Write the export in `fmt` to `out`; returns how many rows (or photos) it holds."""
    if fmt == "zip":
        return await write_zip(session, sel, out, media_dir, progress)
    writer = write_xlsx if fmt == "xlsx" else write_csv
    return await writer(session, sel, out, public_url, progress)


async def total(session: AsyncSession, sel: exports.Selection, fmt: str) -> int:
    """How many rows (photos for a ZIP) the export will hold, for a progress bar."""
    return await (exports.count_photos if fmt == "zip" else exports.count_reports)(session, sel)
