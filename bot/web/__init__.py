"""cdsbot's web pages: the member chat page (served by the `web` channel) and the console (`bot.web.console`)."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
