"""The main menu, cancel and the answer to anything not understood."""

from bot.core.context import Context
from bot.core.router import Router
from bot.i18n import N_
from bot.services import access
from bot.services.access import Action
from bot.text import fold
from handlers.report_photos import on_loose_photo
from handlers.report_returned import menu_rows as returned_rows
from handlers.review_queue import menu_rows as review_rows

GREETINGS = ("chao", "xin chao", "chao ban", "alo", "hello", "hi", "vang", "da", "ok")
THANKS = ("cam on", "cam on ban", "thanks", "thank you")

# (payload, label, the access action it needs — None for everyone): only features that exist.
ENTRIES = [
    ("menu:report", N_("📝 Send a report"), None),
    ("menu:report_for", N_("🧑‍🤝‍🧑 Report for a team member"), Action.FILE_PROXY),
    ("menu:units", N_("📊 My units"), Action.VIEW),
    ("menu:broadcast", N_("📢 Send an announcement"), Action.BROADCAST),
    ("menu:guides", N_("📚 Guides"), None),
    ("menu:team", N_("👥 My team"), None),
    ("menu:link", N_("🔗 Link another messenger"), None),
    ("menu:language", N_("🌐 Language"), None),
    ("menu:help", N_("❓ Help"), None),
]


async def show_menu(ctx: Context, intro: str | None = None) -> None:
    """The menu for members; newcomers are asked for their team's invite code instead."""
    if ctx.member is None:
        from handlers.register import ask_code

        await ask_code(ctx, intro)
        return
    text = ctx.t("What would you like to do?")
    actor = await access.actor_for_member(ctx.session, ctx.member)
    buttons = [[ctx.button(payload, label)] for payload, label, action in ENTRIES
               if action is None or access.can(actor, action)]
    buttons[1:1] = await returned_rows(ctx)  # right under "Send a report", only when some wait for a correction
    buttons[1:1] = await review_rows(ctx)  # reviewers: what waits for their decision, with the count
    ctx.reply(f"{intro}\n\n{text}" if intro else text, buttons)


async def on_menu(ctx: Context) -> None:
    ctx.finish()
    await show_menu(ctx)


async def on_greeting(ctx: Context) -> None:
    """"Chào", "alo", "cảm ơn": a friendly word back and the menu (never a guide search)."""
    if ctx.member is None:
        await show_menu(ctx)
        return
    name = ctx.member.full_name
    thanks = fold(ctx.text) in THANKS
    await show_menu(ctx, ctx.t("Glad to help, {name}!", name=name) if thanks else ctx.t("Hello, {name}!", name=name))


async def on_cancel(ctx: Context) -> None:
    ctx.finish()
    await show_menu(ctx, ctx.t("Cancelled."))


async def on_unknown(ctx: Context) -> None:
    """Never silence: a short hint and the menu (newcomers go to registration)."""
    if ctx.member is None:
        from handlers.register import on_code_typed

        await on_code_typed(ctx)
        return
    if ctx.inbound.photo:
        await on_loose_photo(ctx)
        return
    if not ctx.text:
        hint = ctx.t("I can only read text and button taps here.")
    else:
        from handlers.guides import search_reply

        if await search_reply(ctx, ctx.text):
            return
        hint = ctx.t("Sorry, I did not understand. Choose from the menu, or type “menu” at any time.")
    ctx.finish()
    await show_menu(ctx, hint)


def register(router: Router) -> None:
    router.command("menu")(on_menu)
    router.payload("menu:main")(on_menu)
    router.keyword("menu", "trang chu", "danh muc", anywhere=True)(on_menu)
    router.command("cancel", "huy")(on_cancel)
    router.cancel(on_cancel)
    router.keyword(*GREETINGS, *THANKS)(on_greeting)
    router.fallback(on_unknown)
