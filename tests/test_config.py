"""Settings: embedded defaults, a .env file in the working directory, one readable error per bad value."""

import pytest

from bot.config import ConfigError, load_settings

# conftest's autouse fixture runs every test in an empty tmp directory with no CDSBOT_* variables.


def test_defaults_with_nothing_set():
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///var/cdsbot.db"
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.tz.key == "Asia/Ho_Chi_Minh"
    assert settings.locale == "vi"
    assert settings.telegram_token is None


def test_dotenv_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text(
        "CDSBOT_TIMEZONE=Asia/Bangkok\nCDSBOT_LOCALE=en\nCDSBOT_DATABASE_URL=sqlite+aiosqlite:///other.db\n"
        "CDSBOT_TELEGRAM_TOKEN=123:abc\nUNRELATED=1\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert (settings.timezone, settings.locale, settings.database_url) == (
        "Asia/Bangkok",
        "en",
        "sqlite+aiosqlite:///other.db",
    )
    assert settings.telegram_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)


def test_environment_wins_over_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("CDSBOT_LOCALE=en\n", encoding="utf-8")
    monkeypatch.setenv("CDSBOT_LOCALE", "vi")
    assert load_settings().locale == "vi"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CDSBOT_TIMEZONE", "Mars/Olympus"),
        ("CDSBOT_DATABASE_URL", "mysql+pymysql://u@h/db"),
        ("CDSBOT_DATABASE_URL", "not a url"),
        ("CDSBOT_LOCALE", "fr"),
        ("CDSBOT_LOCALE", "xx-nonsense"),
        ("CDSBOT_WEB_PORT", "eighty"),
    ],
)
def test_a_bad_value_names_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert "\n" not in message


def test_a_bad_value_in_dotenv_names_its_variable(tmp_path):
    (tmp_path / ".env").write_text("CDSBOT_TIMEZONE=Nowhere/Land\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^CDSBOT_TIMEZONE: unknown time zone 'Nowhere/Land'$"):
        load_settings()
