"""create_app(settings): wires database, channels, outbox, core and the web server; starts and stops them."""

import asyncio
import contextlib
import functools
import logging
import os
import signal

from aiohttp import web

from bot.channels.base import Channel, Failure, InboundSink, SendError
from bot.clock import Clock
from bot.config import ROLES, ConfigError, Settings, role_names
from bot.core.dispatcher import Core
from bot.db.migrate import require_current
from bot.db.session import Database
from bot.delivery.sender import Outbox
from bot.log_setup import redact
from bot.scheduler import Scheduler
from bot.services.schedule_rules import Policy
from bot.web.headers import security_headers
from handlers import build_router, guides
from handlers.menu import show_menu

log = logging.getLogger(__name__)

OK, DEGRADED = "ok", "degraded"
EVERY_ROLE = frozenset(ROLES)


def _secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def configured_channels(settings: Settings, db: Database, clock: Clock, receive: bool = True) -> dict[str, Channel]:
    """The channels this configuration turns on (each only when configured).

    Without `receive` there is no web chat: its pages talk only to the process that serves them.
    """
    channels: dict[str, Channel] = {}
    if settings.web_chat and receive:
        from bot.channels.web import WebChannel
        from bot.web.chat_page import chat_locale

        channels["web"] = WebChannel(settings.media_dir, functools.partial(chat_locale, db), settings.locale,
                                     secret=settings.web_chat_key(), public_url=settings.public_url, db=db)
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
            webhook_secret=_secret(settings.zalo_bot_webhook_secret), public_url=settings.public_url, db=db,
        )
    return channels


class ChannelStarts:
    """Starts the channels; one whose platform cannot be reached is retried with back-off in the background.

    cdsbot keeps serving meanwhile (the outbox retries its sends); a refused configuration (a wrong
    token) stops start-up instead, since waiting cannot fix it.
    """

    retry = (2.0, 300.0)  # seconds: first and longest wait between two start attempts

    def __init__(self, channels: dict[str, Channel]):
        self.channels = channels
        self.status = {code: (DEGRADED, "not started") for code in channels}
        self._retries: dict[str, asyncio.Task] = {}

    async def start_all(self, sink: InboundSink | None) -> None:
        """Try each channel once: raise ConfigError on a refused configuration, retry unreachable ones later."""
        for code, channel in self.channels.items():
            problem = await self._attempt(code, channel, sink)
            if isinstance(problem, ConfigError):
                raise problem
            if problem is not None:
                log.warning("%s cannot be reached (%s); cdsbot keeps serving and retries in the background",
                            code, self.status[code][1])
                self._retries[code] = asyncio.create_task(self._keep_trying(code, channel, sink), name=f"{code}-start")

    async def stop(self) -> None:
        """Cancel the retries still running."""
        for task in self._retries.values():
            task.cancel()
        for task in self._retries.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._retries.clear()

    async def _keep_trying(self, code: str, channel: Channel, sink: InboundSink | None) -> None:
        """Back off (doubling up to the longest wait) until the channel starts or its configuration is refused."""
        delay = self.retry[0]
        while True:
            await asyncio.sleep(delay)
            problem = await self._attempt(code, channel, sink)
            if problem is None:
                log.info("%s can be reached again: channel started", code)
                return
            if isinstance(problem, ConfigError):
                log.error("%s stays off: %s", code, problem)
                return
            log.debug("%s still cannot be reached (%s)", code, self.status[code][1])
            delay = min(delay * 2, self.retry[1])

    async def _attempt(self, code: str, channel: Channel, sink: InboundSink | None) -> Exception | None:
        """Start one channel and record its status; returns the problem (a ConfigError when refused)."""
        try:
            await channel.start(sink)
        except ConfigError as exc:
            problem: Exception = exc
        except SendError as exc:
            problem = exc if exc.failure is not Failure.CONFIG else ConfigError(
                f"{code}: the platform refused the configuration: {exc.detail or exc.failure}")
        except Exception as exc:  # whatever the platform's client raises when it cannot connect
            problem = exc
        else:
            self.status[code] = (OK, "")
            return None
        reason = problem.detail if isinstance(problem, SendError) and problem.detail else str(problem)
        self.status[code] = (DEGRADED, redact(reason or type(problem).__name__)[:160])
        return problem


