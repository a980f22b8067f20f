"""Sending an activity report: type → date → counts → photos → note → summary (send / edit / cancel).

Short enough for a phone: big buttons, one per row; digits or Vietnamese
number words for counts. Leaders can file for a team member without a
smartphone ("report for a member"). Photos and the note: report_photos.py.
"""

import re
import secrets
from datetime import date, timedelta

from sqlalchemy import select

from bot.core.context import Context
from bot.core.messages import Button
from bot.core.router import Router, row_id
from bot.db.models import Member
from bot.i18n import N_
from bot.services import access, members
from bot.services.access import Action
from bot.services.report_types import load_report_types
from bot.services.vi_numbers import NegativeNumber, parse_count
from handlers import report_draft as rd
from handlers.report_draft import PROMPTS, advance, draft

FUTURE_SLIP_DAYS = 60
ABSURD_FACTOR = 10  # above ten times a count's usual bound the number is refused, not confirmed
BIG_YES, BIG_NO = N_("✅ Yes, it is right"), N_("✏️ No, fix it")  # the questions quote these very labels
_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?$")


async def on_start(ctx: Context) -> None:
    """Menu button, /report or "báo cáo": a new draft, or the choice to continue an open one."""
    if ctx.member is None:
        await ctx.show_menu()
        return
    if rd.has_draft(ctx):
        ctx.goto(rd.RESUME)
        ctx.reply(ctx.t("You have a report that is not sent yet. Continue it or start over?"),
                  [[ctx.button("report:continue", "▶️ Continue")], [ctx.button("report:restart", "🔄 Start over")]])
        return
    await _new_draft(ctx, proxy=False)


async def _new_draft(ctx: Context, proxy: bool) -> None:
    ctx.finish()
    ctx.goto(rd.TYPE, **{rd.DRAFT: {"key": secrets.token_hex(12), "proxy": proxy}})
    await advance(ctx)


async def on_continue(ctx: Context) -> None:
    if not ctx.data.get(rd.DRAFT) or ctx.member is None:
        await ctx.show_menu()
        return
    await advance(ctx)


async def on_restart(ctx: Context) -> None:
    proxy = bool(ctx.data.get(rd.DRAFT, {}).get("proxy"))
    await _new_draft(ctx, proxy=proxy and await may_file_for_team(ctx))


async def on_resume_text(ctx: Context) -> None:
    ctx.reply(ctx.t("Please tap ▶️ Continue or 🔄 Start over."),
              [[ctx.button("report:continue", "▶️ Continue")], [ctx.button("report:restart", "🔄 Start over")]])


async def may_file_for_team(ctx: Context) -> bool:
    """The access rule: may this member file a report for someone of their own team (leaders, officers, admins)."""
    if ctx.member is None:
        return False
    _team, unit = await members.team_of(ctx.session, ctx.member)
    return access.may(await access.actor_for_member(ctx.session, ctx.member), Action.FILE_PROXY, unit.path)


async def on_proxy_start(ctx: Context) -> None:
    """Leaders: a report for a member of their team who has no smartphone."""
    if not await may_file_for_team(ctx):
        await ctx.show_menu(ctx.t("Only team leaders can send a report for someone else."))
        return
    await _new_draft(ctx, proxy=True)


async def ask_proxy(ctx: Context) -> None:
    others = (await ctx.session.execute(
        select(Member).where(Member.team_id == ctx.member.team_id, Member.id != ctx.member.id)
        .order_by(Member.full_name).limit(20)
    )).scalars().all()
    ctx.goto(rd.PROXY)
    ctx.reply(ctx.t("Who is this report for? Choose a team member, or type the full name of someone "
                    "who is not registered."), [[Button(f"report:for:{m.id}", m.full_name)] for m in others])


async def on_proxy_member(ctx: Context) -> None:
    member_id = ctx.payload.rsplit(":", 1)[-1]
    chosen = await ctx.session.get(Member, row_id(member_id)) if row_id(member_id) else None
    if ctx.state != rd.PROXY or chosen is None or chosen.team_id != ctx.member.team_id \
            or not await may_file_for_team(ctx):
        await ctx.show_menu()
        return
    draft(ctx).update(proxy_for=chosen.id, proxy_label=chosen.full_name)
    await advance(ctx)


