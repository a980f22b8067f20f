"""Help: what cdsbot does and the few commands worth knowing."""

from bot.core.context import Context
from bot.core.router import Router


def how_to_choose(ctx: Context) -> str:
    """How to pick an option on this channel: numbers are mentioned only where the member sees them."""
    channel = ctx.channel
    if channel is not None and not channel.supports_buttons:
        return ctx.t("Type the number shown before an option.")
    if channel is not None and channel.numbers_options:
        return ctx.t("Tap the buttons, or type the number shown before an option.")
    return ctx.t("Tap the buttons to choose.")


async def on_help(ctx: Context) -> None:
    ctx.reply(
        ctx.t("cdsbot helps community digital technology teams.") + "\n\n• " + how_to_choose(ctx) + "\n"
        + ctx.t("• Type “menu” at any time to see the menu.\n"
                "• Type “hủy” (or /cancel) to stop what you are doing.\n"
                "• /link joins another messenger to your registration.\n"
                "• /language switches between Tiếng Việt and English."),
        [[ctx.button("menu:main", "🏠 Menu")]],
    )


def register(router: Router) -> None:
    router.command("help", "trogiup")(on_help)
    router.payload("menu:help")(on_help)
    router.keyword("tro giup", "help", "giup do", "huong dan su dung")(on_help)
