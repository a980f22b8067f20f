"""/broadcast for officers and admins: audience from their own subtree → texts → preview → send.

Units are picked from buttons of the sender's child units or typed as codes;
levels and roles narrow the audience. The service checks the subtree again,
so a typed code from elsewhere is refused, not sent.
"""

from sqlalchemy import select

from bot.channels import registry
from bot.core.context import Context
from bot.core.messages import Button
from bot.core.router import Router
from bot.db.models import OrgUnit
from bot.i18n import N_
from bot.services import access
from bot.services import broadcast as bc
from bot.services.access import Action
from bot.services.org import live, unit_label
from bot.services.unit_kinds import Level

UNITS, LEVELS, ROLES, TEXT_VI, TEXT_EN, ACK, PREVIEW = (
    "broadcast.units", "broadcast.levels", "broadcast.roles", "broadcast.text_vi", "broadcast.text_en",
    "broadcast.ack", "broadcast.preview")
MAX_UNIT_BUTTONS = 30
ROLE_LABELS = {"member": N_("Members"), "leader": N_("Team leaders"), "officer": N_("Officers")}


async def on_start(ctx: Context) -> None:
    """Whoever the access rule lets broadcast (officers, admins); everyone else is told so and gets the menu."""
    actor = await access.actor_for_member(ctx.session, ctx.member)
    if not access.can(actor, Action.BROADCAST):
        await ctx.show_menu(ctx.t("Only officers and admins can send announcements."))
        return
    scope = await bc.scope_of(ctx.session, actor)
    offered = {str(level.depth): {"kinds": list(level.kinds), "units": level.units}
               for level in await bc.levels_in(ctx.session, actor)}
    ctx.finish()
    ctx.goto(UNITS, scope=scope.code if scope else None, units=[], levels=[], roles=[], offered=offered)
    await _ask_units(ctx)


async def _children(ctx: Context) -> list[OrgUnit]:
    """Live units one level below the sender's scope (below the province for an admin)."""
    code = ctx.data["scope"]
    if code is None:
        parents = select(OrgUnit.id).where(OrgUnit.parent_id.is_(None))
        query = select(OrgUnit).where(OrgUnit.parent_id.in_(parents))
    else:
        parent = select(OrgUnit.id).where(OrgUnit.code == code).scalar_subquery()
        query = select(OrgUnit).where(OrgUnit.parent_id == parent)
    query = query.where(live()).order_by(OrgUnit.code).limit(MAX_UNIT_BUTTONS)
    return list((await ctx.session.execute(query)).scalars())


def _offered(ctx: Context) -> dict[str, Level]:
    """The levels offered to this chat by depth (a chat started before levels were depths offers none)."""
    offered = ctx.data.get("offered")
    if not isinstance(offered, dict):
        return {}
    return {depth: Level(int(depth), tuple(level["kinds"]), level["units"]) for depth, level in offered.items()}


def _mark(chosen: bool, label: str) -> str:
    return f"✓ {label}" if chosen else label


async def _ask_units(ctx: Context, intro: str | None = None) -> None:
    picked, children = ctx.data["units"], await _children(ctx)
    ctx.data["unit_buttons"] = [u.code for u in children]  # a unit tap is honoured only if offered here
    buttons = [[Button(f"bc:unit:{u.code}", _mark(u.code in picked, u.name))] for u in children]
    buttons.append([ctx.button("bc:next", "➡️ Next"), ctx.button("menu:main", "✖️ Cancel")])
    chosen = ", ".join(picked) if picked else ctx.t("your whole area")
    text = ctx.t("Who should receive the announcement? Tap units or type their codes (several separated by "
                 "spaces), then Next. Chosen: {chosen}", chosen=chosen)
    ctx.reply(f"{intro}\n\n{text}" if intro else text, buttons)


