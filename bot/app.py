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
from bot.scheduler import Scheduler
from bot.services.schedule_rules import Policy
from handlers import build_router
from handlers.menu import show_menu

log = logging.getLogger(__name__)


def _secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def configured_channels(settings: Settings, db: Database, clock: Clock) -> dict[str, Channel]:
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
            webhook_secret=_secret(settings.telegram_webhook_secret),
            paid_broadcast=settings.telegram_paid_broadcast,
        )
    if settings.zalo_oa_configured:  # app id + app secret; tokens from config or `cdsbot zalo-oa set-tokens`
        from bot.channels.zalo_oa import ZaloOAChannel

        channels["zalo_oa"] = ZaloOAChannel(
            db, settings.zalo_oa_app_id, _secret(settings.zalo_oa_app_secret),
            settings.zalo_oa_oa_id, _secret(settings.zalo_oa_secret_key),
            mac_id=settings.zalo_oa_mac_id, mac_secret=settings.zalo_oa_mac_secret,
            mac_timestamp=settings.zalo_oa_mac_timestamp,
            api_url=settings.zalo_oa_api_url, oauth_url=settings.zalo_oa_oauth_url,
            access_token=_secret(settings.zalo_oa_access_token),
            refresh_token=_secret(settings.zalo_oa_refresh_token), clock=clock,
        )
    if settings.zalo_bot_token is not None:
        from bot.channels.zalo_bot import ZaloBotChannel

        channels["zalo_bot"] = ZaloBotChannel(
            settings.zalo_bot_token.get_secret_value(), api_url=settings.zalo_bot_api_url,
            webhook_url=settings.zalo_bot_webhook_url,
            webhook_secret=_secret(settings.zalo_bot_webhook_secret), public_url=settings.public_url,
        )
    return channels


class App:
    """One running cdsbot: build with `create_app`, then `await start()` / `await stop()`."""

    def __init__(self, settings: Settings, channels: dict[str, Channel] | None, clock: Clock):
        self.settings = settings
        self.clock = clock
        self.db = Database(settings.database_url)
        self.channels = configured_channels(settings, self.db, clock) if channels is None else channels
        self.outbox = Outbox(self.db, self.channels, clock)
        self.core = Core(self.db, build_router(), self.outbox, self.channels, clock, settings.locale, show_menu,
                         media_dir=settings.media_dir, report_window_days=settings.report_window_days)
        self.scheduler = Scheduler(self.db, clock, Policy.from_settings(settings), outbox=self.outbox)
        self.web = web.Application(client_max_size=21 * 1024 * 1024)
        self.web.router.add_get("/health", self._health)
        for channel in self.channels.values():
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
        await self.scheduler.start()
        for channel in self.channels.values():
            await channel.start(self.core.handle)
        log.info("cdsbot is serving on %s with channels: %s", self.url, ", ".join(self.channels) or "none")

    async def stop(self) -> None:
        """Stop taking messages, finish sends in flight (unsent rows stay queued), close everything."""
        for channel in self.channels.values():
            await channel.stop()
        await self.scheduler.stop()
        await self.outbox.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.db.dispose()


def create_app(settings: Settings, channels: dict[str, Channel] | None = None, clock: Clock | None = None) -> App:
    return App(settings, channels, clock or Clock())


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
