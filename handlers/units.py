"""My units: this month's reports for leaders (their team) and officers (their subtree), with who is missing."""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.core.context import Context
from bot.core.router import Router
from bot.db.models import OrgUnit
from bot.services import access, members, reports
from bot.services.access import Action, Actor, Role
from bot.services.report_types import load_report_types
from handlers.report_draft import today

SHOW_AT_MOST = 15


def _list(ctx: Context, names: list[str]) -> str:
    shown = "\n".join(f"• {n}" for n in names[:SHOW_AT_MOST])
    more = len(names) - SHOW_AT_MOST
    return shown + ("\n" + ctx.t("… and {n} more", n=ctx.tr.number(more)) if more > 0 else "")


async def _leader_view(ctx: Context, actor: Actor, start, end) -> list[str]:
    team, unit = await members.team_of(ctx.session, ctx.member)
    access.require(actor, Action.VIEW, unit.path)
    count, people = await reports.team_period(ctx.session, team.id, start, end)
    lines = [team.name, ctx.tn("This month: {n} report", "This month: {n} reports", count)
             + " · " + ctx.tn("{n} person helped", "{n} people helped", people)]
    missing = await reports.members_without_report(ctx.session, team.id, start, end)
    if missing:
        lines += ["", ctx.t("Not reported yet this month:"), _list(ctx, [m.full_name for m in missing])]
    else:
        lines += ["", ctx.t("Everyone in the team has reported this month.")]
    return lines


async def _root(ctx: Context, actor: Actor) -> OrgUnit:
    """The unit at the top of what the actor may view: the province for admins, else their own unit."""
    query = select(OrgUnit).order_by(OrgUnit.depth, OrgUnit.id).limit(1)
    if not actor.whole_tree:
        query = query.where(OrgUnit.path == actor.scope_path)
    root = (await ctx.session.execute(query)).scalar_one()
    access.require(actor, Action.VIEW, root.path)
    return root


async def _officer_view(ctx: Context, actor: Actor, start, end) -> list[str]:
    root = await _root(ctx, actor)
    deadline = datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ)
    count_ids = sorted({c.id for t in load_report_types().values() for c in t.counts})
    result = await reports.rollup(ctx.session, root, start, end, deadline=deadline, count_ids=count_ids)
    lines = [root.name]
    named = [(reports.own_team_name(ctx.tr, r.unit.name) if r.own_team else r.unit.name, r) for r in result.units]
    for name, row in named + [(ctx.t("Total"), result.total)]:
        if row.reports is None:
            figures = ctx.t("no reports yet")
        else:
            figures = ctx.tn("{n} person helped", "{n} people helped", row.people or 0)
        lines.append(ctx.t("{unit}: {done}/{teams} teams reported · {figures}", unit=name,
                           done=ctx.tr.number(row.reported), teams=ctx.tr.number(row.expected), figures=figures))
    missing = await reports.teams_without_report(ctx.session, root, start, end)
    if missing:
        lines += ["", ctx.t("Teams that have not reported yet this month:"), _list(ctx, [t.name for t in missing])]
    return lines


async def on_units(ctx: Context) -> None:
    """Whoever may view units: leaders their team, officers and admins the roll-up of their subtree."""
    actor = await access.actor_for_member(ctx.session, ctx.member)
    if not access.can(actor, Action.VIEW):
        await ctx.show_menu()
        return
    end = today(ctx)
    start = end.replace(day=1)
    view = _leader_view if actor.role is Role.LEADER else _officer_view
    ctx.finish()
    ctx.reply("\n".join(await view(ctx, actor, start, end)), [[ctx.button("menu:main", "🏠 Menu")]])


def register(router: Router) -> None:
    router.payload("menu:units")(on_units)
    router.command("units", "donvi")(on_units)
