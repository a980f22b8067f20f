"""A sending cdsbot process for the crash and several-process tests: the outbox with a TelegramChannel.

`python -m tests.sender_process API_URL DATABASE_URL RATE LEAD_FILE BROADCAST_ID` (see `start`) sends
until the broadcast is finished, then stops cleanly. When it becomes Telegram's sender it creates
LEAD_FILE (if not empty), so a test knows which process to kill. Its last line on stdout is
`peak RSS MB: N` (VmHWM: a parent's memory does not count, as it would in wait4's ru_maxrss);
the benchmarks read it.
"""

import asyncio
import subprocess
import sys
from pathlib import Path

from tests.fakes.telegram_api import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parents[1]
RSS_LINE = "peak RSS MB: "


def start(api_url: str, database_url: str, rate: int, lead_file: Path | None = None,
          broadcast_id: int = 1, **popen) -> subprocess.Popen:
    """Start one sending process (see the module docstring); `popen` goes to Popen (e.g. stdout=PIPE)."""
    return subprocess.Popen([sys.executable, "-m", "tests.sender_process", api_url, database_url, str(rate),
                             str(lead_file or ""), str(broadcast_id)], cwd=ROOT, **popen)


def peak_rss_mb(output: str) -> float:
    """The peak RSS a sending process reported on its last line."""
    return float(output.strip().splitlines()[-1].removeprefix(RSS_LINE))


async def wait(process: subprocess.Popen, timeout: float) -> int:
    """The process's exit code; fails the test when it does not finish in time."""
    deadline = asyncio.get_running_loop().time() + timeout
    while process.poll() is None:
        assert asyncio.get_running_loop().time() < deadline, "the sender did not finish"
        await asyncio.sleep(0.05)
    return process.returncode


async def _run(api_url: str, database_url: str, rate: int, lead_file: str, broadcast_id: int) -> None:
    from bot.channels.base import Limits
    from bot.channels.telegram import TelegramChannel
    from bot.db.session import Database
    from bot.delivery.sender import Outbox
    from bot.services import broadcast as bc

    db = Database(database_url)
    channel = TelegramChannel(DEFAULT_TOKEN, api_url=api_url)
    channel.limits = Limits(per_second=rate, chat_interval=1.0)
    await channel.start(_ignore)
    outbox = Outbox(db, {"telegram": channel})
    await outbox.start()
    while True:
        await asyncio.sleep(0.1)
        if lead_file and outbox.sending:
            Path(lead_file).touch()
        async with db.session() as session:
            if (await bc.status(session, broadcast_id)).finished:
                break
    await outbox.stop()
    await channel.stop()
    await db.dispose()
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    print(f"{RSS_LINE}{int(hwm.split()[1]) / 1024:.1f}", flush=True)


async def _ignore(_inbound) -> None:
    """Members' messages are not part of these tests."""


if __name__ == "__main__":
    asyncio.run(_run(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])))
