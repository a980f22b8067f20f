"""Keep the gettext catalogs in step with the code: extract, update, check.

`cdsbot i18n update` extracts every `t()`, `tn()` and `N_()` string from
bot/ and handlers/ (Python) and bot/web/templates/ (Jinja2), adds new ones to content/locales/{vi,en}, drops the ones
no longer used, and fills English from the (English) message ids.
`check()` is what the tests and `cdsbot i18n check` use. It also finds text
for members in handlers/ that no marker reaches (a label in a table, a
sentence in a dict): it would be sent untranslated in every language. A
literal that is data on purpose carries `# i18n: data` on its line.
"""

import ast
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot import resources
from bot.i18n import LOCALES, LOCALES_DIR

ROOT = resources.SOURCE_ROOT
PYTHON = [("**.py", "python")]
TEMPLATES = [("**.html", "jinja2.ext:babel_extract")]  # the console's Jinja2 templates call t("…") too
SOURCES = (("bot", PYTHON), ("handlers", PYTHON), ("bot/web/templates", TEMPLATES))
KEYWORDS = {"t": None, "N_": None, "tn": (1, 2), "button": (2,)}
DOMAIN = "messages"
MEMBER_TEXT = ("handlers",)  # where every capitalised literal is text a member reads
NOT_FOR_MEMBERS = {"debug", "info", "warning", "error", "exception", "critical"}  # logging calls
DATA_MARK = "i18n: data"


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every translatable string in the code, with where it is used."""
    template = Catalog(project="cdsbot", charset="utf-8")
    for source, method_map in SOURCES:
        found = extract_from_dir(ROOT / source, method_map=method_map, keywords=KEYWORDS,
                                 comment_tags=("Translators:",), strip_comment_tags=True)
        for filename, lineno, message, comments, _context in found:
            location = (f"{source}/{filename}", lineno)
            existing = template.get(message[0] if isinstance(message, tuple) else message)
            if existing is not None:
                existing.locations.append(location)
            else:
                template.add(message, locations=[location], auto_comments=comments)
    return template


def _read(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="cdsbot", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def update() -> dict[str, int]:
    """Bring both catalogs in line with the code; returns untranslated counts per locale."""
    template = extract()
    with (LOCALES_DIR / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=True)
    missing = {}
    for locale in LOCALES:
        catalog = _read(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if locale == "en":
            for message in catalog:
                if message.id and not _complete(message):
                    message.string = message.id
        po_path(locale).parent.mkdir(parents=True, exist_ok=True)
        with po_path(locale).open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_previous=False)
        missing[locale] = sum(1 for m in catalog if m.id and not _complete(m))
    return missing


def _complete(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def unmarked(path: Path) -> list[tuple[int, str]]:
    """(line, text) of literals in a handler module that read as text for members but no marker translates."""
    source = path.read_text(encoding="utf-8")
    tree, lines = ast.parse(source), source.splitlines()
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
        if not _reads_as_text(text) or isinstance(parents.get(node), ast.Expr) or DATA_MARK in lines[node.lineno - 1]:
            continue
        call = _enclosing_call(node, parents)
        name = getattr(call.func, "attr", getattr(call.func, "id", None)) if call else None
        if name not in KEYWORDS and name not in NOT_FOR_MEMBERS:
            found.append((node.lineno, text))
    return found


def _reads_as_text(text: str) -> bool:
    """Capitalised (or starting with an emoji or a Vietnamese letter) and with letters: ids and keywords are not."""
    return bool(text) and (text[0].isupper() or not text[0].isascii()) and any(ch.isalpha() for ch in text)


def _enclosing_call(node: ast.AST, parents: dict) -> ast.Call | None:
    """The call a literal is an argument of (however deeply), stopping at the function or class around it."""
    node = parents.get(node)
    while node is not None and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        if isinstance(node, ast.Call):
            return node
        node = parents.get(node)
    return None


def check() -> list[str]:
    """Problems: a string used in code missing from a catalog, a stale entry, an empty translation, unmarked text."""
    used = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    problems = []
    for locale in LOCALES:
        catalog = _read(locale)
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        problems += [f"{po_path(locale)}: missing {msg!r}" for msg in sorted(used - have)]
        problems += [f"{po_path(locale)}: stale (no longer in the code) {msg!r}" for msg in sorted(have - used)]
        problems += [f"{po_path(locale)}: not translated {m.id!r}" for m in catalog if m.id and not _complete(m)]
    for source in MEMBER_TEXT:
        for path in sorted((ROOT / source).rglob("*.py")):
            problems += [f"{path}:{line}: text for members not marked for translation {text!r}"
                         for line, text in unmarked(path)]
    return problems
