"""Settings from CDSBOT_* environment variables and an optional .env file.

Everything has an embedded default so `cdsbot demo` runs with nothing set.
A malformed value stops start-up with one line naming the variable.
"""

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_LOCALES = ("vi", "en")
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
MIN_SECRET = 32
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token
PLACEHOLDERS = ("change", "secret", "example", "placeholder", "replace", "password")  # words a real key never has
ROLES = ("web", "sender", "scheduler")  # what one `cdsbot run` process does (`--role`); all three by default


class ConfigError(Exception):
    """A setting is malformed; the message names the variable."""


def unverifiable(variable: str, calls: str) -> str:
    """The one line that refuses a webhook with nothing to check its calls by (the variable, never a value)."""
    return f"{variable}: not set, so {calls} could not be told from forged ones; set it, or turn that webhook off"


def parse_roles(text: str) -> frozenset[str]:
    """`--role`: `all`, or one or more of web, sender, scheduler joined by commas (`sender,scheduler`)."""
    names = {part.strip() for part in text.lower().split(",") if part.strip()}
    if names == {"all"}:
        return frozenset(ROLES)
    if not names or not names <= set(ROLES):
        raise ValueError(f"{text!r}: say all, or one or more of {', '.join(ROLES)} joined by commas")
    return frozenset(names)


def role_names(roles: frozenset[str]) -> str:
    """Roles as `--role` spells them: `all`, or the roles joined by commas."""
    return "all" if roles == frozenset(ROLES) else ",".join(role for role in ROLES if role in roles)


