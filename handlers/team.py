"""My team: name, place in the tree, how many members, who leads it."""

from sqlalchemy import func, select

from bot.core.context import Context
from bot.core.router import Router
from bot.db.models import Member
from bot.services import members, org, reports
from bot.services.access import Role
from handlers.report_draft import today


async def on_team(ctx: Context) -> None:
    if ctx.member is None:
        await ctx.show_menu()
        return
    team, unit = await members.team_of(ctx.session, ctx.member)
    count = await ctx.session.scalar(select(func.count()).select_from(Member).where(Member.team_id == team.id))
    leaders = (await ctx.session.execute(
        select(Member.full_name).where(Member.team_id == team.id, Member.role == Role.LEADER).order_by(Member.id)
    )).scalars().all()
    lines = [
        team.name,
        await org.unit_label(ctx.session, unit),
        ctx.tn("{n} member", "{n} members", count),
        ctx.t("Leader: {names}", names=", ".join(leaders)) if leaders else ctx.t("Leader: not set yet"),
        _month(ctx, *await reports.team_period(ctx.session, team.id, today(ctx).replace(day=1), today(ctx))),
    ]
    ctx.reply("\n".join(lines), [[ctx.button("menu:main", "🏠 Menu")]])


def _month(ctx: Context, count: int, people: int) -> str:
    """This month's reports and people helped, for the team's page."""
    return ctx.tn("This month: {n} report", "This month: {n} reports", count) + " · " + \
        ctx.tn("{n} person helped", "{n} people helped", people)


def register(router: Router) -> None:
    router.command("team", "tocuatoi")(on_team)
    router.payload("menu:team")(on_team)
    router.keyword("to cua toi", "my team", "to")(on_team)
