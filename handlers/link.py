"""`/link`: one member, several messengers — a one-time code joins another chat account, once the member confirms.

The code is shown on a messenger the member already uses and typed on the new one; the new account is
linked only when the member then confirms from an account they already have (the message names the
messenger and the account), so a code seen over a shoulder, or typed by someone else first, binds nothing.
"""

from bot.channels import registry
from bot.core.context import Context
from bot.core.messages import Outbound
from bot.core.router import Router, row_id
from bot.delivery import queue
from bot.delivery.states import REPLY
from bot.services import members
from bot.text import fold
from handlers.register import LINK_CONFIRM as CONFIRM
from handlers.register import LINK_REFUSE as REFUSE
from handlers.register import try_code

ANSWERS = {"yes": CONFIRM, "co": CONFIRM, "ok": CONFIRM, "no": REFUSE, "khong": REFUSE}  # `/link yes` typed


async def on_link(ctx: Context) -> None:
    """A member gets a code for their other messenger; a newcomer with a code tries it."""
    parts = ctx.text.split(maxsplit=1)
    if ctx.member is None:
        if len(parts) == 2:
            await try_code(ctx, parts[1])
        else:
            ctx.reply(ctx.t("To link this messenger to your existing registration, send /link on the messenger "
                            "you already use, then send the code here."))
        return
    if len(parts) == 2 and fold(parts[1]) in ANSWERS:
        ctx.payload = await members.pending_link_answer(ctx.session, ctx.member.id, ANSWERS[fold(parts[1])], ctx.now)
        await on_settle(ctx)
        return
    if len(parts) == 2:
        ctx.reply(ctx.t("This messenger is already registered as {name}.", name=ctx.member.full_name))
        return
    link = await members.new_link_code(ctx.session, ctx.member.id, ctx.now)
    ctx.finish()
    ctx.reply(ctx.t("Your link code is {code}. Within 10 minutes, open cdsbot on your other messenger "
                    "and send: /link {code}", code=link.code),
              [[ctx.button("menu:main", "🏠 Menu")]])


async def on_settle(ctx: Context) -> None:
    """The member's answer from an account they already have; only the code's own member can answer."""
    accept = (ctx.payload or "").startswith(CONFIRM)
    raw_id = (ctx.payload or "").removeprefix(CONFIRM if accept else REFUSE)
    link = None
    if ctx.member is not None and row_id(raw_id):
        link = await members.settle_link(ctx.session, row_id(raw_id), ctx.member.id, accept, ctx.now)
    if link is None:
        await ctx.show_menu(ctx.t("This link request is no longer valid. Send /link to get a new code."))
        return
    if not accept:
        await ctx.show_menu(ctx.t("Nothing was linked. The code can no longer be used."))
        return
    messenger = registry.name(ctx.tr, link.candidate_channel)
    text = ctx.t("This messenger is now linked to {name}.", name=ctx.member.full_name)
    queue.enqueue(ctx.session, link.candidate_channel, link.candidate_id, Outbound(text), member_id=ctx.member.id,
                  priority=REPLY, now=ctx.now)
    ctx.core.outbox.wake(link.candidate_channel)
    await ctx.show_menu(ctx.t("Linked: you can now use cdsbot on {messenger} too.", messenger=messenger))


def register(router: Router) -> None:
    router.command("link", "lienket")(on_link)
    router.payload("menu:link")(on_link)
    router.keyword("lien ket", "link")(on_link)
    router.payload(CONFIRM)(on_settle)
    router.payload(REFUSE)(on_settle)