class Settings(BaseSettings):
    """All of cdsbot's configuration; see the README's table."""

    model_config = SettingsConfigDict(env_prefix="CDSBOT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/cdsbot.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    locale: str = "vi"
    media_dir: Path = Path("var/media")
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    public_url: str = ""
    web_chat: bool = True  # `cdsbot run` turns it off unless CDSBOT_WEB_CHAT is set (see `production_web_chat`)
    web_chat_secret: SecretStr | None = None  # signs the web chat's cookies; CDSBOT_CONSOLE_SECRET when unset
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: SecretStr | None = None
    telegram_paid_broadcast: bool = False
    telegram_bot_username: str = ""  # for the invite sheets' deep links (https://t.me/<username>?start=CODE)
    report_window_days: int = 31
    # Schedules: a send due while cdsbot was down goes out on start within the grace period, else it is
    # recorded as missed; bulk sends due in the quiet hours (local time) wait for their end.
    schedule_grace_hours: int = 6
    quiet_start: str = "21:00"
    quiet_end: str = "07:00"
    # Zalo Official Account (starts when the app id and app secret are set); see docs/zalo-api.md.
    zalo_oa_app_id: str = ""
    zalo_oa_app_secret: SecretStr | None = None
    zalo_oa_oa_id: str = ""
    zalo_oa_secret_key: SecretStr | None = None  # the OA secret key, for the webhook MAC
    zalo_oa_mac_id: Literal["app_id", "oa_id"] = "app_id"  # which id and secret go into the MAC: sources
    zalo_oa_mac_secret: Literal["oa_secret_key", "app_secret"] = "oa_secret_key"  # disagree, so both are
    zalo_oa_mac_timestamp: Literal["body", "header"] = "body"  # configurable until checked on a live OA
    zalo_oa_access_token: SecretStr | None = None  # seeds the token table once; later ones live in the db
    zalo_oa_refresh_token: SecretStr | None = None
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_url: str = "https://oauth.zaloapp.com"
    # Zalo Bot Platform (starts when the token is set); long polling unless a webhook URL is set.
    zalo_bot_token: SecretStr | None = None
    zalo_bot_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_bot_webhook_url: str = ""
    zalo_bot_webhook_secret: SecretStr | None = None
    zalo_bot_link: str = ""  # the bot's link as Zalo shows it to share (its form is not documented), for the QR
    # The web console at /admin: its cookies are encrypted with a key derived from this secret.
    console: bool = True
    console_secret: SecretStr | None = None
    console_idle_minutes: int = 60
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("not a database URL (expected e.g. sqlite+aiosqlite:///var/cdsbot.db)") from exc
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(f"driver {url.drivername!r} is not one of {', '.join(SUPPORTED_DRIVERS)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_bot_username")
    @classmethod
    def _bot_username(cls, value: str) -> str:
        name = value.strip().removeprefix("@")
        if name and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", name):
            raise ValueError(f"not a Telegram bot username: {value!r}")
        return name

    @field_validator("zalo_bot_link")
    @classmethod
    def _zalo_bot_link(cls, value: str) -> str:
        if value.strip() and not value.strip().startswith("https://"):
            raise ValueError("the Zalo bot link must start with https://")
        return value.strip()

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        from bot.services.schedule_rules import parse_time

        parse_time(value)  # raises a ValueError naming the value
        return value.strip()

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError) as exc:
            raise ValueError(f"unknown locale {value!r}") from exc
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"locale {value!r} is not one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("zalo_bot_webhook_secret")
    @classmethod
    def _zalo_bot_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("must be 8 to 256 characters (Zalo's limit)")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TELEGRAM_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @model_validator(mode="after")
    def _webhooks_verifiable(self) -> "Settings":
        """A webhook that could not tell forged calls from the platform's stops start-up, naming what is missing."""
        if (missing := self._unverifiable_webhook()) is not None:
            raise ValueError(unverifiable(*missing))
        return self

    def _unverifiable_webhook(self) -> tuple[str, str] | None:
        """(missing variable, whose calls) for the first webhook with nothing to check its calls by, else None."""
        oa_by_key = self.zalo_oa_configured and self.zalo_oa_mac_secret == "oa_secret_key"
        checks = [
            (self.telegram_token is not None and bool(self.telegram_webhook_url), self.telegram_webhook_secret,
             "CDSBOT_TELEGRAM_WEBHOOK_SECRET", "Telegram's webhook calls"),
            (oa_by_key, self.zalo_oa_secret_key, "CDSBOT_ZALO_OA_SECRET_KEY", "Zalo OA's webhook events"),
            (self.zalo_oa_configured and self.zalo_oa_mac_id == "oa_id", self.zalo_oa_oa_id,
             "CDSBOT_ZALO_OA_OA_ID", "Zalo OA's webhook events"),
            (self.zalo_bot_token is not None and bool(self.zalo_bot_webhook_url), self.zalo_bot_webhook_secret,
             "CDSBOT_ZALO_BOT_WEBHOOK_SECRET", "the Zalo Bot Platform's webhook calls"),
        ]
        for needed, value, variable, why in checks:
            secret = value.get_secret_value() if isinstance(value, SecretStr) else value
            if needed and not (secret or "").strip():
                return variable, why
        return None

    @field_validator("console_idle_minutes")
    @classmethod
    def _idle_minutes(cls, value: int) -> int:
        if not 5 <= value <= 24 * 60:
            raise ValueError("must be 5 to 1440 minutes")
        return value

    def console_secret_problem(self) -> str | None:
        """Why the console may not start with this configuration (a missing or weak key), else None."""
        if not self.console:
            return None
        secret = self.console_secret.get_secret_value() if self.console_secret is not None else ""
        if not secret:
            return "CDSBOT_CONSOLE_SECRET is not set: set it to a random value of 32 characters or more " \
                   "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), or CDSBOT_CONSOLE=false"
        if len(secret) < MIN_SECRET or len(set(secret)) < 8 or any(word in secret.lower() for word in PLACEHOLDERS):
            return "CDSBOT_CONSOLE_SECRET looks like a placeholder or is too short: set a random value " \
                   "of 32 characters or more"
        return None

    def roles_problem(self, roles: frozenset[str]) -> str | None:
        """Why this database cannot be shared by processes of these roles (SQLite serves one process), else None."""
        if roles == frozenset(ROLES) or not self.database_url.startswith("sqlite"):
            return None
        return (f"--role {role_names(roles)}: SQLite serves one cdsbot process, which does "
                "everything; run without --role, or put several processes on PostgreSQL "
                "(CDSBOT_DATABASE_URL=postgresql+asyncpg://…)")

    def web_chat_key(self) -> str | None:
        """The key the web chat signs its cookies with: its own secret, else the console's; None when neither."""
        secret = self.web_chat_secret or self.console_secret
        return secret.get_secret_value() if secret is not None and secret.get_secret_value() else None

    def production_web_chat(self) -> "Settings":
        """`cdsbot run`: the web chat only when CDSBOT_WEB_CHAT asks for it, and then only with a real key."""
        if "web_chat" not in self.model_fields_set:
            return self.model_copy(update={"web_chat": False})
        key = self.web_chat_key() or ""
        if self.web_chat and (len(key) < MIN_SECRET or any(word in key.lower() for word in PLACEHOLDERS)):
            raise ConfigError("CDSBOT_WEB_CHAT_SECRET (or CDSBOT_CONSOLE_SECRET) must be a random value of 32 "
                              "characters or more to sign the web chat's cookies, or set CDSBOT_WEB_CHAT=false")
        return self

    @property
    def zalo_oa_configured(self) -> bool:
        """The OA channel needs the app id and secret and a token to start from (or tokens in the db)."""
        return bool(self.zalo_oa_app_id and self.zalo_oa_app_secret)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(**overrides) -> Settings:
    """Read settings, turning a validation error into one readable ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a check across settings: its message starts with the variable
            raise ConfigError(message) from None
        raise ConfigError(f"CDSBOT_{str(first['loc'][0]).upper()}: {message}") from None