async def on_unit(ctx: Context, code: str) -> None:
    """A unit button toggles only if it was offered to this chat and the access rule lets the sender reach it."""
    if ctx.state != UNITS:
        await ctx.show_menu()
        return
    unit = (await ctx.session.execute(select(OrgUnit).where(OrgUnit.code == code))).scalar_one_or_none()
    actor = await access.actor_for_member(ctx.session, ctx.member)
    if unit is None or code not in ctx.data.get("unit_buttons", []) \
            or not access.may(actor, Action.BROADCAST, unit.path):
        await _ask_units(ctx, ctx.t("You can only send to units inside your own area."))
        return
    _toggle(ctx, "units", code)
    await _ask_units(ctx)


def _toggle(ctx: Context, key: str, value: str) -> None:
    values = list(ctx.data[key])
    ctx.data[key] = [v for v in values if v != value] if value in values else [*values, value]


async def on_units_typed(ctx: Context) -> None:
    """Typed unit codes are checked against the sender's subtree before they are kept."""
    codes = ctx.text.replace(",", " ").split()
    try:
        await bc.resolve(ctx.session, bc.Audience(units=codes), await bc.sender_actor(ctx.session, ctx.member))
    except bc.BadAudience:
        await _ask_units(ctx, ctx.t("I do not know the unit code(s) {codes}.", codes=" ".join(codes)))
        return
    except bc.NotAllowed:
        await _ask_units(ctx, ctx.t("You can only send to units inside your own area."))
        return
    ctx.data["units"] = list(dict.fromkeys([*ctx.data["units"], *codes]))
    await _ask_units(ctx)


async def _ask_levels(ctx: Context) -> None:
    """Only the levels of the sender's live subtree, named from the kinds there ("Xã, phường, đặc khu")."""
    buttons = [[Button(f"bc:level:{depth}", _mark(depth in ctx.data["levels"], level.label(ctx.locale)))]
               for depth, level in _offered(ctx).items()]
    buttons.append([ctx.button("bc:next", "➡️ Next")])
    ctx.reply(ctx.t("Only teams of some levels? Tap them, or Next for all levels."), buttons)


async def _ask_roles(ctx: Context) -> None:
    buttons = [[Button(f"bc:role:{role}", _mark(role in ctx.data["roles"], ctx.t(label)))]
               for role, label in ROLE_LABELS.items()]
    buttons.append([ctx.button("bc:next", "➡️ Next")])
    ctx.reply(ctx.t("Only some roles? Tap them, or Next for everyone."), buttons)


async def on_choice(ctx: Context) -> None:
    """`bc:<kind>:<value>` buttons: a unit, level or role toggles in the step that shows it; ack answers."""
    _, kind, value = (ctx.payload.split(":", 2) + ["", ""])[:3]
    if kind == "unit":
        await on_unit(ctx, value)
    elif kind == "ack":
        await on_ack_choice(ctx)
    elif (kind, ctx.state) == ("level", LEVELS) and value in _offered(ctx):
        _toggle(ctx, "levels", value)
        await _ask_levels(ctx)
    elif (kind, ctx.state) == ("role", ROLES) and value in ROLE_LABELS:
        _toggle(ctx, "roles", value)
        await _ask_roles(ctx)
    else:
        await ctx.show_menu()


async def on_next(ctx: Context) -> None:
    steps = {UNITS: (LEVELS, _ask_levels), LEVELS: (ROLES, _ask_roles), ROLES: (TEXT_VI, _ask_text_vi)}
    if ctx.state not in steps:
        await ctx.show_menu()
        return
    state, ask = steps[ctx.state]
    ctx.goto(state)
    await ask(ctx)


async def _ask_text_vi(ctx: Context) -> None:
    ctx.reply(ctx.t("Type the announcement in Vietnamese."))


async def on_text_vi(ctx: Context) -> None:
    if not ctx.text or len(ctx.text) > 4000:
        ctx.reply(ctx.t("Please type the announcement as text, up to 4,000 characters."))
        return
    ctx.goto(TEXT_EN, text_vi=ctx.text)
    ctx.reply(ctx.t("Now type it in English for members who read English, or skip: they will get the "
                    "Vietnamese text."), [[ctx.button("bc:skip_en", "Skip")]])


