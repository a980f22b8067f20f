"""The roll-up and the report rows of a selection (a subtree, a period), as the console shows them and as files.

The roll-up comes from `reports.rollup` (SQL aggregation), or from `rollup_history` on the tree as it stood
at a date (then the report rows are those filed for that tree's units); the report rows are streamed from the
database in chunks, so an export of 100,000 rows keeps memory flat. Names of units, report types,
counts and statuses are in the chosen language; free text is defused against spreadsheet formulas.
Writers (XLSX, CSV, ZIP of photos) live in `bot.services.export_files`.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import Member, OrgUnit
from bot.db.reports import Photo, Report, ReportPhoto
from bot.i18n import N_, Translator
from bot.services import org, reports, rollup_history, rollup_scan
from bot.services.periods import Period
from bot.services.report_types import load_report_types

CHUNK = 2_000
PHOTO_PATH = "/admin/photos/{number}/{n}"  # photo n (1-based) of a report, served to people whose scope holds it
NO_FIGURES = N_("no figures yet")
STATUS_NAMES = {"pending": N_("Waiting for review"), "approved": N_("Approved"), "returned": N_("Returned")}
REPORTS_COLUMN, REPORTS_LABEL = N_("{type}: reports"), N_("Number of reports")


@dataclass(frozen=True)
class Selection:
    """What an export or the roll-up page covers: a subtree, a period, which reports count, the language."""

    root: OrgUnit
    period: Period
    approved_only: bool = False
    lang: str = "vi"
    agencies: bool = False  # the agency groups under a territorial root too (bot/services/agencies.py)
    as_at: date | None = None  # on the tree as it stood that day (bot/services/rollup_history.py); None: today's

    @property
    def statuses(self) -> tuple[str, ...]:
        return ("approved",) if self.approved_only else reports.COUNTED


@dataclass(frozen=True)
class Column:
    """One figure column: the number of reports of a type (`count_id` None) or the sum of one of its counts."""

    type_id: str
    count_id: str | None
    header: str  # "type: label", for files
    group: str = ""  # the type's name, over its columns on the page
    label: str = ""  # the column's own label under it


@dataclass(frozen=True)
class TableRow:
    """A row of the roll-up as shown: its name, depth in the tree (for indentation), the unit's code, figures."""

    name: str
    depth: int
    code: str | None  # the unit to drill into; None for the own team and total rows
    row: reports.UnitRow
    total: bool = False


def kinds() -> dict[str, list[str]]:
    """{type id: its count ids}, as the roll-up asks for them."""
    return {kind.id: [c.id for c in kind.counts] for kind in load_report_types().values()}


def columns(tr: Translator) -> list[Column]:
    """Per report type: its number of reports, then each of its counts, labelled in the person's language."""
    found = []
    for kind in load_report_types().values():
        name = kind.name_in(tr.locale)
        found.append(Column(kind.id, None, tr.t(REPORTS_COLUMN, type=name), name, tr.t(REPORTS_LABEL)))
        found += [Column(kind.id, c.id, f"{name}: {c.label_in(tr.locale)}", name, c.label_in(tr.locale))
                  for c in kind.counts]
    return found


def figure(row: reports.UnitRow, column: Column) -> int | None:
    """The figure of a row in a column: None when the row has no report at all ("no data"), else a number."""
    if row.by_type is None:
        return None
    part = row.by_type.get(column.type_id)
    if part is None:
        return 0
    return part.reports if column.count_id is None else part.counts.get(column.count_id)


async def rollup(session: AsyncSession, sel: Selection) -> reports.Rollup:
    """The roll-up of the selection, with every type's counts per row, on today's tree or as at `sel.as_at`."""
    period = sel.period
    return await rollup_history.rollup_on(session, sel.root, period.start, period.end, day=sel.as_at,
                                          deadline=period.deadline, approved_only=sel.approved_only, kinds=kinds(),
                                          agencies_too=sel.agencies)


def table(result: reports.Rollup, tr: Translator) -> list[TableRow]:
    """The rows as shown: each child unit (indented under the root), the root's own team, then the total."""
    rows = [TableRow(reports.own_team_name(tr, row.unit.name) if row.own_team else row.unit.name, 1,
                     None if row.own_team else row.unit.code, row) for row in result.units]
    return rows + [TableRow(tr.t("Total") + " · " + result.root.name, 0, None, result.total, total=True)]


def safe_text(value: str | None) -> str:
    """Free text for a spreadsheet: a leading =, +, -, @, tab or return is quoted so it never runs as a formula."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def _where(session: AsyncSession, sel: Selection):
    """The selection's reports: filed under the root on today's tree, or for its units on the tree of `as_at`."""
    under = Report.unit_path.startswith(sel.root.path) if sel.as_at is None else Report.unit_path.in_(
        await rollup_history.paths_as_at(session, sel.root, sel.as_at, sel.agencies))
    return (under, Report.activity_date >= sel.period.start,
            Report.activity_date <= sel.period.end, Report.status.in_(sel.statuses))


async def count_reports(session: AsyncSession, sel: Selection) -> int:
    """How many report rows the selection has (for the progress count)."""
    return int(await session.scalar(select(func.count()).select_from(Report).where(*await _where(session, sel))) or 0)


async def count_photos(session: AsyncSession, sel: Selection) -> int:
    """How many photos the selection's reports carry (for the ZIP's progress count)."""
    query = select(func.count()).select_from(ReportPhoto).join(Report, ReportPhoto.report_id == Report.id)
    return int(await session.scalar(query.where(*await _where(session, sel))) or 0)


async def unit_names(session: AsyncSession, root: OrgUnit, everywhere: bool = False) -> dict[int, str]:
    """{unit id: name} for the root's subtree and its ancestors (one query; every unit if `everywhere`, as a tree
    as at a date reaches beyond today's subtree), to spell report paths."""
    ids = [int(part) for part in root.path.strip("/").split("/")]
    query = select(OrgUnit.id, OrgUnit.name, OrgUnit.depth)
    query = query if everywhere else query.where(or_(org.in_subtree(root), OrgUnit.id.in_(ids)))
    return {uid: name for uid, name, depth in await session.execute(query) if depth > 0}


