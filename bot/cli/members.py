"""`cdsbot members promote|list|reach`: roles, the member list and who can be reached now."""

from bot.cli.common import CliError, unit_or_none, with_session, write_csv
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Translator
from bot.services import audit, members, reachability
from bot.services.access import Role
from bot.services.reports import own_team_name


async def cmd_members_promote(settings: Settings, args) -> None:
    """Set a member's role."""

    async def work(session):
        try:
            member, _channels = await members.set_role(session, args.member, args.role,
                                                       members.Acting(None, audit.COMMAND_LINE, "cli"), Clock().now())
        except (ValueError, LookupError) as exc:
            raise CliError(str(exc)) from None
        await session.commit()  # the running service's outbox sends the member's notice
        return member

    member = await with_session(settings, work)
    print(f"{member.full_name} (#{member.id}) is now {member.role}")


async def cmd_members_list(settings: Settings, args) -> None:
    """Members of a subtree with their ids, as CSV."""

    async def work(session):
        return await members.listing(session, await unit_or_none(session, args.code))

    write_csv(["id", "full_name", "role", "team", "channels"], await with_session(settings, work))


async def cmd_members_reach(settings: Settings, args) -> None:
    """Members reachable now on each channel, per child unit, as CSV."""

    async def work(session):
        return await reachability.reach(session, await unit_or_none(session, args.code), Clock().now())

    rows = await with_session(settings, work)
    channels = sorted({channel for row in rows for channel in row.by_channel})
    english = Translator("en")
    write_csv(["unit_code", "unit_name", "members", *channels],
              ([row.code, own_team_name(english, row.name) if row.own_team else row.name, row.members,
                *(row.by_channel.get(c, 0) for c in channels)] for row in rows))


def add_commands(commands) -> None:
    """Register `members …`."""
    mem = commands.add_parser("members", help="members").add_subparsers(dest="sub", required=True)
    promote = mem.add_parser("promote", help="set a member's role")
    promote.add_argument("member", type=int, help="member id (see `cdsbot members list`)")
    promote.add_argument("--role", required=True, choices=[role.value for role in Role])
    promote.set_defaults(func=cmd_members_promote)
    listing = mem.add_parser("list", help="members with ids, as CSV")
    listing.add_argument("code", nargs="?", help="only this unit's subtree")
    listing.set_defaults(func=cmd_members_list)
    reach = mem.add_parser("reach", help="members reachable now on each channel, per unit (CSV)")
    reach.add_argument("code", nargs="?", help="the unit whose child units to list (default: the province)")
    reach.set_defaults(func=cmd_members_reach)
