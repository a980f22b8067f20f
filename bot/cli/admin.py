"""`cdsbot admin add|link`: console accounts from the command line (the console's Accounts page does the same)."""

import getpass
import secrets
import sys

from pydantic import SecretStr

from bot.cli.common import CliError, with_session
from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.db.console import CONSOLE_ROLES, ConsoleAccount
from bot.i18n import Translator
from bot.services import accounts, audit, signin
from bot.services.audit import AuditAction


def _password(args) -> str:
    """The staff password: asked twice on a terminal, else one line read from standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if first != getpass.getpass("Same password again: "):
        raise CliError("the two passwords differ; nothing was added")
    return first


async def _add(session, args, now) -> ConsoleAccount:
    if args.member is not None:
        return await accounts.add_member_account(session, args.member, role=args.role, unit_code=args.unit, now=now)
    if not (args.name and args.unit):
        raise CliError("--email needs --name and --unit too")
    return await accounts.add_staff_account(session, email=args.email, name=args.name, unit_code=args.unit,
                                            role=args.role, password=_password(args), now=now)


async def cmd_admin_add(settings: Settings, args) -> None:
    """Add a console account for a roster member (`--member`) or for staff (`--email`, with a password)."""

    async def work(session):
        now = Clock().now()
        try:
            account = await _add(session, args, now)
        except accounts.AccountError as exc:
            raise CliError(Translator("en").t(exc.message, **exc.values)) from None
        await audit.record_command(session, AuditAction.ACCOUNT_ADDED, target=f"{account.name} ({account.role})",
                                   unit_path=await accounts.scope_path(session, account))
        await session.commit()
        return account

    account = await with_session(settings, work)
    how = "with their password" if account.email else "through a link sent to their messenger"
    print(f"console account #{account.id}: {account.name}, {account.role}; signs in {how}")


async def cmd_admin_link(settings: Settings, args) -> None:
    """Print a one-time sign-in link for an account (valid 10 minutes), e.g. for someone without a messenger."""

    async def work(session):
        account = await session.get(ConsoleAccount, args.account)
        if account is None or not account.active:
            raise CliError(f"no active console account #{args.account}")
        token = await signin.issue_link(session, account, Clock().now())
        await session.commit()
        return token

    token = await with_session(settings, work)
    base = settings.public_url.rstrip("/") or f"http://{settings.web_host}:{settings.web_port}"
    print(f"{base}/admin/signin/t/{token}")


def refuse_without_console_key(settings: Settings) -> None:
    """`cdsbot run` stops here, naming the variable, when the console is on without a proper key."""
    problem = settings.console_secret_problem()
    if problem is not None:
        raise ConfigError(problem)


def with_demo_key(settings: Settings) -> Settings:
    """`cdsbot demo` makes up a console key for this run when none (or a weak one) is configured."""
    if settings.console_secret_problem() is None:
        return settings
    return settings.model_copy(update={"console_secret": SecretStr(secrets.token_urlsafe(32))})


async def demo_signin_link(app) -> str | None:
    """A one-time sign-in link for the demo admin (province scope), created on first use; None without a console."""
    if not app.settings.console:
        return None
    async with app.db.session() as session:
        account = await accounts.demo_admin(session, app.clock.now())
        token = await signin.issue_link(session, account, app.clock.now())
        await session.commit()
    return f"{app.url}/admin/signin/t/{token}"


def add_commands(commands) -> None:
    """Register `admin …`."""
    admin = commands.add_parser("admin", help="console accounts").add_subparsers(dest="sub", required=True)
    add = admin.add_parser("add", help="add a console account (officer or admin)")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", type=int, help="a roster member's id (see `cdsbot members list`)")
    who.add_argument("--email", help="staff without a messenger: signs in with email and password")
    add.add_argument("--name", help="full name (with --email)")
    add.add_argument("--role", choices=CONSOLE_ROLES, default="officer")
    add.add_argument("--unit", help="unit code of the scope (default for --member: their team's unit)")
    add.set_defaults(func=cmd_admin_add)
    link = admin.add_parser("link", help="print a one-time sign-in link for an account")
    link.add_argument("account", type=int, help="console account number")
    link.set_defaults(func=cmd_admin_link)