def path_names(names: dict[int, str], path: str) -> str:
    """'Huyện Mộ Đức › Xã Đức Nhuận › Thôn 3' for a unit path (below the province)."""
    return " › ".join(names[int(p)] for p in path.strip("/").split("/") if int(p) in names)


def report_header(tr: Translator) -> list[str]:
    """The header of the report rows (XLSX sheet and CSV), in the person's language."""
    fixed = [tr.t("Report code"), tr.t("Activity date"), tr.t("Unit"), tr.t("Report type")]
    return fixed + [c.header for c in columns(tr) if c.count_id] + [tr.t("Status"), tr.t("Reviewer"), tr.t("Note"),
                                                                      tr.t("Photos")]


async def report_rows(session: AsyncSession, sel: Selection, public_url: str) -> AsyncIterator[list[list]]:
    """Chunks of report rows (cells in `report_header` order), oldest activity first, streamed from the database."""
    tr, types = Translator(sel.lang), load_report_types()
    names = await unit_names(session, sel.root, sel.as_at is not None)
    spelled: dict[str, str] = {}  # unit path → its names, spelled once per unit
    statuses = {key: tr.t(name) for key, name in STATUS_NAMES.items()}
    type_names = {kind.id: kind.name_in(sel.lang) for kind in types.values()}
    count_columns = [c for c in columns(tr) if c.count_id]
    slots: dict[str, list[tuple[int, str]]] = {}  # type id → (its counts' places among the count columns, count id)
    for place, column in enumerate(count_columns):
        slots.setdefault(column.type_id, []).append((place, column.count_id))
    photos_url = public_url.rstrip("/") + PHOTO_PATH
    reviewer = aliased(Member)
    photo_count = (select(func.count()).select_from(ReportPhoto).where(ReportPhoto.report_id == Report.id)
                   .scalar_subquery())
    query = (select(Report.id, Report.activity_date, Report.unit_path, Report.type_id, Report.counts, Report.status,
                    reviewer.full_name, Report.note, photo_count)
             .outerjoin(reviewer, Report.reviewed_by_member_id == reviewer.id)
             .where(*await _where(session, sel)).order_by(Report.activity_date, Report.id)
             .execution_options(yield_per=CHUNK))
    await rollup_scan.tune(session)  # no JIT: compiling this long streamed query costs more than running it
    stream = await (await session.connection()).stream(query)  # plain rows (Core): no ORM work per row
    async for chunk in stream.partitions(CHUNK):
        rows = []
        for rid, day, path, kind, counts, status, who, note, photos in chunk:
            if path not in spelled:
                spelled[path] = safe_text(path_names(names, path))
            number = f"BC-{rid:06d}"
            figures = [None] * len(count_columns)
            for place, count_id in slots.get(kind, ()):
                figures[place] = counts.get(count_id)
            links = " ".join(photos_url.format(number=number, n=n) for n in range(1, photos + 1))
            rows.append([number, day, spelled[path], type_names.get(kind, kind), *figures,
                         statuses.get(status, status), safe_text(who) or None, safe_text(note) or None,
                         links or None])  # empty cells are left out of the file (fewer cells, faster)
        yield rows


@dataclass(frozen=True)
class PhotoRow:
    """One photo of the selection: the report it proves, where it is stored, what the ZIP calls it."""

    report_code: str
    unit_code: str
    unit_path: str
    position: int
    file: str  # relative to the media folder
    sha256: str
    activity_date: datetime


async def photo_rows(session: AsyncSession, sel: Selection) -> AsyncIterator[list[PhotoRow]]:
    """Chunks of the selection's photos, in report order, with their unit (for names in the ZIP)."""
    names = await unit_names(session, sel.root, sel.as_at is not None)
    query = (select(Report.id, OrgUnit.code, Report.unit_path, ReportPhoto.position, Photo.path, Photo.sha256,
                    Report.activity_date)
             .join(ReportPhoto, ReportPhoto.report_id == Report.id).join(Photo, Photo.id == ReportPhoto.photo_id)
             .join(OrgUnit, OrgUnit.path == Report.unit_path)
             .where(*await _where(session, sel)).order_by(Report.id, ReportPhoto.position)
             .execution_options(yield_per=CHUNK))
    stream = await session.stream(query)
    async for chunk in stream.partitions(CHUNK):
        yield [PhotoRow(f"BC-{rid:06d}", code, path_names(names, path), pos, file, sha, day)
               for rid, code, path, pos, file, sha, day in chunk]
