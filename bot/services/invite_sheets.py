"""Printable QR invite sheets: an A4 PDF with one card per team of a subtree, to hand out in a commune.

Each card shows the team, where it sits, its invite code in large type, a QR code per messenger (the Telegram
deep link carries the code; Zalo opens the OA or the bot, where the member types the code) and two lines of
instructions. A messenger that is not configured gets a note on the card instead of a QR code.
"""

import asyncio
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import OrgUnit
from bot.i18n import N_, Translator
from bot.services import org

FONTS = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core: Vietnamese glyphs, free licence
FACES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
CODE_FACE = "DejaVuSansMono-Bold.ttf"
PAGE_W, PAGE_H, MARGIN, TOP = 210, 297, 10, 14  # millimetres
COLUMNS, ROWS = 2, 3
CARD_W, CARD_H = (PAGE_W - 2 * MARGIN) / COLUMNS, (PAGE_H - TOP - MARGIN) / ROWS
QR_SIZE = 33
MAX_CARDS = 600  # 100 pages; a province's whole tree is a book, not a sheet: ask for a smaller unit
STEPS = (N_("1. Open Zalo or Telegram and scan the QR code of the app you use."),
         N_("2. If asked for an invite code, type {code}, then answer the bot's questions."))
NOT_SET_UP = N_("{channel} is not set up for this bot yet.")


class SheetError(Exception):
    """The sheet cannot be made (too many teams, or no font with Vietnamese letters on this server)."""

    def __init__(self, message: str, **values):
        super().__init__(message)
        self.message, self.values = message, values


@dataclass(frozen=True)
class Card:
    """One team's card: its name, where it sits, its code and a link per messenger (None: not configured)."""

    team: str
    place: str
    code: str
    links: dict[str, str | None]


def links_for(settings: Settings, code: str) -> dict[str, str | None]:
    """The links a card's QR codes open, from the settings: Telegram's deep link, and the Zalo OA (or bot)."""
    telegram = f"https://t.me/{settings.telegram_bot_username}?start={code}" if settings.telegram_bot_username \
        else None
    zalo = f"https://zalo.me/{settings.zalo_oa_oa_id}" if settings.zalo_oa_oa_id else settings.zalo_bot_link or None
    return {"Telegram": telegram, "Zalo": zalo}


async def cards(session: AsyncSession, root: OrgUnit, settings: Settings) -> list[Card]:
    """A card for every active team in the subtree of `root`, in tree order, with its unit's path as a place."""
    teams = [(team, unit) for team, unit in await org.teams_in(session, root) if team.active]
    if len(teams) > MAX_CARDS:
        raise SheetError(N_("{unit} has {n} teams: choose a smaller unit (at most {max} cards at once)."),
                         unit=root.name, n=len(teams), max=MAX_CARDS)
    ids = {int(i) for _team, unit in teams for i in unit.path.strip("/").split("/")}
    names = {u.id: (u.name, u.parent_id) for u in (await session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids))))
             .scalars()}

    def place(unit: OrgUnit) -> str:
        chain = [names[int(i)] for i in unit.path.strip("/").split("/") if int(i) in names]
        return " · ".join(name for name, parent in reversed(chain) if parent is not None) or unit.name  # below the top

    return [Card(team.name, place(unit), team.invite_code, links_for(settings, team.invite_code))
            for team, unit in teams]


