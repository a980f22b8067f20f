"""The official results report as a DOCX the department signs (Decree 30/2020/NĐ-CP layout).

The letterhead, signature and recipients come from `content/documents/results_report.yaml`, the narrative
from the Jinja2 template `content/documents/results_report.vi.md.j2` (a line per paragraph, "# " and "## "
headings, "- " items, and markers where the tables and the good practices go), so the department changes
wording without code. Figures are the roll-up's (bot/services/document_data.py).
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import yaml

from bot.i18n import Translator
from bot.services import document_layout as layout
from bot.services import document_tables as tables
from bot.services.document_data import DocumentData
from bot.services.guides import CONTENT_ROOT

TEMPLATES = CONTENT_ROOT / "documents"
SETTINGS_FILE = "results_report.yaml"
NARRATIVE_FILE = "results_report.vi.md.j2"
INDENT_CM = 1.27
REQUIRED = ("parent_body", "issuing_body", "symbol", "place", "title", "signer_authority", "recipients")
MARKERS = {"[[table:units]]": tables.units_table, "[[table:targets]]": tables.targets_table}


class DocumentError(ValueError):
    """The document's settings or template cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Letterhead:
    """The document's fixed parts, as the department set them."""

    values: dict[str, Any]

    def __getattr__(self, key: str) -> Any:
        return self.values.get(key) or ""


def load_letterhead(folder: Path = TEMPLATES) -> Letterhead:
    """The settings file, checked for the parts every report needs."""
    path = Path(folder) / SETTINGS_FILE
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DocumentError(f"{path}: cannot read the document settings: {exc}") from exc
    missing = [k for k in REQUIRED if not isinstance(values, dict) or not values.get(k)]
    if missing or not isinstance(values.get("recipients"), list):
        raise DocumentError(f"{path}: needs {', '.join(missing or ['recipients as a list'])}")
    return Letterhead(values)


def place_date(place: str, day: date) -> str:
    """"Quảng Ngãi, ngày 05 tháng 02 năm 2027": day and months 1–2 with a leading zero, as the decree asks."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def in_text(name: str) -> str:
    """A unit's name inside a sentence: "tỉnh Quảng Ngãi", "huyện Bình Sơn"."""
    return name[:1].lower() + name[1:]


def _values(data: DocumentData, head: Letterhead, tr: Translator) -> dict[str, Any]:
    """What the narrative template may quote."""
    total = data.rollup.total

    def n(indicator: str) -> str:
        type_id, _, count_id = indicator.partition(".")
        return tr.number(data.total(type_id, count_id))

    return dict(unit=in_text(data.root.name), plan=data.plan.name_in("vi") if data.plan else None,
                start=data.period.start.strftime("%d/%m/%Y"), end=data.period.end.strftime("%d/%m/%Y"),
                teams_expected=tr.number(total.expected), teams_reported=tr.number(total.reported),
                reports=tr.number(total.reports or 0), people=tr.number(total.people or 0), n=n,
                difficulties=data.written.get("difficulties", []),
                recommendations=data.written.get("recommendations", []),
                practices=len(data.written.get("practice", [])), issuer=head.issuer_in_text or head.issuing_body)


def narrative(data: DocumentData, head: Letterhead, tr: Translator, folder: Path = TEMPLATES) -> list[str]:
    """The template rendered: its lines, the first being what the report is about ("Kết quả …")."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), undefined=jinja2.StrictUndefined,
                             autoescape=False, trim_blocks=True, lstrip_blocks=True)
    try:
        text = env.get_template(NARRATIVE_FILE).render(**_values(data, head, tr))
    except jinja2.TemplateError as exc:
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise DocumentError(f"{Path(folder) / NARRATIVE_FILE}{where}: {exc.message or exc}") from exc
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise DocumentError(f"{Path(folder) / NARRATIVE_FILE}: the template gives no text")
    return lines


def _body(doc, lines: list[str], data: DocumentData, tr: Translator) -> None:
    """Each narrative line as a heading, an item or a justified paragraph; markers become tables."""
    for text in lines:
        if text in MARKERS:
            MARKERS[text](doc, data, tr)
        elif text == "[[practices]]":
            tables.practices(doc, data.written.get("practice", []), tr)
        elif text.startswith("## "):
            layout.line(doc, text[3:], bold=True, align="justify", indent=INDENT_CM, before=3, after=3)
        elif text.startswith("# "):
            layout.line(doc, text[2:], bold=True, align="justify", indent=INDENT_CM, before=6, after=3)
        else:
            layout.line(doc, text, align="justify", indent=INDENT_CM, after=6)


def build(data: DocumentData, out: Path, folder: Path = TEMPLATES) -> None:
    """Write the report to `out` (DOCX); DocumentError when the settings or the template are unusable."""
    tr = Translator("vi")
    head = load_letterhead(folder)
    lines = narrative(data, head, tr, folder)
    doc = layout.new_document()
    layout.letterhead(doc, head.parent_body, head.issuing_body, f"Số:        /{head.symbol}",
                      place_date(head.place, data.issued))
    layout.title(doc, head.title, lines[0])
    _body(doc, lines[1:], data, tr)
    layout.closing(doc, head.recipients, head.signer_authority, head.signer_title, head.signer_name)
    doc.core_properties.title = f"{head.title} {lines[0]}"
    doc.save(str(out))
