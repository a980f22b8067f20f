"""A member's answer to a broadcast: ✅ received or ❓ needs help (the nearest person above is told)."""

from sqlalchemy import select

from bot.core.context import Context
from bot.core.messages import Outbound
from bot.core.router import Router, row_id
from bot.db.broadcasts import ANSWERS, Broadcast
from bot.db.models import Delivery
from bot.delivery.states import State
from bot.i18n import Translator
from bot.services import broadcast as bc
from bot.services import help_escalation
from bot.services.access import Role
from bot.services.members import team_of

QUOTE = 120  # characters of the announcement quoted to the leader


async def on_ack(ctx: Context) -> None:
    """`ack:<broadcast id>:ok|help`; a second tap of the same answer records nothing new."""
    _, raw_id, answer = (ctx.payload.split(":", 2) + ["", ""])[:3]
    broadcast_id = row_id(raw_id)
    if ctx.member is None or broadcast_id is None or answer not in ANSWERS:
        await ctx.show_menu()
        return
    if not await _was_asked(ctx, broadcast_id):  # a forged id: answered like one that is gone, nothing recorded
        await ctx.show_menu(ctx.t("That announcement no longer exists."))
        return
    changed = await bc.record_ack(ctx.session, broadcast_id, ctx.member.id, answer, ctx.now)
    if answer == "ok":
        ctx.reply(ctx.t("Thank you, we have noted that you received the announcement."))
        return
    helpers = await help_escalation.helpers_for(ctx.session, ctx.member)
    if changed:
        await _tell_helpers(ctx, helpers, broadcast_id)
    ctx.reply(_who_was_told(ctx, helpers))


async def _was_asked(ctx: Context, broadcast_id: int) -> bool:
    """Whether this broadcast asked for answers and was sent to this member (a delivery row that was not cancelled).

    Buttons are honoured only for what was shown: without this, any broadcast id could be "answered" and
    its text quoted to the member's leader."""
    query = (select(Delivery.id).join(Broadcast, Broadcast.id == Delivery.broadcast_id)
             .where(Delivery.broadcast_id == broadcast_id, Delivery.member_id == ctx.member.id,
                    Delivery.status != State.CANCELLED, Broadcast.ack).limit(1))
    return (await ctx.session.execute(query)).first() is not None


def _who_was_told(ctx: Context, helpers: help_escalation.Helpers) -> str:
    """The member learns who was told (by name and why them), or that nobody could be."""
    names, n = ", ".join(m.full_name for m in helpers.members), len(helpers.members)
    if helpers.role == Role.LEADER:
        return ctx.tn("Thank you. Your team leader has been told that you need help: {names}.",
                      "Thank you. Your team leaders have been told that you need help: {names}.", n, names=names)
    if helpers.role == Role.OFFICER:
        return ctx.tn("Thank you. Your team has no leader to tell, so the officer of {unit} has been told that you "
                      "need help: {names}.",
                      "Thank you. Your team has no leader to tell, so the officers of {unit} have been told that you "
                      "need help: {names}.", n, unit=helpers.unit.name, names=names)
    if helpers.role == Role.ADMIN:
        return ctx.tn("Thank you. Your team has no leader and there is no officer above it, so the administrator "
                      "has been told that you need help: {names}.",
                      "Thank you. Your team has no leader and there is no officer above it, so the administrators "
                      "have been told that you need help: {names}.", n, names=names)
    return ctx.t("Thank you. We have noted that you need help.")


async def _tell_helpers(ctx: Context, helpers: help_escalation.Helpers, broadcast_id: int) -> None:
    """Each helper is told in their own language; officers and admins also learn why it came to them."""
    broadcast = await bc.get(ctx.session, broadcast_id)
    team, _unit = await team_of(ctx.session, ctx.member)
    for helper in helpers.members:
        tr = Translator(helper.locale)
        text = broadcast.text_en if helper.locale == "en" and broadcast.text_en else broadcast.text_vi
        quote = text if len(text) <= QUOTE else text[:QUOTE].rstrip() + "…"
        phone = ctx.member.phone or tr.t("(not given)")
        message = tr.t("❓ {name} ({team}, phone {phone}) needs help with the announcement:\n“{quote}”",
                       name=ctx.member.full_name, team=team.name, phone=phone, quote=quote)
        if helpers.role != Role.LEADER:
            message += "\n" + tr.t("You are told because their team has no leader who can be reached.")
        ctx.notify(helper.id, Outbound(message))


def register(router: Router) -> None:
    router.payload("ack:")(on_ack)
