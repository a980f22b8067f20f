"""The remap's and the draft's problems in the reader's language.

The services (bot/services/remap.py, remap_draft.py, roster.py) write their problems in English for the
command line, as "file:line: text"; the console splits off the line and says the text again from this
table, in the person's language. A text the table does not know is shown as written.
"""

import re

from bot.i18n import N_, Translator

_LINE = re.compile(r"^(?:(?P<file>.*?):|line )(?P<line>[\d,]+): (?P<text>.*)$", re.S)
_TEXTS = [(re.compile(pattern, re.S), message) for pattern, message in (
    (r"unknown unit code (?P<code>.+)", N_("unknown unit code {code}")),
    (r"neither an old nor a new code", N_("neither an old nor a new code")),
    (r"expected (?P<n>\d+) columns, found (?P<m>\d+)", N_("expected {n} columns, found {m}")),
    (r"columns must be (?P<columns>[^ ]+?)(?:, found .*)?", N_("the columns must be {columns}")),
    (r"the same link as line (?P<line>\d+)", N_("the same link as line {line}")),
    (r"unit (?P<old>\S+) cannot become (?P<new>\S+), which is inside it",
     N_("unit {old} cannot become {new}, which is inside it")),
    (r"the map goes round in a cycle \((?P<chain>.+)\)", N_("the map goes round in a cycle ({chain})")),
    (r"unit (?P<code>\S+) is described differently on line (?P<line>\d+)",
     N_("unit {code} is described differently on line {line}")),
    (r"unit (?P<code>\S+): unknown parent (?P<parent>.+)", N_("unit {code}: unknown parent {parent}")),
    (r"duplicate code (?P<code>\S+) \(first at line (?P<line>\d+)\)",
     N_("duplicate code {code} (first at line {line})")),
    (r"unit (?P<code>\S+): its parents form a cycle", N_("unit {code}: its parents form a cycle")),
    (r"unit (?P<code>\S+): empty name", N_("unit {code}: empty name")),
    (r"not UTF-8 text", N_("The file is not a UTF-8 text (CSV) file. Save it as CSV UTF-8 and try again.")),
    (r"empty roster", N_("the file has no units")),
    (r"a draft needs the column (?P<column>\S+)", N_("a draft needs the column {column}")),
    (r"(?P<unit>.+?): '(?P<item>.+)': no current unit", N_("{unit}: “{item}” matches no current unit")),
    (r"(?P<unit>.+?): '(?P<item>.+)': (?P<n>\d+) units \((?P<codes>.+)\)",
     N_("{unit}: “{item}” matches {n} units ({codes}): keep the right one")),
)]


def by_line(tr: Translator, problems: list[str], folder: str) -> list[tuple[str, str]]:
    """The problems as (line or lines, text in the person's language), the upload's folder left out."""
    rows = []
    for problem in problems:
        found = _LINE.match(problem.replace(f"{folder}/", ""))
        line, text = (found["line"], found["text"]) if found else ("", problem)
        rows.append((line, said(tr, text)))
    return rows


def said(tr: Translator, text: str) -> str:
    """One problem's text in the person's language (as written when the table does not know it)."""
    for pattern, message in _TEXTS:
        found = pattern.fullmatch(text)
        if found:
            return tr.t(message, **found.groupdict())
    return text
