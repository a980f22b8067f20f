"""Console accounts: roster members (officers, admins) and staff with a password; the CLI and the console add them."""

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.console import CONSOLE_ROLES, ConsoleAccount
from bot.db.models import Member, OrgUnit, Team
from bot.i18n import N_
from bot.services import access
from bot.services.members import clean_name
from bot.services.org import is_live

MIN_PASSWORD = 10
DEMO_ADMIN = ("demo-admin@cdsbot.invalid", "Quản trị viên demo")  # `cdsbot demo` signs in as this admin
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}")
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A reason an account cannot be added, as a message id with values (translated where shown)."""

    def __init__(self, message: str, **values):
        super().__init__(message.format(**values))
        self.message, self.values = message, values


def hash_password(password: str) -> str:
    """Argon2id hash of a password (never stored in clear)."""
    return _hasher.hash(password)


def password_ok(account: ConsoleAccount, password: str) -> bool:
    """Whether the password matches the account's hash; accounts without one never match."""
    if not account.password_hash:
        _hasher.hash(password)  # same work either way, so timing does not tell
        return False
    try:
        return _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def clean_email(raw: str) -> str | None:
    """A lower-cased email address, or None when it does not look like one."""
    email = raw.strip().lower()
    return email if _EMAIL.fullmatch(email) else None


async def _unit(session: AsyncSession, code: str) -> OrgUnit:
    unit = (await session.execute(select(OrgUnit).where(OrgUnit.code == code.strip()))).scalar_one_or_none()
    if unit is None:
        raise AccountError(N_("No unit with code {code}."), code=code)
    if not is_live(unit):
        raise AccountError(N_("Unit {code} was retired in a reorganisation: choose the unit it became."), code=code)
    return unit


def _role(role: str) -> str:
    if role not in CONSOLE_ROLES:
        raise AccountError(N_("The role must be officer or admin."))
    return role


async def add_member_account(session: AsyncSession, member_id: int, *, role: str = "officer",
                             unit_code: str | None = None, now: datetime) -> ConsoleAccount:
    """A console account for a roster member, scoped to `unit_code` (default: their team's unit)."""
    member = await session.get(Member, member_id)
    if member is None:
        raise AccountError(N_("No member with number {id}."), id=member_id)
    taken = await session.scalar(select(func.count()).select_from(ConsoleAccount)
                                 .where(ConsoleAccount.member_id == member_id))
    if taken:
        raise AccountError(N_("{name} already has a console account."), name=member.full_name)
    if unit_code:
        unit_id = (await _unit(session, unit_code)).id
    else:
        unit_id = (await session.get(Team, member.team_id)).unit_id
    account = ConsoleAccount(member_id=member.id, name=member.full_name, role=_role(role), unit_id=unit_id,
                             locale=member.locale, created_at=now)
    session.add(account)
    await session.flush()
    return account


async def add_staff_account(session: AsyncSession, *, email: str, name: str, unit_code: str, role: str,
                            password: str, now: datetime) -> ConsoleAccount:
    """A console account for staff without a messenger: email and an Argon2-hashed password."""
    address, full_name = clean_email(email), clean_name(name)
    if address is None:
        raise AccountError(N_("That is not an email address."))
    if full_name is None:
        raise AccountError(N_("Type a full name of 2 to 80 letters."))
    if len(password) < MIN_PASSWORD:
        raise AccountError(N_("The password needs at least {n} characters."), n=MIN_PASSWORD)
    if await session.scalar(select(func.count()).select_from(ConsoleAccount).where(ConsoleAccount.email == address)):
        raise AccountError(N_("There is already an account for {email}."), email=address)
    unit = await _unit(session, unit_code)
    account = ConsoleAccount(email=address, name=full_name, role=_role(role), unit_id=unit.id,
                             password_hash=hash_password(password), created_at=now)
    session.add(account)
    await session.flush()
    return account


async def scope_path(session: AsyncSession, account: ConsoleAccount) -> str:
    """The path of the unit whose subtree the account holds."""
    return (await session.execute(select(OrgUnit.path).where(OrgUnit.id == account.unit_id))).scalar_one()


async def actor_of(session: AsyncSession, account: ConsoleAccount) -> access.Actor:
    """The account as the access rule sees it (admins hold the whole tree)."""
    role = access.Role(account.role)
    path = access.WHOLE_TREE if role is access.Role.ADMIN else await scope_path(session, account)
    return access.Actor(role, path, member_id=account.member_id, account_id=account.id)


async def active_account(session: AsyncSession, account_id: int) -> ConsoleAccount | None:
    """The account behind a session, unless it was removed or switched off."""
    account = await session.get(ConsoleAccount, account_id)
    return account if account is not None and account.active else None


async def listing(session: AsyncSession, actor: access.Actor) -> list[tuple[ConsoleAccount, OrgUnit]]:
    """Accounts whose scope lies in the actor's, with their units, by name."""
    query = (select(ConsoleAccount, OrgUnit).join(OrgUnit, ConsoleAccount.unit_id == OrgUnit.id)
             .where(access.scope_clause(actor, OrgUnit.path)).order_by(ConsoleAccount.name, ConsoleAccount.id))
    return [tuple(row) for row in await session.execute(query)]


def end_all_sessions(account: ConsoleAccount) -> None:
    """Sign the account out of every browser: sessions carry the version they were made with."""
    account.session_version += 1


async def has_admin(session: AsyncSession) -> bool:
    """Whether any active admin account exists (the demo adds one when not)."""
    query = select(func.count()).select_from(ConsoleAccount).where(ConsoleAccount.role == "admin",
                                                                  ConsoleAccount.active)
    return bool(await session.scalar(query))


async def demo_admin(session: AsyncSession, now: datetime) -> ConsoleAccount:
    """The demo's admin (province scope, no password: it signs in by the printed link), made on first use."""
    email, name = DEMO_ADMIN
    account = (await session.execute(select(ConsoleAccount).where(ConsoleAccount.email == email))).scalar_one_or_none()
    if account is None:
        province = (await session.execute(select(OrgUnit).where(OrgUnit.parent_id.is_(None))
                                          .order_by(OrgUnit.id).limit(1))).scalar_one()
        account = ConsoleAccount(email=email, name=name, role="admin", unit_id=province.id, created_at=now)
        session.add(account)
        await session.flush()
    return account
