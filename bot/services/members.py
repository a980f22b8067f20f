"""Members: joining a team, linking a second messenger, guessing protection, roles."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Outbound
from bot.db.models import ChannelAccount, InviteAttempt, LinkCode, Member, OrgUnit, Team
from bot.i18n import N_, Translator
from bot.services import access, audit, review_queue
from bot.services.access import Action, Actor, Role
from bot.services.org import in_subtree
from bot.services.roster import new_invite_code

MAX_WRONG_CODES = 5  # per chat and hour
MAX_WRONG_PER_SOURCE = 20  # per source address and hour: new web chats from one address share these
WRONG_CODE_WINDOW = timedelta(hours=1)
LINK_CODE_TTL = timedelta(minutes=10)
FOUND_LIMIT = 50  # members shown for one search
ROLE_NAMES = {Role.MEMBER: N_("member"), Role.LEADER: N_("team leader"), Role.OFFICER: N_("officer"),
              Role.ADMIN: N_("admin")}
ROLE_TOLD = N_("Your role in {team} is now: {role}.")
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


def _guessers(channel: str, external_id: str, source: str | None) -> list[tuple[tuple, int]]:
    """(condition, allowed wrong codes an hour): the chat, and its source address where the channel knows it."""
    limits = [((InviteAttempt.channel == channel, InviteAttempt.external_id == external_id), MAX_WRONG_CODES)]
    if source:
        limits.append(((InviteAttempt.source == source,), MAX_WRONG_PER_SOURCE))
    return limits


async def wrong_code_lock(session: AsyncSession, channel: str, external_id: str, now: datetime,
                          source: str | None = None) -> datetime | None:
    """When this chat (or its address) typed too many wrong codes in the last hour: the time it may try again."""
    locks = []
    for condition, allowed in _guessers(channel, external_id, source):
        query = (select(InviteAttempt.at).where(*condition, InviteAttempt.at > now - WRONG_CODE_WINDOW)
                 .order_by(InviteAttempt.at.desc()).limit(allowed))
        recent = list((await session.execute(query)).scalars())
        if len(recent) >= allowed:
            locks.append(recent[-1] + WRONG_CODE_WINDOW)
    return max(locks, default=None)


async def record_wrong_code(session: AsyncSession, channel: str, external_id: str, now: datetime,
                            source: str | None = None) -> int:
    """Count a wrong code; returns how many tries are left in this hour (the fewer of chat and address)."""
    session.add(InviteAttempt(channel=channel, external_id=external_id, source=source, at=now))
    await session.flush()
    left = []
    for condition, allowed in _guessers(channel, external_id, source):
        query = select(func.count()).select_from(InviteAttempt).where(*condition,
                                                                      InviteAttempt.at > now - WRONG_CODE_WINDOW)
        left.append(max(0, allowed - (await session.scalar(query))))
    return min(left)


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


async def claim_link_code(session: AsyncSession, code: str, channel: str, external_id: str,
                          now: datetime) -> LinkCode | None:
    """This chat typed a live link code: it waits for the member's confirmation; None for a wrong, used,
    expired code, or one another chat already claimed."""
    link = (await session.execute(select(LinkCode).where(LinkCode.code == normalise_code(code)))).scalar_one_or_none()
    if link is None or link.used or link.expires_at <= now:
        return None
    if link.candidate_channel is not None and (link.candidate_channel, link.candidate_id) != (channel, external_id):
        return None
    if link.candidate_channel is None:  # the member has the full ten minutes to confirm
        link.candidate_channel, link.candidate_id, link.expires_at = channel, external_id, now + LINK_CODE_TTL
    await session.flush()
    return link


async def pending_link_answer(session: AsyncSession, member_id: int, prefix: str, now: datetime) -> str:
    """The button payload (`prefix` + id) answering the member's newest claimed link code; just `prefix` if none."""
    link_id = await session.scalar(select(LinkCode.id).where(
        LinkCode.member_id == member_id, ~LinkCode.used, LinkCode.candidate_id.is_not(None), LinkCode.expires_at > now,
    ).order_by(LinkCode.id.desc()).limit(1))
    return f"{prefix}{link_id or ''}"


