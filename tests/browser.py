"""Headless Chromium for UI tests: Debian's chromium driven by Playwright, skipped when either is missing.

Use `requires_chromium` on the test (or module) and `launch_browser()` / `serve()` inside it,
or the `browser` fixture from tests/channels/web/conftest.py.
"""

import importlib.util
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path(os.environ.get("CDSBOT_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "var" / "screenshots"


def _missing() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: install Debian's chromium (or set CDSBOT_TEST_CHROMIUM)"
    return None


requires_chromium = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@asynccontextmanager
async def launch_browser() -> AsyncIterator["Browser"]:
    """A headless Chromium, closed afterwards; never downloads a browser (the machine is offline)."""
    from playwright.async_api import async_playwright  # lazily, so collection works without playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run an aiohttp app on a free 127.0.0.1 port and yield its base URL (no trailing slash).

    Close open WebSockets (e.g. `WebChannel.stop()`) before leaving the block, or shutdown waits for them.
    """
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def screenshot_path(name: str) -> Path:
    """Where a test saves a screenshot for people to look at: var/screenshots/<name> in the repository."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


async def signed_in(browser, base: str, link: str, **options):
    """A new 1366 px browser context and its page, signed in to the console through the one-time `link`."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, **options)
    page = await context.new_page()
    await page.goto(base + link)
    await page.wait_for_url(base + "/admin/")
    return context, page


async def shoot(page, folder: Path, name: str, *, settle_ms: int = 0) -> None:
    """At 360 and 1366 px: the page does not scroll sideways (tables scroll in their box); a full-page screenshot.

    The screenshots are `folder`/<name>-<width>.png; `settle_ms` lets a narrower layout paint first. Ends at 1366 px.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for width in (360, 1366):
        await page.set_viewport_size({"width": width, "height": 900})
        if settle_ms:
            await page.wait_for_timeout(settle_ms)
        scroll = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"{name} at {width} px scrolls sideways by {scroll} px"
        await page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)
