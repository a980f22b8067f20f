"""How-to guides in chat: categories → guides → step by step, and search by typing words."""

from functools import cache

from bot.core.context import Context
from bot.core.messages import Button
from bot.core.router import Router, row_id
from bot.db.guides import GuideView
from bot.i18n import N_
from bot.services.guide_library import LENIENT, STRICT, GuideLibrary, load_guides
from bot.services.guides import LANGS, Guide
from bot.text import fold

SEARCH = "guides.search"
CATEGORY_LABELS = {
    "public_services": N_("🏛️ Public services"),
    "identity": N_("🪪 Identity (VNeID)"),
    "payments": N_("💳 Payments"),
    "selling_online": N_("🛒 Selling online"),
    "farming_business": N_("🌾 Farming, tourism, business"),
    "everyday": N_("🏠 Everyday digital life"),
    "learning": N_("🎓 Learning"),
    "safety": N_("🛡️ Safety online"),
    "using_bot": N_("🤖 Using cdsbot"),
}
SOURCES = {"menu", "search", "broadcast"}


@cache
def library() -> GuideLibrary:
    """The guides, loaded once per process on first use."""
    return load_guides()


def warm() -> None:
    """Read and index every guide now (a quarter second of CPU); the app runs it in a thread at start, so the
    first member to search does not hold up everyone else's messages."""
    for lang in LANGS:
        library().search("vneid", lang)


def guide_buttons(guides: list[Guide], source: str) -> list[list[Button]]:
    return [[Button(f"guide:{g.id}:1:{source}", f"📘 {g.title}")] for g in guides]


async def on_guides(ctx: Context) -> None:
    """The Hướng dẫn entry: categories, and typed words search."""
    ctx.goto(SEARCH)
    ctx.reply(ctx.t("Choose a topic, or type a few words to search (for example: vneid, dich vu cong)."),
              _topic_rows(ctx) + [[ctx.button("menu:main", "🏠 Menu")]])


async def on_category(ctx: Context) -> None:
    category = ctx.payload.removeprefix("guides:cat:")
    guides = library().in_category(category, ctx.locale)
    if category not in CATEGORY_LABELS or not guides:
        await on_guides(ctx)
        return
    ctx.goto(SEARCH)
    ctx.reply(ctx.t(CATEGORY_LABELS[category]), guide_buttons(guides, "menu") + [
        [ctx.button("menu:guides", "◀ All topics"), ctx.button("menu:main", "🏠 Menu")]])


async def on_guide(ctx: Context) -> None:
    """`guide:<id>[:<step>[:<source>]]` — one step per message with ◀ / ▶ / menu."""
    parts = ctx.payload.split(":")
    guide = library().get(parts[1], ctx.locale) if len(parts) > 1 else None
    if guide is None:
        ctx.reply(ctx.t("Sorry, that guide is no longer available."))
        await on_guides(ctx)
        return
    step_no = (row_id(parts[2]) if len(parts) > 2 else None) or 1
    step_no = min(max(step_no, 1), len(guide.steps))
    source = parts[3] if len(parts) > 3 and parts[3] in SOURCES else ("broadcast" if len(parts) == 2 else "")
    if source:
        ctx.session.add(GuideView(guide_id=guide.id, member_id=ctx.member.id if ctx.member else None,
                                  channel=ctx.inbound.channel, source=source, opened_at=ctx.now))
    ctx.finish()
    ctx.reply(_step_text(ctx, guide, step_no), _step_buttons(ctx, guide, step_no), photo=_image(guide, step_no))


def _step_text(ctx: Context, guide: Guide, step_no: int) -> str:
    step = guide.steps[step_no - 1]
    head = ctx.t("📘 {title} — step {n} of {total}", title=guide.title, n=step_no, total=len(guide.steps))
    text = f"{head}\n\n{step.title}\n{step.text}"
    if step_no == 1:
        text += "\n\n" + ctx.t("Updated {date}", date=ctx.tr.date(guide.last_reviewed))
    return text


def _step_buttons(ctx: Context, guide: Guide, step_no: int) -> list[list[Button]]:
    nav = []
    if step_no > 1:
        nav.append(ctx.button(f"guide:{guide.id}:{step_no - 1}", "◀ Back"))
    if step_no < len(guide.steps):
        nav.append(ctx.button(f"guide:{guide.id}:{step_no + 1}", "Next ▶"))
    return [nav, [ctx.button(f"guides:cat:{guide.category}", "📚 Guides"), ctx.button("menu:main", "🏠 Menu")]]


def _image(guide: Guide, step_no: int) -> str | None:
    path = guide.image_path(guide.steps[step_no - 1])
    return str(path) if path and path.exists() else None


async def search_reply(ctx: Context, query: str, threshold: float = STRICT) -> bool:
    """Answer typed words with matching guides; False when nothing matched well enough."""
    found = library().search(query, ctx.locale, threshold=threshold)
    if not found:
        return False
    ctx.goto(SEARCH)
    ctx.reply(ctx.t("Guides for “{query}”:", query=query), guide_buttons(found, "search") + [
        [ctx.button("menu:guides", "📚 All topics"), ctx.button("menu:main", "🏠 Menu")]])
    return True


async def on_search(ctx: Context) -> None:
    """Typed words after opening the guides; other menu words still work here."""
    if not ctx.text:
        await on_guides(ctx)
        return
    other = ctx.core.router.keywords.get(fold(ctx.text))
    if other is not None and other is not on_guides:
        ctx.finish()
        await other(ctx)
        return
    if await search_reply(ctx, ctx.text, threshold=LENIENT):
        return
    ctx.reply(ctx.t("No guide matches “{query}” well. Choose a topic, or try other words:", query=ctx.text),
              _topic_rows(ctx) + [[ctx.button("menu:main", "🏠 Menu")]])


def _topic_rows(ctx: Context) -> list[list[Button]]:
    """One button per topic that has guides: what to offer when a search finds no good match."""
    return [[ctx.button(f"guides:cat:{c}", CATEGORY_LABELS[c])] for c in library().categories(ctx.locale)]


def register(router: Router) -> None:
    router.command("guides", "huongdan")(on_guides)
    router.payload("menu:guides")(on_guides)
    router.payload("guides:cat:")(on_category)
    router.payload("guide:")(on_guide)
    router.state(SEARCH)(on_search)
    router.keyword("huong dan", "guides", "guide", "tai lieu")(on_guides)
