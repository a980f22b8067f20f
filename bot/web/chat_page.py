"""The chat page's HTML, its labels in the visitor's language (the page itself is a Jinja2 template)."""

import functools

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.i18n import N_, Translator
from bot.web import STATIC_DIR

PAGE_TEXT = {
    "team": N_("Community digital technology team"),
    "online": N_("online"),
    "connecting": N_("connecting…"),
    "photo": N_("Send a photo"),
    "photo_error": N_("Could not send the photo (only images under 20 MB)."),
    "placeholder": N_("Type a message…"),
    "send": N_("Send"),
}


@functools.cache
def _template():
    """Loaded once; autoescaped, so labels never become HTML."""
    env = Environment(loader=FileSystemLoader(STATIC_DIR), autoescape=select_autoescape(["html"]))
    return env.get_template("chat.html")


def render(locale: str) -> str:
    tr = Translator(locale)
    return _template().render(lang=tr.locale, text={key: tr.t(message) for key, message in PAGE_TEXT.items()})
