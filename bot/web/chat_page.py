"""The chat page's HTML and its labels (the page itself is a Jinja2 template), and which language a chat speaks.

The page is rendered in the default language (or `?lang=`); once the chat is
known, the channel tells the page the member's language with every frame and
the page swaps its labels, so the frame always matches the messages.
"""

import functools
import json

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from bot.db.models import ChannelAccount, Conversation, Member
from bot.db.session import Database
from bot.i18n import LOCALES, N_, Translator
from bot.web import STATIC_DIR

STATIC_FILES = {"chat.css": "text/css", "chat.js": "text/javascript"}
NO_CACHE = {"Cache-Control": "no-cache"}
PAGE_TEXT = {
    "team": N_("Community digital technology team"),
    "online": N_("online"),
    "connecting": N_("connecting…"),
    "photo": N_("Send a photo"),
    "photo_error": N_("Could not send the photo. Please try again."),
    "not_photo": N_("This file is not a photo. Please choose a photo (JPEG, PNG, GIF or WebP)."),
    "too_large": N_("This photo is too large (over {mb} MB). Please choose a smaller one."),
    "too_many": N_("You have sent many photos in a short time. Please wait a few minutes and try again."),
    "placeholder": N_("Type a message…"),
    "send": N_("Send"),
}


@functools.cache
def _template():
    """Loaded once; autoescaped, so labels never become HTML."""
    env = Environment(loader=FileSystemLoader(STATIC_DIR), autoescape=select_autoescape(["html"]))
    return env.get_template("chat.html")


def labels(locale: str, max_mb: int) -> dict[str, str]:
    """The page's labels in one language."""
    tr = Translator(locale)
    return {key: tr.t(message, mb=tr.number(max_mb)) for key, message in PAGE_TEXT.items()}


def render(locale: str, max_mb: int) -> str:
    """The page in `locale`, carrying the labels of every language for when the chat's language is known."""
    tr = Translator(locale)
    every = {code: labels(code, max_mb) for code in LOCALES}
    return _template().render(lang=tr.locale, text=every[tr.locale], labels=json.dumps(every, ensure_ascii=False))


def page(locale: str, max_mb: int) -> web.Response:
    """The page as an uncached HTML response (the channel adds the visitor's chat cookie)."""
    return web.Response(text=render(locale, max_mb), content_type="text/html", headers=NO_CACHE)


async def to_chat(request: web.Request) -> web.StreamResponse:
    """Send visitors of the bare address to the chat."""
    raise web.HTTPFound("/chat")


async def static(request: web.Request) -> web.StreamResponse:
    """The page's CSS and JS; only the listed names, so no path can escape the folder."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC_DIR / name, headers={**NO_CACHE, "Content-Type": STATIC_FILES[name]})


async def chat_locale(db: Database, channel: str, external_id: str) -> str | None:
    """The language of a chat: its member's, else the one chosen in the conversation; None for a new visitor."""
    async with db.session() as session:
        member_locale = (await session.execute(
            select(Member.locale).join(ChannelAccount, ChannelAccount.member_id == Member.id)
            .where(ChannelAccount.channel == channel, ChannelAccount.external_id == external_id)
        )).scalar_one_or_none()
        if member_locale is not None:
            return member_locale
        data = (await session.execute(select(Conversation.data).where(
            Conversation.channel == channel, Conversation.external_id == external_id))).scalar_one_or_none()
    locale = (data or {}).get("locale")
    return locale if locale in LOCALES else None
