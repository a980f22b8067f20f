"""Serving a fake platform API on this machine's loopback, on a free port."""

import socket

from aiohttp import web


async def serve_locally(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    """Start `app` on 127.0.0.1 (any free port by default); returns the runner (`cleanup()` stops it) and the URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    await web.SockSite(runner, sock, backlog=1024).start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}"
