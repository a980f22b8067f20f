"""`cdsbot demo` prints a one-click sign-in link: a newcomer clicks it and sees the province at a glance."""

import os
import re
import signal
import subprocess
import sys
import time

from playwright.async_api import expect

from tests.browser import launch_browser, requires_chromium, screenshot_path
from tests.e2e.test_demo_command import ROOT, free_port

pytestmark = requires_chromium


def _start_demo(tmp_path, port: int) -> tuple[subprocess.Popen, str]:
    """Run `cdsbot demo` with no configuration at all; return the process and what it printed up to Ctrl-C."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}
    env |= {"CDSBOT_WEB_PORT": str(port), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    lines, deadline = [], time.monotonic() + 90
    while time.monotonic() < deadline:
        lines.append(proc.stdout.readline())
        if "Press Ctrl-C" in lines[-1] or not lines[-1]:
            break
    return proc, "".join(lines)


async def test_the_printed_link_opens_the_console_in_vietnamese(tmp_path):
    port = free_port()
    proc, output = _start_demo(tmp_path, port)
    try:
        link = re.search(rf"Sign in to the console.*(http://127\.0\.0\.1:{port}/admin/signin/t/\S+)", output)
        assert link and f"http://127.0.0.1:{port}/chat" in output, output
        async with launch_browser() as browser:
            page = await browser.new_page(viewport={"width": 1366, "height": 800})
            await page.goto(link.group(1))
            await page.wait_for_url(f"http://127.0.0.1:{port}/admin/")
            await expect(page.locator("html")).to_have_attribute("lang", "vi")
            await expect(page.locator("h1")).to_have_text("Tỉnh Quảng Ngãi")
            await expect(page.locator("nav")).to_contain_text("Tổng quan")
            path = screenshot_path("console/demo-home-1366.png")
            path.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(path), full_page=True)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in proc.stdout.read()
