"""The channels cdsbot knows and their facts (rates, windows, buttons, names), read from the channel classes.

Everything outside `bot/channels/` that needs a channel fact (broadcast time
estimates, reachability, the console, the chat) asks here instead of repeating it.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from bot.channels.base import Channel
from bot.i18n import Translator

FALLBACK_RATE = 10.0  # messages per second of a channel code cdsbot does not know


@dataclass(frozen=True)
class Facts:
    """What one channel allows and how members see it."""

    code: str
    name: str  # message id: translate it (see `name`)
    per_second: float
    paid_per_second: float | None
    chat_interval: float
    buttons: bool
    numbers_options: bool
    window: timedelta | None
    text_limit: int | None = None  # characters per message (None: no limit)
    caption_limit: int | None = None  # characters under a photo

    @classmethod
    def of(cls, channel: type[Channel] | Channel) -> "Facts":
        """The facts a channel class (or a running channel, with its configured limits) declares."""
        numbers = channel.numbers_options
        if isinstance(numbers, property):  # read on the class: the base class derives it from the buttons
            numbers = numbers.fget(channel)
        return cls(channel.code, channel.name, channel.limits.per_second, channel.paid_per_second,
                   channel.limits.chat_interval, channel.supports_buttons, bool(numbers), channel.window,
                   channel.text_limit, channel.caption_limit or channel.text_limit)


@cache
def channels() -> dict[str, Facts]:
    """Every channel code → its facts (imported on first use: some channel modules are heavy)."""
    from bot.channels.telegram import TelegramChannel
    from bot.channels.web import WebChannel
    from bot.channels.zalo_bot import ZaloBotChannel
    from bot.channels.zalo_oa import ZaloOAChannel

    return {cls.code: Facts.of(cls) for cls in (TelegramChannel, ZaloOAChannel, ZaloBotChannel, WebChannel)}


def rates(running: dict[str, Channel] | None = None, paid_telegram: bool = False) -> dict[str, float]:
    """Send rates per channel code: running channels' limits, else each channel's declared rate."""
    result = {code: (f.paid_per_second if paid_telegram and f.paid_per_second else f.per_second)
              for code, f in channels().items()}
    result.update({code: channel.limits.per_second for code, channel in (running or {}).items()})
    return result


def name(tr: Translator, code: str) -> str:
    """A channel as people call it ("Web chat", not "web"); an unknown code is shown as it is."""
    facts = channels().get(code)
    return tr.t(facts.name) if facts is not None and facts.name else code


def windows() -> dict[str, timedelta]:
    """Channels that may message a member only for a while after the member last wrote, and how long."""
    return {code: f.window for code, f in channels().items() if f.window is not None}