class App:
    """One running cdsbot: build with `create_app`, then `await start()` / `await stop()`.

    `roles` (`cdsbot run --role`) say what this process does: `web` reads members' messages (webhooks, polling,
    the web chat) and serves the console, enqueueing what it sends; `sender` becomes the one sender of the
    channels that have none (PostgreSQL advisory locks); `scheduler` fires the schedules (its lock). A web-only
    process still sends its own web chat sockets. Every role serves `/health`.
    `receive=False` is a sending-only process (`cdsbot broadcast send` with no server running): its outbox
    sends, but it reads no member's message: no web server, no scheduler, channels started without a sink.
    """

    def __init__(self, settings: Settings, channels: dict[str, Channel] | None, clock: Clock, receive: bool = True,
                 roles: frozenset[str] = EVERY_ROLE):
        self.settings = settings
        self.clock = clock
        self.roles = roles if receive else frozenset({"sender"})
        self.receive = "web" in self.roles
        self.serves = receive  # an HTTP server (/health at least); not the CLI's sending-only app
        self.db = Database(settings.database_url)
        self.channels = configured_channels(settings, self.db, clock, self.receive) if channels is None else channels
        self.starts = ChannelStarts(self.channels)
        policy = Policy.from_settings(settings)
        self.outbox = Outbox(self.db, self.channels, clock, bulk_from=policy.fire_time, elect="sender" in self.roles)
        self.core = Core(self.db, build_router(), self.outbox, self.channels, clock, settings.locale, show_menu,
                         media_dir=settings.media_dir, report_window_days=settings.report_window_days)
        self.scheduler = Scheduler(self.db, clock, policy, outbox=self.outbox)
        self.web = web.Application(client_max_size=21 * 1024 * 1024)
        self.web.on_response_prepare.append(security_headers)
        self.web.router.add_get("/health", self._health)
        if self.receive and settings.console and settings.console_secret is not None:  # `run` insists on a key
            from bot.web.console import create_console, mount

            mount(self.web, create_console(self.db, settings, clock, self.outbox, self.channel_status))
        for channel in self.channels.values() if self.receive else ():
            channel.setup_routes(self.web)
        self._runner: web.AppRunner | None = None
        self._started = False  # past the schema check and listening: there is something to stop

    @property
    def url(self) -> str:
        return f"http://{self.settings.web_host}:{self.port}"

    @property
    def port(self) -> int:
        site = next(iter(self._runner.sites)) if self._runner else None
        return site._server.sockets[0].getsockname()[1] if site else self.settings.web_port

    def channel_status(self) -> dict[str, dict[str, str]]:
        """Each channel as `{"status": "ok" | "degraded", "reason": …}` (no secrets), for /health and the console."""
        return {code: {"status": state, "reason": reason} for code, (state, reason) in self.starts.status.items()}

    def health(self) -> dict:
        """What `/health` answers: this process's roles, each channel's status, and the locks it holds.

        `sending`: the channels this process sends now; `locks.sender`: for each channel that has one sender at a
        time (several processes on PostgreSQL), whether it is this process; `locks.scheduler`: whether this
        process fires the schedules.
        """
        return {"ok": True, "roles": [role for role in ROLES if role in self.roles], "channels": self.channel_status(),
                "sending": self.outbox.sending,
                "locks": {"sender": self.outbox.sender_locks(), "scheduler": self.scheduler.active}}

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response(self.health())

    async def start(self) -> None:
        """Check the schema (migrating is `cdsbot db upgrade`'s job), then serve what this process's roles say."""
        await require_current(self.db.engine)
        if self.serves:
            await self._listen()
        self._started = True
        await self.outbox.start()
        if self.receive:
            await asyncio.to_thread(guides.warm)  # off the event loop: reading the guides takes a while
        if "scheduler" in self.roles:
            await self.scheduler.start()
        await self.starts.start_all(self.core.handle if self.receive else None)
        doing = f"serving on {self.url}" if self.serves else "sending only (reading no updates)"
        log.info("cdsbot is %s (role %s) with channels: %s", doing, role_names(self.roles),
                 ", ".join(self.channels) or "none")

    async def _listen(self) -> None:
        """Serve HTTP on the configured address; a port already taken is the operator's to fix, said in one line."""
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        host, port = self.settings.web_host, self.settings.web_port
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as exc:
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise ConfigError(f"cannot listen on {host}:{port} ({reason}): give each cdsbot process "
                              "its own port (cdsbot run --port N, or CDSBOT_WEB_PORT)") from None

    async def stop(self) -> None:
        """Stop taking messages, finish sends in flight (unsent rows stay queued), close everything."""
        if not self._started:  # refused at start: nothing runs yet but perhaps the web server's runner
            if self._runner is not None:
                await self._runner.cleanup()
            await self.db.dispose()
            return
        log.info("stopping: finishing messages in flight")
        await self.starts.stop()
        for channel in self.channels.values():
            await channel.stop()
        await self.scheduler.stop()
        await self.outbox.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.db.dispose()


def create_app(settings: Settings, channels: dict[str, Channel] | None = None, clock: Clock | None = None,
               *, receive: bool = True, roles: frozenset[str] = EVERY_ROLE) -> App:
    """Build (not start) a cdsbot; `roles` from `run --role`; `receive=False` for a process that only sends."""
    return App(settings, channels, clock or Clock(), receive, roles)


async def serve(app: App, started=None) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly (also when start-up fails, e.g. a refused token)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await app.start()
        if started is not None:
            await started(app)
        await stop.wait()
    finally:
        await app.stop()
