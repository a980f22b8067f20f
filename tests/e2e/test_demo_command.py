"""`cdsbot demo` on a fresh directory: migrates, imports the roster, serves the chat, stops cleanly on Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_the_web_chat_and_stops_on_sigint(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDSBOT_")}
    env |= {"CDSBOT_WEB_PORT": str(port), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    lines = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Press Ctrl-C" in line or not line:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}/chat" in output, output
        codes = re.findall(r"^\s+([2-9A-HJKMNP-Z]{8})\s+Tổ CNSCĐ", output, re.MULTILINE)
        assert len(codes) >= 3, output
        assert "imported the demo roster (2023 tree): 1169 units, 1169 teams" in output  # 1,141 places, 28 agencies
        assert re.search(r"^\s+[2-9A-HJKMNP-Z]{8}\s+Sở Khoa học và Công nghệ$", output, re.MULTILINE), output
        assert (tmp_path / "var" / "cdsbot.db").exists()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/chat", timeout=10) as page:
            assert page.status == 200 and "cdsbot" in page.read().decode()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in proc.stdout.read()