async def on_proxy_name(ctx: Context) -> None:
    name = members.clean_name(ctx.text)
    if name is None:
        ctx.reply(ctx.t("Please type the person's full name in letters, for example: Nguyễn Văn An."))
        return
    draft(ctx).update(proxy_name=name, proxy_label=name)
    await advance(ctx)


async def ask_type(ctx: Context) -> None:
    ctx.goto(rd.TYPE)
    buttons = [[Button(f"report:type:{t.id}", t.name_in(ctx.locale))] for t in load_report_types().values()]
    ctx.reply(ctx.t("What did you do? Choose one."), buttons)


async def on_type(ctx: Context) -> None:
    kind = load_report_types().get(ctx.payload.rsplit(":", 1)[-1])
    if ctx.state != rd.TYPE or kind is None:
        await ctx.show_menu()
        return
    d = draft(ctx)
    d["type"] = kind.id
    d["counts"] = {k: v for k, v in d.get("counts", {}).items() if kind.count(k)}
    if kind.note_required and not d.get("note"):
        d.pop("note_done", None)
    await advance(ctx)


async def ask_date(ctx: Context) -> None:
    ctx.goto(rd.DATE)
    ctx.reply(ctx.t("When did you do it? Or type the date, for example 20/11."),
              [[ctx.button("report:date:today", "Today")], [ctx.button("report:date:yesterday", "Yesterday")]])


async def on_date_button(ctx: Context) -> None:
    if ctx.state != rd.DATE:
        await ctx.show_menu()
        return
    days = 1 if ctx.payload.endswith("yesterday") else 0
    await _set_date(ctx, rd.today(ctx) - timedelta(days=days))


