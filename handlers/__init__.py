"""The conversation, written once for every channel: each module registers one flow."""

from bot.core.router import Router
from handlers import (
    ack,
    broadcast,
    guides,
    help,
    language,
    link,
    menu,
    register,
    report,
    report_photos,
    report_plan,
    report_returned,
    report_summary,
    review,
    review_queue,
    team,
    units,
)

FLOWS = (menu, register, link, language, help, team, guides, report, report_photos, report_plan, report_summary,
         report_returned, review, review_queue, units, broadcast, ack)


def build_router() -> Router:
    """A router with every flow's handlers."""
    router = Router()
    for flow in FLOWS:
        flow.register(router)
    return router
