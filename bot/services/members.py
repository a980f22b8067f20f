"""Members: joining a team, linking a second messenger, guessing protection, roles."""

import re
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ROLES, ChannelAccount, InviteAttempt, LinkCode, Member, OrgUnit, Team
from bot.services.org import in_subtree
from bot.services.roster import new_invite_code

MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(hours=1)
LINK_CODE_TTL = timedelta(minutes=10)
_PHONE_DIGITS = re.compile(r"[\s.\-()]")
_NAME_EXTRA = set(" .'-")


def clean_name(raw: str) -> str | None:
    """A full name of 2–80 characters, letters (any script) with spaces, dots, hyphens, apostrophes."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not 2 <= len(name) <= 80:
        return None
    if not all(ch.isalpha() or ch in _NAME_EXTRA or unicodedata.category(ch) == "Mn" for ch in name):
        return None
    return name if sum(ch.isalpha() for ch in name) >= 2 else None


def clean_phone(raw: str) -> str | None:
    """Vietnamese mobile numbers `0xxxxxxxxx`, `84xxxxxxxxx` or `+84xxxxxxxxx`, stored as +84…"""
    digits = _PHONE_DIGITS.sub("", raw.strip())
    if digits.startswith("+84"):
        rest = digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        rest = digits[2:]
    elif digits.startswith("0"):
        rest = digits[1:]
    else:
        return None
    if len(rest) == 9 and rest.isdigit() and rest[0] in "35789":
        return "+84" + rest
    return None


def looks_like_code(text: str) -> bool:
    compact = text.strip().replace(" ", "").replace("-", "")
    return len(compact) == 8 and compact.isalnum()


def normalise_code(text: str) -> str:
    return text.strip().replace(" ", "").replace("-", "").upper()


async def wrong_code_lock(session: AsyncSession, channel: str, external_id: str, now: datetime) -> datetime | None:
    """When this chat typed too many wrong codes in the last hour: the time it may try again."""
    since = now - WRONG_CODE_WINDOW
    query = (
        select(InviteAttempt.at)
        .where(InviteAttempt.channel == channel, InviteAttempt.external_id == external_id, InviteAttempt.at > since)
        .order_by(InviteAttempt.at.desc())
        .limit(MAX_WRONG_CODES)
    )
    recent = list((await session.execute(query)).scalars())
    if len(recent) < MAX_WRONG_CODES:
        return None
    return recent[-1] + WRONG_CODE_WINDOW


async def record_wrong_code(session: AsyncSession, channel: str, external_id: str, now: datetime) -> int:
    """Count a wrong code; returns how many tries are left in this hour."""
    session.add(InviteAttempt(channel=channel, external_id=external_id, at=now))
    await session.flush()
    query = select(func.count()).select_from(InviteAttempt).where(
        InviteAttempt.channel == channel, InviteAttempt.external_id == external_id,
        InviteAttempt.at > now - WRONG_CODE_WINDOW,
    )
    return max(0, MAX_WRONG_CODES - (await session.scalar(query)))


async def join(session: AsyncSession, *, team_id: int, full_name: str, phone: str | None, locale: str,
               channel: str, external_id: str, now: datetime) -> Member:
    """Create the member and their first channel account."""
    member = Member(full_name=full_name, team_id=team_id, phone=phone, locale=locale, created_at=now,
                    last_seen_at=now)
    session.add(member)
    await session.flush()
    session.add(ChannelAccount(member_id=member.id, channel=channel, external_id=external_id, linked_at=now))
    await session.flush()
    return member


async def new_link_code(session: AsyncSession, member_id: int, now: datetime) -> LinkCode:
    """A one-time code, valid 10 minutes, to join another messenger account to this member."""
    code = new_invite_code()
    while await session.scalar(select(func.count()).select_from(LinkCode).where(LinkCode.code == code)):
        code = new_invite_code()
    link = LinkCode(code=code, member_id=member_id, expires_at=now + LINK_CODE_TTL)
    session.add(link)
    await session.flush()
    return link


async def use_link_code(session: AsyncSession, code: str, channel: str, external_id: str,
                        now: datetime) -> Member | None:
    """Link this chat to the code's member; None when the code is wrong, used or expired."""
    link = (await session.execute(select(LinkCode).where(LinkCode.code == normalise_code(code)))).scalar_one_or_none()
    if link is None or link.used or link.expires_at <= now:
        return None
    link.used = True
    session.add(ChannelAccount(member_id=link.member_id, channel=channel, external_id=external_id, linked_at=now))
    await session.flush()
    return await session.get(Member, link.member_id)


async def team_of(session: AsyncSession, member: Member) -> tuple[Team, OrgUnit]:
    team = await session.get(Team, member.team_id)
    return team, await session.get(OrgUnit, team.unit_id)


async def promote(session: AsyncSession, member_id: int, role: str) -> Member:
    """Set a member's role (member / leader / officer / admin)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    member = await session.get(Member, member_id)
    if member is None:
        raise LookupError(f"no member with id {member_id}")
    member.role = role
    return member


async def listing(session: AsyncSession, root: OrgUnit | None) -> list[tuple]:
    """(id, name, role, team, channels) for `cdsbot members list`, optionally one subtree."""
    channels = func.group_concat(ChannelAccount.channel) if session.bind.dialect.name == "sqlite" \
        else func.string_agg(ChannelAccount.channel, ",")
    query = (
        select(Member.id, Member.full_name, Member.role, Team.name, channels)
        .join(Team, Member.team_id == Team.id)
        .join(OrgUnit, Team.unit_id == OrgUnit.id)
        .outerjoin(ChannelAccount, ChannelAccount.member_id == Member.id)
        .group_by(Member.id, Member.full_name, Member.role, Team.name)
        .order_by(Member.id)
    )
    if root is not None:
        query = query.where(in_subtree(root))
    return [tuple(row) for row in await session.execute(query)]