async def on_text_en(ctx: Context) -> None:
    if ctx.state != TEXT_EN:
        await ctx.show_menu()
        return
    if ctx.payload == "bc:skip_en" or not ctx.text:
        ctx.data["text_en"] = None
    elif len(ctx.text) > 4000:
        ctx.reply(ctx.t("Please type the announcement as text, up to 4,000 characters."))
        return
    else:
        ctx.data["text_en"] = ctx.text
    ctx.goto(ACK)
    ctx.reply(ctx.t("Ask members to confirm with ✅ Received / ❓ I need help buttons?"),
              [[ctx.button("bc:ack:yes", "Yes"), ctx.button("bc:ack:no", "No")]])


async def on_ack_choice(ctx: Context) -> None:
    if ctx.state != ACK:
        await ctx.show_menu()
        return
    ctx.goto(PREVIEW, ack=ctx.payload == "bc:ack:yes")
    await _preview(ctx)


def _audience(ctx: Context) -> bc.Audience:
    data, offered = ctx.data, _offered(ctx)
    levels = [kind for depth in data["levels"] if depth in offered for kind in offered[depth].kinds]
    return bc.Audience(units=data["units"], levels=levels, roles=data["roles"], scope=data["scope"])


async def _preview(ctx: Context) -> None:
    """Counts per channel and the time at each platform's rate, before anything is sent."""
    rates = registry.rates(ctx.core.channels)
    preview = await bc.preview(ctx.session, _audience(ctx), rates)
    lines = [ctx.tn("The announcement will reach {n} member.", "The announcement will reach {n} members.",
                    preview.members)]
    lines += [f"• {registry.name(ctx.tr, code)}: {ctx.tr.number(n)}" for code, n in preview.deliveries.items()]
    lines.append(ctx.t("Estimated sending time: {time}.", time=bc.duration(ctx.tr, preview.total_seconds)))
    text = ctx.data["text_vi"] if ctx.locale == "vi" or not ctx.data["text_en"] else ctx.data["text_en"]
    lines += ["", text]
    ctx.reply("\n".join(lines), [[ctx.button("bc:send", "📢 Send"), ctx.button("menu:main", "✖️ Cancel")]])


async def on_send(ctx: Context) -> None:
    """Create and expand in the handler's transaction; the outbox starts once it is committed."""
    if ctx.state != PREVIEW:
        await ctx.show_menu()
        return
    data = ctx.data
    try:
        broadcast = await bc.create(ctx.session, sender=ctx.member, audience=_audience(ctx), text_vi=data["text_vi"],
                                    text_en=data["text_en"], ack=data["ack"], now=ctx.now)
    except bc.NotAllowed:
        ctx.finish()
        await ctx.show_menu(ctx.t("You can only send to units inside your own area."))
        return
    rows = await bc.expand(ctx.session, broadcast, ctx.now)
    for code in ctx.core.channels:
        ctx.core.outbox.wake(code)
    ctx.finish()
    place = await _place(ctx, data["units"] or ([data["scope"]] if data["scope"] else []))
    await ctx.show_menu(ctx.tn("Announcement #{id} is being sent: {n} message in {place}.",
                               "Announcement #{id} is being sent: {n} messages in {place}.",
                               rows, id=broadcast.id, place=place))


async def _place(ctx: Context, codes: list[str]) -> str:
    """The chosen units, named as members know them; no units means everything."""
    if not codes:
        return ctx.t("the whole province")
    units = (await ctx.session.execute(select(OrgUnit).where(OrgUnit.code.in_(codes)))).scalars()
    return "; ".join([await unit_label(ctx.session, unit) for unit in units])


def register(router: Router) -> None:
    router.command("broadcast", "thongbao")(on_start)
    router.payload("menu:broadcast")(on_start)
    router.payload("bc:")(on_choice)
    router.payload("bc:next")(on_next)
    router.payload("bc:skip_en")(on_text_en)
    router.payload("bc:send")(on_send)
    router.state(UNITS)(on_units_typed)
    router.state(TEXT_VI)(on_text_vi)
    router.state(TEXT_EN)(on_text_en)
