"""Settings from CDSBOT_* environment variables and an optional .env file.

Everything has an embedded default so `cdsbot demo` runs with nothing set.
A malformed value stops start-up with one line naming the variable.
"""

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_LOCALES = ("vi", "en")
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class ConfigError(Exception):
    """A setting is malformed; the message names the variable."""


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
    web_chat: bool = True
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: SecretStr | None = None
    telegram_paid_broadcast: bool = False
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
        field = str(first["loc"][0]) if first["loc"] else "?"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"CDSBOT_{field.upper()}: {message}") from None
