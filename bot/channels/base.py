"""What every messenger adapter provides, and the fixed set of send-failure labels.

Channels translate only: platform updates become `Inbound`, `Outbound`
becomes platform calls, and failures are labelled with `SendError`. The
outbox decides what a label means (wait, retry, give up, mark unreachable).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from aiohttp import web

from bot.core.messages import Inbound, Outbound

InboundSink = Callable[[Inbound], Awaitable[None]]
MAX_PHOTO_BYTES = 20 * 1024 * 1024  # larger photos are refused; downloads stop just past this


class Failure(StrEnum):
    THROTTLED = "throttled"  # wait retry_after, then send again
    GONE = "gone"  # recipient blocked the bot or left: mark unreachable
    RETRYABLE = "retryable"  # network error, 5xx, timeout: back off and retry
    PERMANENT = "permanent"  # this message can never be sent as is
    CONFIG = "config"  # bad token or setup: stop sending on this channel
    OUT_OF_WINDOW = "window"  # the platform may not message this member now: hold until they write


class SendError(Exception):
    """A labelled send failure raised by `Channel.send`."""

    def __init__(self, failure: Failure, detail: str = "", retry_after: float | None = None):
        super().__init__(f"{failure}: {detail}" if detail else str(failure))
        self.failure = failure
        self.detail = detail
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    """Pacing for one channel: messages per second overall, and seconds between two to one chat."""

    per_second: float
    chat_interval: float = 0.0
    group_interval: float = 0.0


class Channel:
    """Base class for adapters; subclasses set `code`, `name`, `limits`, `supports_buttons` (see channels.registry)."""

    code: str = ""
    name: str = ""  # what members call it (a message id: N_("…")), e.g. "Web chat"
    limits: Limits = Limits(per_second=30)
    paid_per_second: float | None = None  # overall rate when the operator pays for more (Telegram)
    text_limit: int | None = None  # characters in one message (longer texts are split); None: no limit
    caption_limit: int | None = None  # characters under a photo (longer: photo, then text); None: text_limit
    window: timedelta | None = None  # the platform may message a member only this long after they last wrote
    one_sender: bool = True  # processes sharing a database elect one sender: the platform's limits are per bot
    supports_buttons: bool = True
    shares_contact: bool = False  # a button can send the member's phone number (Outbound.request_contact)

    @property
    def numbers_options(self) -> bool:
        """Whether members see options as numbered lines they can answer by number: every channel without buttons."""
        return not self.supports_buttons

    def setup_routes(self, app: web.Application) -> None:
        """Add webhook or page routes to cdsbot's aiohttp app (called before the server starts)."""

    async def start(self, sink: InboundSink | None) -> None:
        """Begin receiving (a polling task, or accept webhook calls) and feed every Inbound to `sink`.

        No sink: a sending-only process (`create_app(receive=False)`) opens what sending needs and reads
        nothing: no polling, no webhook set or removed, no stored update taken; members' messages wait
        for the serving process.
        """

    async def stop(self) -> None:
        """Stop receiving and release clients."""

    async def send(self, external_id: str, message: Outbound) -> str | None:
        """Send one message; return the platform message id or raise SendError."""
        raise NotImplementedError

    async def fetch_photo(self, reference: str) -> bytes:
        """Download a photo the member sent (reference from `Inbound.photo`)."""
        raise NotImplementedError

    def chat_interval(self, external_id: str) -> float:
        """Minimum seconds between two messages to this chat."""
        return self.limits.chat_interval
