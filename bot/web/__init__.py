"""cdsbot's web pages: the member chat page (static files served by the `web` channel)."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
