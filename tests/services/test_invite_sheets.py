"""QR invite sheets as a commune prints them: the PDF renders (pdftoppm) and every QR code decodes (zxing-cpp)
to exactly its team's link; a messenger that is not configured gets a note instead of a code."""

import asyncio
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.services import invite_sheets, org

pytestmark = [
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm not found: install Debian's poppler-utils"),
    pytest.mark.skipif(importlib.util.find_spec("zxingcpp") is None,
                       reason="zxing-cpp is not installed (pip install -e '.[test]')"),
    pytest.mark.skipif(not (invite_sheets.FONTS / "DejaVuSans.ttf").exists(),
                       reason="DejaVu fonts not found: install Debian's fonts-dejavu-core"),
]
COMMUNE = "21409"  # Xã Đức Nhuận and its five villages: six cards, one page
SHEET_PNG = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "console" / "invite-sheet.png"


def decoded(pdf: Path, tmp_path: Path) -> list[list[str]]:
    """The texts of the QR codes on each page, rendered at 150 dpi as a printer would."""
    import zxingcpp
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    return [[code.text for code in zxingcpp.read_barcodes(Image.open(page), formats=zxingcpp.BarcodeFormat.QRCode)]
            for page in pages]


def page_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


async def commune_teams(db) -> list:
    async with db.session() as session:
        return [team for team, _unit in await org.teams_in(session, await org.unit_by_code(session, COMMUNE))]


async def test_every_qr_code_decodes_to_its_teams_link(demo_roster, tmp_path):
    settings = load_settings(telegram_bot_username="@QuangNgaiCdsBot", zalo_oa_oa_id="1234567890123456789")
    async with demo_roster.session() as session:
        pdf = await invite_sheets.sheet_for(session, await org.unit_by_code(session, COMMUNE), settings)
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    teams = await commune_teams(demo_roster)
    [codes] = decoded(path, tmp_path)  # one page
    assert len(teams) == 6
    assert sorted(c for c in codes if "t.me" in c) == sorted(
        f"https://t.me/QuangNgaiCdsBot?start={team.invite_code}" for team in teams)
    assert [c for c in codes if "t.me" not in c] == ["https://zalo.me/1234567890123456789"] * 6
    text = page_text(path)
    assert "Tổ CNSCĐ Thôn 3" in text and "Thôn 3 · Xã Đức Nhuận · Huyện Mộ Đức" in text
    assert all(team.invite_code in text for team in teams)
    assert "Quét mã QR" in text or "quét mã QR" in text  # the instructions, in Vietnamese
    SHEET_PNG.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(sorted(tmp_path.glob("page-*.png"))[0], SHEET_PNG)  # for people to look at


async def test_the_cli_writes_the_sheet_and_a_missing_channel_is_said_on_the_card(demo_roster, tmp_path,
                                                                                  monkeypatch, capsys):
    monkeypatch.setenv("CDSBOT_DATABASE_URL", demo_roster.url)
    monkeypatch.setenv("CDSBOT_TELEGRAM_BOT_USERNAME", "QuangNgaiCdsBot")
    for name in ("CDSBOT_ZALO_OA_OA_ID", "CDSBOT_ZALO_BOT_LINK"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "duc-nhuan.pdf"
    assert await asyncio.to_thread(main, ["teams", "sheets", COMMUNE, "-o", str(out)]) == 0
    assert "no QR code for Zalo" in capsys.readouterr().out
    [codes] = decoded(out, tmp_path)
    teams = await commune_teams(demo_roster)
    assert sorted(codes) == sorted(f"https://t.me/QuangNgaiCdsBot?start={team.invite_code}" for team in teams)
    assert page_text(out).count("Zalo chưa") == 6  # each card says why it has no Zalo code


async def test_an_unknown_unit_is_one_line(demo_roster, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CDSBOT_DATABASE_URL", demo_roster.url)
    assert await asyncio.to_thread(main, ["teams", "sheets", "999999", "-o", str(tmp_path / "x.pdf")]) != 0
    assert "no unit with code 999999" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_the_links_come_from_the_settings():
    both = load_settings(telegram_bot_username="CdsBot", zalo_bot_link="https://zalo.me/s/botid123/")
    assert invite_sheets.links_for(both, "ABCD2345") == {"Telegram": "https://t.me/CdsBot?start=ABCD2345",
                                                        "Zalo": "https://zalo.me/s/botid123/"}
    assert invite_sheets.links_for(load_settings(telegram_bot_username="", zalo_oa_oa_id=""), "X") == {
        "Telegram": None, "Zalo": None}
