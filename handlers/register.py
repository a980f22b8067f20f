"""Registration: invite code (deep link or typed) → full name → optional phone → confirm."""

import math

from bot.channels import registry
from bot.core.context import Context
from bot.core.messages import Button, Outbound
from bot.core.router import Router
from bot.db.models import LinkCode, Member, OrgUnit, Team
from bot.i18n import LOCALES, Translator
from bot.services import members, org
from bot.text import fold

ASK_CODE, ASK_NAME, ASK_PHONE, CONFIRM = "register.ask_code", "register.ask_name", "register.ask_phone", \
    "register.confirm"
SKIP_WORDS = {"bo qua", "skip", "khong", "không"}
LINK_CONFIRM, LINK_REFUSE = "link:confirm:", "link:refuse:"  # the member's answer (handlers/link.py)


async def ask_code(ctx: Context, intro: str | None = None) -> None:
    """Newcomers: explain and wait for the team's invite code."""
    ctx.goto(ASK_CODE)
    text = ctx.t("Welcome to cdsbot, the assistant of the community digital technology teams: members send their "
                 "activity reports here, read how-to guides and get the team's announcements.\n\n"
                 "To join, type your team's 8-character invite code (your team leader has it).")
    ctx.reply(f"{intro}\n\n{text}" if intro else text)


async def on_start(ctx: Context) -> None:
    """`/start` or `/start CODE` from a deep link; a registered member just gets the menu."""
    if ctx.member is not None:
        ctx.finish()
        await ctx.show_menu(ctx.t("Welcome back, {name}!", name=ctx.member.full_name))
        return
    parts = ctx.text.split(maxsplit=1)
    if len(parts) == 2:
        await try_code(ctx, parts[1])
    else:
        await ask_code(ctx)


async def on_opened(ctx: Context) -> None:
    """A chat page opened with nothing on screen (`chat:opened:<page language>`): greet at once.

    A newcomer learns what cdsbot is and how to join, in the page's language; a member gets the menu.
    """
    if ctx.member is not None:
        await ctx.show_menu(ctx.t("Welcome back, {name}!", name=ctx.member.full_name))
        return
    lang = ctx.payload.rsplit(":", 1)[-1]
    if "locale" not in ctx.data and lang in LOCALES:
        ctx.set_locale(lang)
    if ctx.state in (None, ASK_CODE):
        await ask_code(ctx)


async def on_code_typed(ctx: Context) -> None:
    """In the code step (or any unregistered chat), typed text is taken as a code."""
    if ctx.member is not None:
        await ctx.show_menu()
    elif members.looks_like_code(ctx.text):
        await try_code(ctx, ctx.text)
    elif ctx.state == ASK_CODE and _code_attempt(ctx.text):
        ctx.reply(ctx.t("An invite code has 8 letters and digits, for example K7MX3QPA. "
                        "Please check and send it again."))
    else:
        await ask_code(ctx)


def _code_attempt(text: str) -> bool:
    """Typed text meant as a code (one word, or with digits), not words like "xin chào" that get the welcome again."""
    return bool(text) and (" " not in text or any(ch.isdigit() for ch in text))


async def try_code(ctx: Context, raw: str) -> None:
    """Check a team invite code (or a link code from another messenger), with guessing protection.

    Wrong codes are counted per chat and per source address (where the channel knows it: the web chat),
    so opening new web chats gives no fresh tries; a right link code still needs the member's confirmation.
    """
    channel, chat, source = ctx.inbound.channel, ctx.inbound.external_id, ctx.inbound.source
    locked_until = await members.wrong_code_lock(ctx.session, channel, chat, ctx.now, source)
    if locked_until is not None:
        minutes = max(1, math.ceil((locked_until - ctx.now).total_seconds() / 60))
        ctx.goto(ASK_CODE)
        ctx.reply(ctx.tn("Too many wrong codes. Please wait {n} minute and try again.",
                         "Too many wrong codes. Please wait {n} minutes and try again.", minutes))
        return
    code = members.normalise_code(raw)
    team = await org.team_by_invite(ctx.session, code)
    if team is not None:
        await _team_found(ctx, team)
        return
    link = await members.claim_link_code(ctx.session, code, channel, chat, ctx.now)
    if link is not None:
        await _link_claimed(ctx, link)
        return
    left = await members.record_wrong_code(ctx.session, channel, chat, ctx.now, source)
    ctx.goto(ASK_CODE)
    ctx.reply(ctx.tn("The code {code} is not right. Please check it with your team leader. {n} try left this hour.",
                     "The code {code} is not right. Please check it with your team leader. {n} tries left this hour.",
                     left, code=code))


