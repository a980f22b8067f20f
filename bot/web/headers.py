"""Security headers on every page cdsbot serves (chat, console, webhooks, health): no framing, no sniffing,
no referrer (sign-in links must not leak), and scripts only from cdsbot's own files (no inline script)."""

from aiohttp import web

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'; object-src 'none'",
}


async def security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """Add the headers unless a handler chose its own (for example a download)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
