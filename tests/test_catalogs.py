"""Every string the bot says is in both catalogs, and the catalogs are not stale."""

import shutil

from bot import i18n
from bot.services import catalogs


def test_catalogs_match_the_code():
    assert catalogs.check() == []


def copy_of_the_code(tmp_path, monkeypatch):
    """The code in a scratch folder the catalog check reads instead of the repository."""
    root = tmp_path / "repo"
    for folder in ("bot", "handlers"):
        shutil.copytree(catalogs.ROOT / folder, root / folder)
    monkeypatch.setattr(catalogs, "ROOT", root)
    return root


def test_a_new_string_in_code_is_reported(tmp_path, monkeypatch):
    root = copy_of_the_code(tmp_path, monkeypatch)
    (root / "handlers" / "extra.py").write_text('def f(ctx):\n    return ctx.t("A brand new sentence.")\n')
    problems = catalogs.check()
    assert any("missing 'A brand new sentence.'" in p and "vi" in p for p in problems)
    assert any("missing 'A brand new sentence.'" in p and "en" in p for p in problems)


def test_a_string_removed_from_code_is_stale(tmp_path, monkeypatch):
    root = copy_of_the_code(tmp_path, monkeypatch)
    (root / "handlers" / "help.py").write_text("def register(router):\n    pass\n")
    assert any("stale" in p and "cdsbot helps community" in p for p in catalogs.check())


def test_formatting_follows_the_locale():
    from datetime import date

    vi, en = i18n.Translator("vi"), i18n.Translator("en")
    assert vi.number(7534) == "7.534" and en.number(7534) == "7,534"
    assert vi.date(date(2026, 10, 10)) == "10/10/2026"
    assert vi.weekday(date(2026, 10, 10)).lower() == "thứ bảy"
    assert en.weekday(date(2026, 10, 10)) == "Saturday"
    assert vi.t("What would you like to do?") == "Bạn muốn làm gì?"
    assert en.t("What would you like to do?") == "What would you like to do?"
