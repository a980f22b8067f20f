"""Web chat processes for the several-process tests: one serves members' sockets, another sends.

`python -m tests.web_process serve DATABASE_URL KEY MEDIA_DIR PORT_FILE` serves the web chat (its page,
socket and media) on a free port of 127.0.0.1, written to PORT_FILE once it listens, until SIGTERM; it
sends nothing itself. `python -m tests.web_process send DATABASE_URL KEY MEDIA_DIR BROADCAST_ID` runs
the outbox with the web channel until the broadcast is finished, holding no member's socket.
"""

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start(mode: str, database_url: str, key: str, media_dir: Path, last: str) -> subprocess.Popen:
    """Start one web chat process (see the module docstring); `last` is PORT_FILE or BROADCAST_ID."""
    return subprocess.Popen([sys.executable, "-m", "tests.web_process", mode, database_url, key, str(media_dir),
                             last], cwd=ROOT)


async def _serve(db, channel, port_file: str) -> None:
    from aiohttp import web

    app = web.Application()
    channel.setup_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    await channel.start(_ignore)
    Path(port_file).write_text(str(site._server.sockets[0].getsockname()[1]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await channel.stop()
    await runner.cleanup()


async def _send(db, channel, broadcast_id: int) -> None:
    from bot.delivery.sender import Outbox
    from bot.services import broadcast as bc

    await channel.start(_ignore)
    outbox = Outbox(db, {"web": channel})
    await outbox.start()
    while True:
        await asyncio.sleep(0.1)
        async with db.session() as session:
            if (await bc.status(session, broadcast_id)).finished:
                break
    await outbox.stop()
    await channel.stop()


async def _run(mode: str, database_url: str, key: str, media_dir: str, last: str) -> None:
    from bot.channels.web import WebChannel
    from bot.db.session import Database

    db = Database(database_url)
    channel = WebChannel(Path(media_dir), secret=key, db=db)
    try:
        await (_serve(db, channel, last) if mode == "serve" else _send(db, channel, int(last)))
    finally:
        await db.dispose()


async def _ignore(_inbound) -> None:
    """Members' messages are not part of these tests."""


if __name__ == "__main__":
    asyncio.run(_run(*sys.argv[1:6]))
