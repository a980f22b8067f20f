"""The conversation, written once for every channel: each module registers one flow."""

from bot.core.router import Router
from handlers import guides, help, language, link, menu, register, team

FLOWS = (menu, register, link, language, help, team, guides)


def build_router() -> Router:
    """A router with every flow's handlers."""
    router = Router()
    for flow in FLOWS:
        flow.register(router)
    return router