def parse_date(text: str, today: date) -> date | None:
    """dd/mm or dd/mm/yyyy (also with '.' or '-'); without a year, the last such day not after today."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    day, month, year = int(match[1]), int(match[2]), match[3]
    try:
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        found = date(today.year, month, day)
        if found <= today or (found - today).days <= FUTURE_SLIP_DAYS:
            return found  # a day just ahead is a slip (refused as future), not last year
        return date(today.year - 1, month, day)
    except ValueError:
        return None


async def on_date_text(ctx: Context) -> None:
    found = parse_date(ctx.text, rd.today(ctx))
    if found is None:
        ctx.reply(ctx.t("Please type the date as day/month, for example 20/11, or tap a button."))
        await ask_date(ctx)
        return
    await _set_date(ctx, found)


async def _set_date(ctx: Context, day: date) -> None:
    if day > rd.today(ctx):
        ctx.reply(ctx.t("{date} is in the future. Please give the day you did it.", date=ctx.tr.date(day)))
        await ask_date(ctx)
        return
    if day < rd.oldest_date(ctx):
        ctx.reply(ctx.tn("{date} is more than {n} day ago: reports can only cover the last {n} day. "
                         "Please ask your team leader.",
                         "{date} is more than {n} days ago: reports can only cover the last {n} days. "
                         "Please ask your team leader.", rd.window_days(ctx), date=ctx.tr.date(day)))
        await ask_date(ctx)
        return
    draft(ctx)["date"] = day.isoformat()
    await advance(ctx)


async def ask_count(ctx: Context) -> None:
    spec = rd.report_type(ctx).count(rd.missing_count(ctx))
    ctx.goto(rd.COUNT)
    ctx.reply(ctx.t("{label}: how many? Type a number, for example 15.", label=spec.label_in(ctx.locale)))


async def on_count(ctx: Context) -> None:
    spec = rd.report_type(ctx).count(rd.missing_count(ctx) or "")
    if spec is None:
        await advance(ctx)
        return
    if not await _take_count(ctx, spec):
        ctx.reply(ctx.t("Please type just the number for “{label}”, in digits, for example 15.",
                        label=spec.label_in(ctx.locale)))


async def _take_count(ctx: Context, spec) -> bool:
    """A typed count for `spec`: stored, questioned when unusually big, or refused; False when it is no number."""
    try:
        value = parse_count(ctx.text) if ctx.text else None
    except NegativeNumber:
        ctx.reply(ctx.t("A number of people or activities cannot be below zero. Please type it again."))
        return True
    if value is None:
        return False
    if value > spec.max * ABSURD_FACTOR:
        ctx.reply(ctx.t("{n} is far too many for one report. Please check and type the number again.",
                        n=ctx.tr.number(value)))
        return True
    if value > spec.max:
        draft(ctx)["big"] = {"id": spec.id, "value": value}
        ctx.goto(rd.BIG)
        ctx.reply(ctx.t("{n} for “{label}” is more than usual. If it is right, tap {yes}; if not, type the right "
                        "number or tap {no}.", n=ctx.tr.number(value), label=spec.label_in(ctx.locale),
                        yes=ctx.t(BIG_YES), no=ctx.t(BIG_NO)),
                  _big_buttons(ctx))
        return True
    draft(ctx).setdefault("counts", {})[spec.id] = value
    await advance(ctx)
    return True


def _big_buttons(ctx: Context) -> list:
    return [[ctx.button("report:big:yes", BIG_YES)], [ctx.button("report:big:no", BIG_NO)]]


async def on_big(ctx: Context) -> None:
    big = draft(ctx).pop("big", None)
    if ctx.state != rd.BIG or big is None:
        if rd.has_draft(ctx):
            await advance(ctx)
        else:
            await ctx.show_menu()
        return
    if ctx.payload.endswith(":yes"):
        draft(ctx).setdefault("counts", {})[big["id"]] = big["value"]
    await advance(ctx)


async def on_big_text(ctx: Context) -> None:
    """At "is that right?": a typed number is the corrected count; where buttons are numbered, "1"/"2" pick them."""
    option = _shown_option(ctx)
    if option is not None:
        ctx.payload = option
        await on_big(ctx)
        return
    big = draft(ctx).get("big") or {}
    spec = rd.report_type(ctx).count(big.get("id", "")) if rd.report_type(ctx) else None
    if spec is not None and _a_correction(ctx.text) and await _take_count(ctx, spec):
        if ctx.state != rd.BIG:
            draft(ctx).pop("big", None)
        return
    ctx.reply(ctx.t("Please tap {yes} or {no}, or type the right number.", yes=ctx.t(BIG_YES), no=ctx.t(BIG_NO)),
              _big_buttons(ctx))


def _a_correction(text: str) -> bool:
    """Digits, or a number in words other than zero: "không" alone also means "no" at a yes/no question."""
    if any(ch.isdigit() for ch in text):
        return True
    try:
        return bool(parse_count(text))
    except NegativeNumber:
        return True


def _shown_option(ctx: Context) -> str | None:
    """The option picked by its number, on channels that show numbers instead of buttons."""
    channel = ctx.core.channels.get(ctx.inbound.channel)
    if channel is None or channel.supports_buttons:
        return None
    return (ctx.data.get("_options") or {}).get(ctx.text)


PROMPTS.update(proxy=ask_proxy, type=ask_type, date=ask_date, count=ask_count)


def register(router: Router) -> None:
    router.command("report", "baocao")(on_start)
    router.payload("menu:report")(on_start)
    router.keyword(*rd.REPORT_WORDS, anywhere=True)(on_start)
    router.payload("menu:report_for")(on_proxy_start)
    router.payload("report:continue")(on_continue)
    router.payload("report:restart")(on_restart)
    router.payload("report:for:")(on_proxy_member)
    router.payload("report:type:")(on_type)
    router.payload("report:date:")(on_date_button)
    router.payload("report:big:")(on_big)
    router.state(rd.RESUME)(on_resume_text)
    router.state(rd.PROXY)(on_proxy_name)
    router.state(rd.TYPE)(ask_type)
    router.state(rd.DATE)(on_date_text)
    router.state(rd.COUNT, numeric=True)(on_count)
    router.state(rd.BIG, numeric=True)(on_big_text)
