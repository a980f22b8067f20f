"""Issue 19, item 1: a webhook that cannot tell forged calls from the platform's stops start-up, naming the variable.

Before: the Zalo OA channel started without the OA secret key and checked the MAC against an empty key, so
anyone could sign events (a conversation started, a reply queued, a user marked as following).
"""

import pytest

from bot.channels.telegram import TelegramChannel
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import ZaloOAChannel
from bot.cli import main
from bot.config import ConfigError, load_settings
from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.fakes.zalo_bot_api import TOKEN as ZALO_BOT_TOKEN
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, OA_SECRET_KEY

HOOK = "https://cds.example.vn/webhooks/"
OA = {"CDSBOT_ZALO_OA_APP_ID": APP_ID, "CDSBOT_ZALO_OA_APP_SECRET": APP_SECRET}
CASES = [
    (OA, "CDSBOT_ZALO_OA_SECRET_KEY"),
    (OA | {"CDSBOT_ZALO_OA_SECRET_KEY": OA_SECRET_KEY, "CDSBOT_ZALO_OA_MAC_ID": "oa_id"}, "CDSBOT_ZALO_OA_OA_ID"),
    ({"CDSBOT_TELEGRAM_TOKEN": DEFAULT_TOKEN, "CDSBOT_TELEGRAM_WEBHOOK_URL": HOOK + "telegram"},
     "CDSBOT_TELEGRAM_WEBHOOK_SECRET"),
    ({"CDSBOT_ZALO_BOT_TOKEN": ZALO_BOT_TOKEN, "CDSBOT_ZALO_BOT_WEBHOOK_URL": HOOK + "zalo_bot"},
     "CDSBOT_ZALO_BOT_WEBHOOK_SECRET"),
]
IDS = ["zalo_oa key", "zalo_oa oa id", "telegram webhook", "zalo_bot webhook"]


@pytest.mark.parametrize(("env", "variable"), CASES, ids=IDS)
def test_cdsbot_refuses_with_one_line_naming_the_variable(monkeypatch, capsys, env, variable):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cdsbot: {variable}: not set") and err.count("\n") == 1, err
    assert not any(value in err for value in (APP_SECRET, OA_SECRET_KEY, DEFAULT_TOKEN, ZALO_BOT_TOKEN))


def test_a_polling_bot_and_an_oa_signed_with_the_app_secret_need_no_webhook_secret(monkeypatch):
    monkeypatch.setenv("CDSBOT_TELEGRAM_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("CDSBOT_ZALO_BOT_TOKEN", ZALO_BOT_TOKEN)
    for name, value in (OA | {"CDSBOT_ZALO_OA_MAC_SECRET": "app_secret"}).items():
        monkeypatch.setenv(name, value)
    assert load_settings().zalo_oa_configured


@pytest.mark.parametrize(("build", "variable"), [
    (lambda db: ZaloOAChannel(db, APP_ID, APP_SECRET, "", ""), "CDSBOT_ZALO_OA_SECRET_KEY"),
    (lambda db: ZaloOAChannel(db, APP_ID, APP_SECRET, "", "  "), "CDSBOT_ZALO_OA_SECRET_KEY"),
    (lambda db: ZaloOAChannel(db, APP_ID, APP_SECRET, "", OA_SECRET_KEY, mac_id="oa_id"), "CDSBOT_ZALO_OA_OA_ID"),
    (lambda db: TelegramChannel(DEFAULT_TOKEN, webhook_url=HOOK + "telegram"), "CDSBOT_TELEGRAM_WEBHOOK_SECRET"),
    (lambda db: ZaloBotChannel(ZALO_BOT_TOKEN, webhook_url=HOOK + "zalo_bot"), "CDSBOT_ZALO_BOT_WEBHOOK_SECRET"),
], ids=["zalo_oa empty key", "zalo_oa blank key", "zalo_oa oa id", "telegram", "zalo_bot"])
def test_a_channel_built_without_its_secret_refuses_to_start(db, build, variable):
    with pytest.raises(ConfigError, match=f"^{variable}: not set"):
        build(db)
