"""`cdsbot teams invites|sheets`: the invite codes to hand out, as CSV or as printable QR cards."""


from bot.cli.common import CliError, output_file, unit_or_none, with_session, write_csv
from bot.config import Settings
from bot.i18n import Translator
from bot.services import invite_sheets, org


async def cmd_teams_invites(settings: Settings, args) -> None:
    """Teams of a subtree with their invite codes."""

    async def work(session):
        return await org.teams_in(session, await unit_or_none(session, args.code))

    rows = await with_session(settings, work)
    write_csv(["unit_code", "unit_name", "team", "invite_code"],
              ([unit.code, unit.name, team.name, team.invite_code] for team, unit in rows))


async def cmd_teams_sheets(settings: Settings, args) -> None:
    """An A4 PDF with a QR invite card for every team below a unit."""

    async def work(session):
        root = await unit_or_none(session, args.code)
        try:
            return await invite_sheets.sheet_for(session, root, settings)
        except invite_sheets.SheetError as exc:
            raise CliError(Translator("en").t(exc.message, **exc.values)) from None

    pdf = await with_session(settings, work)
    out = output_file(args.output or invite_sheets.file_name_for(args.code))
    out.write_bytes(pdf)
    missing = [name for name, link in invite_sheets.links_for(settings, "X").items() if link is None]
    print(f"wrote {out}" + (f" (no QR code for {', '.join(missing)}: not configured)" if missing else ""))


def add_commands(commands) -> None:
    """Register `teams invites` and `teams sheets`."""
    teams = commands.add_parser("teams", help="teams").add_subparsers(dest="sub", required=True)
    inv = teams.add_parser("invites", help="teams with their invite codes, as CSV")
    inv.add_argument("code", nargs="?")
    inv.set_defaults(func=cmd_teams_invites)
    sheets = teams.add_parser("sheets", help="printable A4 PDF of QR invite cards for the teams below a unit")
    sheets.add_argument("code", help="the unit's code (e.g. a commune)")
    sheets.add_argument("-o", "--output", help="the PDF file to write (default: invite-sheets-CODE.pdf)")
    sheets.set_defaults(func=cmd_teams_sheets)
