"""`/link`: one member, several messengers — a one-time code joins another chat account."""

from bot.core.context import Context
from bot.core.router import Router
from bot.services import members
from handlers.register import try_code


async def on_link(ctx: Context) -> None:
    parts = ctx.text.split(maxsplit=1)
    if ctx.member is None:
        if len(parts) == 2:
            await try_code(ctx, parts[1])
        else:
            ctx.reply(ctx.t("To link this messenger to your existing registration, send /link on the messenger "
                            "you already use, then send the code here."))
        return
    if len(parts) == 2:
        ctx.reply(ctx.t("This messenger is already registered as {name}.", name=ctx.member.full_name))
        return
    link = await members.new_link_code(ctx.session, ctx.member.id, ctx.now)
    ctx.finish()
    ctx.reply(ctx.t("Your link code is {code}. Within 10 minutes, open cdsbot on your other messenger "
                    "and send: /link {code}", code=link.code),
              [[ctx.button("menu:main", "🏠 Menu")]])


def register(router: Router) -> None:
    router.command("link", "lienket")(on_link)
    router.payload("menu:link")(on_link)
    router.keyword("lien ket", "link")(on_link)
