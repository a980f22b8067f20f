"""Routes an inbound message to a handler: cancel, payloads, commands, conversation state, keywords.

Handlers register with decorators; the order of checks is fixed and
documented in `Router.resolve`, so flows never fight over a message.
"""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.text import fold

if TYPE_CHECKING:
    from bot.core.context import Context

Handler = Callable[["Context"], Awaitable[None]]
MAX_ROW_ID = 2**63 - 1  # the largest id a database integer column holds
CANCEL_WORDS = {"huy", "huy bo", "cancel", "thoat", "/cancel", "/huy"}


def row_id(text: str) -> int | None:
    """A row id carried in a payload (`report:fix:<id>`), or None unless plain ASCII digits a database can hold.

    Payloads can be forged: "²" passes `str.isdigit` but not `int`, and 40 digits overflow the query."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_ROW_ID:
        return None
    return int(text)


class Router:
    """A table of handlers; `resolve` picks one for a context."""

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {}
        self.payloads: dict[str, Handler] = {}
        self.states: dict[str, Handler] = {}
        self.numeric_states: set[str] = set()
        self.keywords: dict[str, Handler] = {}
        self.anywhere: dict[str, Handler] = {}
        self.cancel_handler: Handler | None = None
        self.fallback_handler: Handler | None = None

    def command(self, *names: str):
        """`/name` commands (case-insensitive, `@botname` suffix ignored)."""
        return self._register(self.commands, [n.lower() for n in names])

    def payload(self, *prefixes: str):
        """Button payloads: an exact id (`menu:help`) or a prefix ending in ':' (`lang:`)."""
        return self._register(self.payloads, prefixes)

    def state(self, name: str, numeric: bool = False):
        """Free input while the conversation is in `name`; numeric states take digits as answers."""
        if numeric:
            self.numeric_states.add(name)
        return self._register(self.states, [name])

    def keyword(self, *words: str, anywhere: bool = False):
        """Typed words (matched without diacritics), e.g. "huong dan" for the guides menu.

        `anywhere` words (like "menu") work even in the middle of a flow.
        """
        return self._register(self.anywhere if anywhere else self.keywords, [fold(w) for w in words])

    def cancel(self, handler: Handler) -> Handler:
        self.cancel_handler = handler
        return handler

    def fallback(self, handler: Handler) -> Handler:
        self.fallback_handler = handler
        return handler

    @staticmethod
    def _register(table: dict, keys):
        def decorator(handler: Handler) -> Handler:
            for key in keys:
                table[key] = handler
            return handler

        return decorator

    def resolve(self, ctx: "Context") -> Handler:
        """Cancel and anywhere words, then button payloads, commands, the conversation's state, keywords, fallback."""
        text = (ctx.inbound.text or "").strip()
        folded = fold(text)
        if folded in CANCEL_WORDS and self.cancel_handler:
            return self.cancel_handler
        if folded in self.anywhere:
            return self.anywhere[folded]
        if ctx.payload:
            handler = self._by_payload(ctx.payload)
            if handler:
                return handler
        if text.startswith("/"):
            name = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(text) > 1 else ""
            if name in self.commands:
                return self.commands[name]
        if ctx.state in self.states:
            return self.states[ctx.state]
        if folded in self.keywords:
            return self.keywords[folded]
        return self.fallback_handler

    def _by_payload(self, payload: str) -> Handler | None:
        """The exact payload's handler, else the longest registered prefix ("guides:cat:" before "guides:")."""
        if payload in self.payloads:
            return self.payloads[payload]
        parts = payload.split(":")
        for end in range(len(parts) - 1, 0, -1):
            handler = self.payloads.get(":".join(parts[:end]) + ":")
            if handler is not None:
                return handler
        return None
