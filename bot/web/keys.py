"""Typed application keys: what the web apps (chat, console) share with the rest of cdsbot."""

from collections.abc import Callable

from aiohttp import web

from bot.clock import Clock
from bot.config import Settings
from bot.db.session import Database
from bot.delivery.sender import Outbox

DB = web.AppKey("db", Database)
SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
OUTBOX = web.AppKey("outbox", Outbox)
APP_STATUS = web.AppKey("app_status", Callable[[], dict])  # per-channel status; may be absent