async def _link_claimed(ctx: Context, link: LinkCode) -> None:
    """A new chat typed a live link code: it waits, and the member's own accounts are asked to confirm."""
    member = await ctx.session.get(Member, link.member_id)
    tr = Translator(member.locale)
    who = ctx.inbound.display_name or tr.t("no name shown")
    ask = tr.t("Someone typed your link code on {messenger} (account: {who}). Link that account to your "
               "registration? It will see your reports and messages. Tap Yes (or send /link yes) only if it is you; "
               "otherwise tap No (or send /link no).",
               messenger=registry.name(tr, ctx.inbound.channel), who=who[:64])
    ctx.notify(member.id, Outbound(ask, [[Button(f"{LINK_CONFIRM}{link.id}", tr.t("✅ Yes, link it")),
                                          Button(f"{LINK_REFUSE}{link.id}", tr.t("❌ No"))]]))
    ctx.finish()
    ctx.reply(ctx.t("Almost done: open cdsbot on the messenger where you got the code and tap ✅ Yes, link it "
                    "within 10 minutes."))


async def _team_found(ctx: Context, team: Team) -> None:
    unit = await ctx.session.get(OrgUnit, team.unit_id)
    label = await org.unit_label(ctx.session, unit)
    ctx.goto(ASK_NAME, team_id=team.id)
    ctx.reply(ctx.t("You are joining {team} ({place}).\n\nWhat is your full name?", team=team.name, place=label))


async def on_name(ctx: Context) -> None:
    name = members.clean_name(ctx.text)
    if name is None:
        ctx.reply(ctx.t("Please type your full name in letters, 2 to 80 characters, for example: Nguyễn Văn An."))
        return
    ctx.goto(ASK_PHONE, name=name)
    skip = [[ctx.button("register:skip_phone", "Skip")]]
    if ctx.channel is not None and ctx.channel.shares_contact:
        ctx.reply(ctx.t("Thank you, {name}. You may share your phone number so your team leader can reach you, "
                        "or type it (for example 0905123456). You can also skip this.", name=name),
                  skip, request_contact=ctx.t("📱 Share my phone number"))
    else:
        ctx.reply(ctx.t("Thank you, {name}. You may type your phone number so your team leader can reach you "
                        "(for example 0905123456). You can also skip this.", name=name), skip)


async def on_phone(ctx: Context) -> None:
    if fold(ctx.text) in SKIP_WORDS:
        await on_skip_phone(ctx)
        return
    raw = ctx.inbound.contact_phone or ctx.text
    phone = members.clean_phone(raw) if raw else None
    if phone is None:
        ctx.reply(ctx.t("That does not look like a Vietnamese phone number. Type it like 0905123456 or "
                        "+84905123456, or skip."), [[ctx.button("register:skip_phone", "Skip")]])
        return
    ctx.goto(CONFIRM, phone=phone)
    await _confirm(ctx)


async def on_skip_phone(ctx: Context) -> None:
    if ctx.state != ASK_PHONE:
        await ctx.show_menu()
        return
    ctx.goto(CONFIRM, phone=None)
    await _confirm(ctx)


async def _confirm(ctx: Context) -> None:
    team = await ctx.session.get(Team, ctx.data["team_id"])
    unit = await ctx.session.get(OrgUnit, team.unit_id)
    phone = ctx.data.get("phone") or ctx.t("(not given)")
    ctx.reply(
        ctx.t("Please check:\nName: {name}\nPhone: {phone}\nTeam: {team}\nPlace: {place}",
              name=ctx.data["name"], phone=phone, team=team.name, place=await org.unit_label(ctx.session, unit)),
        [[ctx.button("register:confirm", "✅ Confirm")], [ctx.button("register:restart", "↩️ Start over")]],
    )


async def on_confirm(ctx: Context) -> None:
    if ctx.member is not None or ctx.state != CONFIRM:
        await ctx.show_menu()
        return
    ctx.member = await members.join(
        ctx.session, team_id=ctx.data["team_id"], full_name=ctx.data["name"], phone=ctx.data.get("phone"),
        locale=ctx.locale, channel=ctx.inbound.channel, external_id=ctx.inbound.external_id, now=ctx.now,
    )
    ctx.finish()
    await ctx.show_menu(ctx.t("Welcome to the team, {name}! You are registered.", name=ctx.member.full_name))


async def on_restart(ctx: Context) -> None:
    if ctx.member is not None:
        await ctx.show_menu()
        return
    ctx.finish()
    await ask_code(ctx)


async def on_confirm_text(ctx: Context) -> None:
    ctx.reply(ctx.t("Please tap ✅ Confirm or ↩️ Start over."))
    await _confirm(ctx)


def register(router: Router) -> None:
    router.command("start", "batdau")(on_start)
    router.payload("chat:opened:")(on_opened)
    router.state(ASK_CODE)(on_code_typed)
    router.state(ASK_NAME)(on_name)
    router.state(ASK_PHONE)(on_phone)
    router.state(CONFIRM)(on_confirm_text)
    router.payload("register:skip_phone")(on_skip_phone)
    router.payload("register:confirm")(on_confirm)
    router.payload("register:restart")(on_restart)
