"""Logging for the `cdsbot` command: one format, quiet third-party loggers, and no secret in any line.

At DEBUG the database drivers would log SQL parameters and fetched rows (members' phone numbers
and conversation data) and the HTTP clients the request URLs (the Telegram token is part of them).
Those loggers are held at WARNING, and every record is redacted when it is made, whoever logs it
and whichever handler writes it: Telegram-shaped tokens, /bot<token>/ in URLs, token=… fields,
the configured secrets, and Vietnamese phone numbers.
"""

import logging
import re
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
# Loggers that print SQL parameters and rows, request URLs or API parameters; WARNING and up only.
QUIET = ("sqlalchemy", "aiosqlite", "asyncpg", "alembic", "apscheduler", "httpx", "httpcore", "telegram",
         "hpack", "urllib3")
_PATTERNS = (
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}"), MASK),  # a Telegram bot token
    (re.compile(r"(/bot)[^/\s?#]+(?=/)"), rf"\1{MASK}"),  # /bot<token>/method (Telegram, Zalo Bot Platform)
    (re.compile(r"""((?:access|refresh|secret)_token|secret_key|app_secret|token)(["']?\s*[:=]\s*["']?)[^"'&\s,;}]+""",
                re.IGNORECASE), rf"\1\2{MASK}"),  # key=value, "key": "value"
    # A Vietnamese phone number: 0xxxxxxxxx, 84xxxxxxxxx or +84…, digits optionally grouped by one space, dot or dash.
    (re.compile(r"(?<!\d)(?:\+84|84|0)(?:[ .-]?\d){9,10}(?!\d)"), MASK),
)
_secrets: set[str] = set()


def redact(text: str) -> str:
    """`text` with tokens, configured secrets and phone numbers replaced by ***."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redacting_factory(make_record):
    """Wrap the record factory: the message, its arguments and any traceback are redacted once, at creation."""

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep both, as logging would print them
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    factory.redacting = True
    return factory


def configure_logging(level: str | int, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level` with every record redacted; `secrets` are exact values to mask as well."""
    _secrets.update(value for value in secrets if value and len(value) >= 6)
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(handler, "cdsbot", False) for handler in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.cdsbot = True
        root.addHandler(handler)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    if not getattr(logging.getLogRecordFactory(), "redacting", False):
        logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))


def secrets_of(settings) -> list[str]:
    """The values of every secret setting (tokens, app secrets, webhook secrets) of a `Settings`."""
    return [value.get_secret_value() for value in settings.__dict__.values() if hasattr(value, "get_secret_value")]
