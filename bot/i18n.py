"""Translations (gettext catalogs in content/locales, compiled at start-up) and Babel formatting.

Message ids in code are English; `vi` and `en` catalogs both translate all
of them. Code marks strings with `t("…")`, `tn("…", "…", n)` or `N_("…")`
(a marker for tables translated later); `cdsbot i18n update` extracts them.
"""

import gettext
import io
from datetime import date, datetime
from functools import cache

from babel.dates import format_date as _format_date
from babel.dates import format_time as _format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot import resources
from bot.clock import LOCAL_TZ

LOCALES_DIR = resources.LOCALES
LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
DATE_FORMATS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}


def N_(message: str) -> str:  # noqa: N802 (gettext convention)
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@cache
def catalog(locale: str) -> gettext.NullTranslations:
    """Compile `content/locales/<locale>/LC_MESSAGES/*.po` into one in-memory catalog."""
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    merged: gettext.NullTranslations = gettext.NullTranslations()
    for po_path in sorted(folder.glob("*.po")):
        with po_path.open("rb") as handle:
            po = read_po(handle, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, po)
        buffer.seek(0)
        translations = gettext.GNUTranslations(buffer)
        translations.add_fallback(merged)
        merged = translations
    return merged


class Translator:
    """Everything a handler needs to speak one member's language."""

    def __init__(self, locale: str):
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE
        self._catalog = catalog(self.locale)

    def t(self, message: str, **values) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def tn(self, singular: str, plural: str, n: int, **values) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def date(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(LOCAL_TZ).date()
        return _format_date(value, DATE_FORMATS[self.locale], locale=self.locale)

    def weekday(self, value: date) -> str:
        return _format_date(value, "EEEE", locale=self.locale)

    def time(self, value: datetime) -> str:
        return _format_time(value.astimezone(LOCAL_TZ), "HH:mm", locale=self.locale)
