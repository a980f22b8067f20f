"""A member's answer to a broadcast: ✅ received or ❓ needs help (their team leaders are told)."""

from bot.core.context import Context
from bot.core.messages import Outbound
from bot.core.router import Router
from bot.db.broadcasts import ANSWERS
from bot.i18n import Translator
from bot.services import broadcast as bc
from bot.services.members import team_of

QUOTE = 120  # characters of the announcement quoted to the leader


async def on_ack(ctx: Context) -> None:
    """`ack:<broadcast id>:ok|help`; a second tap of the same answer records nothing new."""
    _, raw_id, answer = (ctx.payload.split(":", 2) + ["", ""])[:3]
    if ctx.member is None or not raw_id.isdigit() or answer not in ANSWERS:
        await ctx.show_menu()
        return
    try:
        changed = await bc.record_ack(ctx.session, int(raw_id), ctx.member.id, answer, ctx.now)
    except LookupError:
        await ctx.show_menu(ctx.t("That announcement no longer exists."))
        return
    if answer == "ok":
        ctx.reply(ctx.t("Thank you, we have noted that you received the announcement."))
        return
    leaders = await bc.leaders_of(ctx.session, ctx.member)
    if changed:
        await _tell_leaders(ctx, leaders, int(raw_id))
    ctx.reply(ctx.t("Thank you. Your team leader has been told that you need help.") if leaders
              else ctx.t("Thank you. We have noted that you need help."))


async def _tell_leaders(ctx: Context, leaders, broadcast_id: int) -> None:
    """Each leader is told in their own language."""
    broadcast = await bc.get(ctx.session, broadcast_id)
    team, _unit = await team_of(ctx.session, ctx.member)
    for leader in leaders:
        tr = Translator(leader.locale)
        text = broadcast.text_en if leader.locale == "en" and broadcast.text_en else broadcast.text_vi
        quote = text if len(text) <= QUOTE else text[:QUOTE].rstrip() + "…"
        phone = ctx.member.phone or tr.t("(not given)")
        ctx.notify(leader.id, Outbound(tr.t("❓ {name} ({team}, phone {phone}) needs help with the announcement:"
                                            "\n“{quote}”", name=ctx.member.full_name, team=team.name,
                                            phone=phone, quote=quote)))


def register(router: Router) -> None:
    router.payload("ack:")(on_ack)
