"""Language choice (Tiếng Việt / English); it persists on the member."""

from bot.core.context import Context
from bot.core.messages import Button
from bot.core.router import Router
from bot.i18n import LOCALES

NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}  # i18n: data (each language named in itself)


async def on_language(ctx: Context) -> None:
    ctx.reply(ctx.t("Choose your language:"), [[Button(f"lang:{code}", NAMES[code])] for code in LOCALES])


async def on_choose(ctx: Context) -> None:
    code = ctx.payload.split(":", 1)[1]
    if code not in LOCALES:
        await on_language(ctx)
        return
    ctx.set_locale(code)
    await ctx.show_menu(ctx.t("Language set to English."))


def register(router: Router) -> None:
    router.command("language", "ngonngu", "lang")(on_language)
    router.payload("menu:language")(on_language)
    router.payload("lang:")(on_choose)
    router.keyword("ngon ngu", "language", "tieng viet", "english")(on_language)