def _qr_png(link: str) -> io.BytesIO:
    """The link as a QR code image, with the quiet zone scanners need."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=10, border=4)
    out.seek(0)
    return out


class _Sheet(FPDF):
    """A4 portrait with DejaVu fonts (the built-in PDF fonts have no Vietnamese letters)."""

    def __init__(self, heading: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        missing = [name for name in (*FACES.values(), CODE_FACE) if not (FONTS / name).exists()]
        if missing:
            raise SheetError(N_("The font for the sheets is missing on the server (install fonts-dejavu-core)."))
        for style, name in FACES.items():
            self.add_font("dejavu", style, str(FONTS / name))
        self.add_font("dejavumono", "B", str(FONTS / CODE_FACE))
        logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every glyph of the subset at INFO
        self.heading = heading
        self.set_auto_page_break(False)
        self.set_title(heading)

    def header(self) -> None:
        """The unit the sheet is for, on every page, above the cut lines."""
        self.set_font("dejavu", "", 8)
        self.set_text_color(90)
        self.set_xy(MARGIN, 5)
        self.cell(PAGE_W - 2 * MARGIN, 5, self.heading, align="C")


def _card(pdf: _Sheet, tr: Translator, card: Card, x: float, y: float) -> None:
    """Draw one card with its top-left corner at (x, y)."""
    pdf.set_draw_color(150)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.rect(x, y, CARD_W, CARD_H)
    pdf.set_dash_pattern()
    inner = CARD_W - 8
    pdf.set_text_color(0)
    pdf.set_font("dejavu", "B", 11)
    pdf.set_xy(x + 4, y + 4)
    pdf.multi_cell(inner, 5, card.team, align="C", max_line_height=5)
    pdf.set_font("dejavu", "", 7.5)
    pdf.set_text_color(70)
    pdf.set_x(x + 4)
    pdf.multi_cell(inner, 3.6, card.place, align="C")
    pdf.set_text_color(0)
    pdf.set_font("dejavu", "", 8)
    pdf.set_xy(x + 4, y + 20)
    pdf.cell(inner, 4, tr.t("Invite code"), align="C")
    pdf.set_font("dejavumono", "B", 24)
    pdf.set_xy(x + 4, y + 24)
    pdf.cell(inner, 10, card.code, align="C")
    _qr_row(pdf, tr, card, x, y + 35)
    pdf.set_font("dejavu", "", 7)
    pdf.set_xy(x + 4, y + 73.5)
    for step in STEPS:
        pdf.set_x(x + 4)
        pdf.multi_cell(inner, 3.2, tr.t(step, code=card.code), align="C")


def _qr_row(pdf: _Sheet, tr: Translator, card: Card, x: float, y: float) -> None:
    """The QR codes side by side, each labelled; a note in the place of a messenger that is not set up."""
    gap = (CARD_W - QR_SIZE * len(card.links)) / (len(card.links) + 1)
    for n, (channel, link) in enumerate(card.links.items()):
        left = x + gap + n * (QR_SIZE + gap)
        if link:
            pdf.image(_qr_png(link), left, y, QR_SIZE, QR_SIZE)
        else:
            pdf.set_font("dejavu", "", 8)
            pdf.set_text_color(110)
            pdf.set_xy(left + 2, y + QR_SIZE / 2 - 6)
            pdf.multi_cell(QR_SIZE - 4, 4, tr.t(NOT_SET_UP, channel=channel), align="C")
            pdf.set_text_color(0)
        pdf.set_font("dejavu", "B", 9)
        pdf.set_xy(left, y + QR_SIZE)
        pdf.cell(QR_SIZE, 4.5, channel, align="C")


def render_pdf(cards_: list[Card], heading: str, locale: str = "vi") -> bytes:
    """The sheets as PDF bytes: six cards to an A4 page, dashed lines to cut along."""
    tr = Translator(locale)
    pdf = _Sheet(heading)
    per_page = COLUMNS * ROWS
    for n, card in enumerate(cards_):
        if n % per_page == 0:
            pdf.add_page()
        column, row = n % COLUMNS, (n % per_page) // COLUMNS
        _card(pdf, tr, card, MARGIN + column * CARD_W, TOP + row * CARD_H)
    if not cards_:
        pdf.add_page()
    return bytes(pdf.output())


async def sheet_for(session: AsyncSession, root: OrgUnit, settings: Settings, locale: str = "vi") -> bytes:
    """The PDF for a unit's subtree (what the CLI and the console's button download)."""
    tr = Translator(locale)
    found = await cards(session, root, settings)
    heading = tr.t("Invite cards · {unit}", unit=await org.unit_label(session, root))
    return await asyncio.to_thread(render_pdf, found, heading, locale)  # CPU work: off the event loop


def file_name_for(code: str) -> str:
    """The download's name, from the unit's code (kept to characters safe in any file system)."""
    return "invite-sheets-" + "".join(ch for ch in code if ch.isalnum() or ch in "-_") + ".pdf"
