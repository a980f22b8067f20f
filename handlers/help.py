"""Help: what cdsbot does and the few commands worth knowing."""

from bot.core.context import Context
from bot.core.router import Router


async def on_help(ctx: Context) -> None:
    ctx.reply(
        ctx.t("cdsbot helps community digital technology teams.\n\n"
              "• Tap the menu buttons, or type the number shown before an option.\n"
              "• Type “menu” at any time to see the menu.\n"
              "• Type “hủy” (or /cancel) to stop what you are doing.\n"
              "• /link joins another messenger to your registration.\n"
              "• /language switches between Tiếng Việt and English."),
        [[ctx.button("menu:main", "🏠 Menu")]],
    )


def register(router: Router) -> None:
    router.command("help", "trogiup")(on_help)
    router.payload("menu:help")(on_help)
    router.keyword("tro giup", "help", "giup do", "huong dan su dung")(on_help)
