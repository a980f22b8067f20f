"""create_app(settings): wires database, channels, outbox, core and the web server; starts and stops them."""

import asyncio
import logging
import signal

from aiohttp import web

from bot.channels.base import Channel
from bot.clock import Clock
from bot.config import Settings
from bot.core.dispatcher import Core
from bot.db.migrate import upgrade
from bot.db.session import Database
from bot.outbox import Outbox
from handlers import build_router
from handlers.menu import show_menu

log = logging.getLogger(__name__)


def configured_channels(settings: Settings) -> dict[str, Channel]:
    """The channels this configuration turns on (each only when configured)."""
    channels: dict[str, Channel] = {}
    if settings.web_chat:
        from bot.channels.web import WebChannel

        channels["web"] = WebChannel(settings.media_dir)
    if settings.telegram_token is not None:
        from bot.channels.telegram import TelegramChannel

        channels["telegram"] = TelegramChannel(
            settings.telegram_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=settings.telegram_webhook_secret.get_secret_value()
            if settings.telegram_webhook_secret else "",
        )
    return channels


class App:
    """One running cdsbot: build with `create_app`, then `await start()` / `await stop()`."""

    def __init__(self, settings: Settings, channels: dict[str, Channel], clock: Clock):
        self.settings = settings
        self.clock = clock
        self.db = Database(settings.database_url)
        self.channels = channels
        self.outbox = Outbox(self.db, channels, clock)
        self.core = Core(self.db, build_router(), self.outbox, channels, clock, settings.locale, show_menu)
        self.web = web.Application(client_max_size=21 * 1024 * 1024)
        self.web.router.add_get("/health", self._health)
        for channel in channels.values():
            channel.setup_routes(self.web)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.web_host}:{self.port}"

    @property
    def port(self) -> int:
        site = next(iter(self._runner.sites)) if self._runner else None
        return site._server.sockets[0].getsockname()[1] if site else self.settings.web_port

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "channels": sorted(self.channels)})

    async def start(self) -> None:
        await upgrade(self.db.engine)
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.web_host, self.settings.web_port).start()
        await self.outbox.start()
        for channel in self.channels.values():
            await channel.start(self.core.handle)
        log.info("cdsbot is serving on %s with channels: %s", self.url, ", ".join(self.channels) or "none")

    async def stop(self) -> None:
        """Stop taking messages, finish sends in flight (unsent rows stay queued), close everything."""
        for channel in self.channels.values():
            await channel.stop()
        await self.outbox.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.db.dispose()


def create_app(settings: Settings, channels: dict[str, Channel] | None = None, clock: Clock | None = None) -> App:
    return App(settings, configured_channels(settings) if channels is None else channels, clock or Clock())


async def serve(app: App, started=None) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    try:
        if started is not None:
            await started(app)
        await stop.wait()
    finally:
        log.info("stopping: finishing messages in flight")
        await app.stop()