async def settle_link(session: AsyncSession, link_id: int, member_id: int, accept: bool,
                      now: datetime) -> LinkCode | None:
    """The member confirms (or refuses) a claimed link code of theirs; None when it is not theirs, expired,
    settled, or the chat that claimed it has meanwhile registered. The code is spent either way."""
    link = await session.get(LinkCode, link_id)
    if link is None or link.member_id != member_id or link.used or link.candidate_id is None:
        return None
    link.used = True
    taken = await session.scalar(select(func.count()).select_from(ChannelAccount).where(
        ChannelAccount.channel == link.candidate_channel, ChannelAccount.external_id == link.candidate_id))
    if link.expires_at <= now or taken:
        return None
    if accept:
        session.add(ChannelAccount(member_id=member_id, channel=link.candidate_channel,
                                   external_id=link.candidate_id, linked_at=now))
    await session.flush()
    return link


async def team_of(session: AsyncSession, member: Member) -> tuple[Team, OrgUnit]:
    team = await session.get(Team, member.team_id)
    return team, await session.get(OrgUnit, team.unit_id)


async def promote(session: AsyncSession, member_id: int, role: str, by: Actor | None = None) -> Member:
    """Set a member's role (member / leader / officer / admin); `by` (None: the server's CLI) must manage them."""
    if role not in tuple(Role):
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(Role)}")
    member = await session.get(Member, member_id)
    if member is None:
        raise LookupError(f"no member with id {member_id}")
    if by is not None:
        _team, unit = await team_of(session, member)
        access.require(by, Action.MANAGE, unit.path)
    member.role = Role(role)
    return member


@dataclass(frozen=True)
class Acting:
    """Who changes a role, for the access check and the audit log (`actor` None: the server's command line)."""

    actor: Actor | None
    name: str
    address: str


async def set_role(session: AsyncSession, member_id: int, role: str, by: Acting, now: datetime
                   ) -> tuple[Member, set[str]]:
    """Promote or demote (checked), tell the member in their language through the outbox, and audit it.

    The one way the CLI and the console change roles; the caller commits, then wakes the returned channels.
    """
    member = await promote(session, member_id, role, by=by.actor)
    team, unit = await team_of(session, member)
    await audit.record(session, actor_account_id=by.actor.account_id if by.actor else None, actor_name=by.name,
                       action=audit.AuditAction.MEMBER_PROMOTED, target=f"{member.full_name} → {member.role}",
                       unit_path=unit.path, address=by.address, detail={"member": member.id}, at=now)
    tr = Translator(member.locale)
    notice = Outbound(tr.t(ROLE_TOLD, team=team.name, role=tr.t(ROLE_NAMES[Role(member.role)])))
    return member, await review_queue.deliver(session, [(member.id, notice)], now)


@dataclass(frozen=True)
class Found:
    """A member found by the console's search, with where they belong and how they can be reached."""

    id: int
    full_name: str
    role: str
    phone: str | None
    team: str
    unit_code: str
    unit_path: str
    channels: list[str]


def _matches(text: str, unit: OrgUnit | None):
    """Name (or unit name) containing the text, a phone number containing its digits, or the unit's subtree."""
    found = [Member.full_name.icontains(text, autoescape=True), OrgUnit.name.icontains(text, autoescape=True)]
    digits = _PHONE_DIGITS.sub("", text).removeprefix("+")
    if len(digits) >= 4 and digits.isdigit():
        found.append(Member.phone.contains(digits[1:] if digits[0] == "0" else digits.removeprefix("84")))
    if unit is not None:
        found.append(in_subtree(unit))
    return or_(*found)


async def search(session: AsyncSession, actor: Actor, text: str, limit: int = FOUND_LIMIT) -> list[Found]:
    """Members in the actor's scope matching a name, phone number or unit (code or name); all of them when empty."""
    text = " ".join(text.split())[:80]
    query = (select(Member, Team.name, OrgUnit.code, OrgUnit.path).join(Team, Member.team_id == Team.id)
             .join(OrgUnit, Team.unit_id == OrgUnit.id).where(access.scope_clause(actor, OrgUnit.path))
             .order_by(Member.full_name, Member.id).limit(limit))
    if text:
        unit = (await session.execute(select(OrgUnit).where(OrgUnit.code == text))).scalar_one_or_none()
        query = query.where(_matches(text, unit))
    rows = (await session.execute(query)).all()
    links: dict[int, list[str]] = {}
    channel_query = select(ChannelAccount.member_id, ChannelAccount.channel).where(
        ChannelAccount.member_id.in_([member.id for member, *_ in rows])).order_by(ChannelAccount.channel)
    for member_id, channel in await session.execute(channel_query):
        links.setdefault(member_id, []).append(channel)
    return [Found(m.id, m.full_name, m.role, m.phone, team, code, path, links.get(m.id, []))
            for m, team, code, path in rows]


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
