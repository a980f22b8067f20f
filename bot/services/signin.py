"""Signing in to the console: one-time links sent through the person's messenger, passwords for staff, rate limits.

Only the SHA-256 of a link's token is stored; a link works once, for ten minutes. Attempts are
counted per account and per address: too many and the account (or the address) waits.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Outbound
from bot.db.console import ConsoleAccount, SigninAttempt, SigninToken
from bot.db.models import ChannelAccount, Member
from bot.delivery import queue
from bot.i18n import Translator
from bot.services import accounts
from bot.services.members import clean_phone
from bot.services.usernames import clean_username

TOKEN_TTL = timedelta(minutes=10)
WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5  # link requests and wrong passwords per account in WINDOW
MAX_PER_ADDRESS = 20  # any attempt from one address in WINDOW
KEEP_ATTEMPTS = timedelta(days=1)


@dataclass(frozen=True)
class Locked:
    """Too many attempts: `account` tells whether the account (True) or the address (False) waits, until when."""

    account: bool
    until: datetime


def token_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256 (a database leak gives no working link)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def find_account(session: AsyncSession, identifier: str) -> ConsoleAccount | None:
    """The active account of the person who typed a phone number or messenger username (members) or an email (staff)."""
    query = _account_query(identifier)
    if query is None:
        return None
    account = (await session.execute(query.limit(1))).scalar_one_or_none()
    return account if account is not None and account.active else None


def _account_query(identifier: str):
    """The query for the account behind an email, a phone number or a username; None when it is none of them."""
    email, phone, username = accounts.clean_email(identifier), clean_phone(identifier), clean_username(identifier)
    if email is not None:
        return select(ConsoleAccount).where(ConsoleAccount.email == email)
    if phone is not None:
        return select(ConsoleAccount).join(Member, ConsoleAccount.member_id == Member.id).where(Member.phone == phone)
    if username is not None:
        return (select(ConsoleAccount).join(ChannelAccount, ConsoleAccount.member_id == ChannelAccount.member_id)
                .where(ChannelAccount.username == username))
    return None


def looks_like_person(identifier: str) -> bool:
    """Whether the sign-in page can look this up: a phone number or a messenger username."""
    return clean_phone(identifier) is not None or clean_username(identifier) is not None


async def _locked_until(session: AsyncSession, where, limit: int, now: datetime) -> datetime | None:
    """When the oldest of the last `limit` counted attempts leaves the window, if there are that many."""
    query = (select(SigninAttempt.at).where(where, SigninAttempt.at > now - WINDOW)
             .order_by(SigninAttempt.at.desc()).limit(limit))
    recent = list((await session.execute(query)).scalars())
    return recent[-1] + WINDOW if len(recent) >= limit else None


async def locked(session: AsyncSession, account: ConsoleAccount | None, address: str, now: datetime) -> Locked | None:
    """Whether this account or this address must wait before trying again."""
    if account is not None:
        until = await _locked_until(session, (SigninAttempt.account_id == account.id) & ~SigninAttempt.ok,
                                    MAX_PER_ACCOUNT, now)
        if until is not None:
            return Locked(True, until)
    until = await _locked_until(session, SigninAttempt.address == address, MAX_PER_ADDRESS, now)
    return Locked(False, until) if until is not None else None


def count_attempt(session: AsyncSession, account: ConsoleAccount | None, address: str, now: datetime,
                  ok: bool = False) -> None:
    """Count one attempt (a link asked for, a password tried) in the caller's transaction."""
    session.add(SigninAttempt(account_id=account.id if account else None, address=address[:64], ok=ok, at=now))


async def issue_link(session: AsyncSession, account: ConsoleAccount, now: datetime) -> str:
    """A new one-time token for the account; the caller builds the URL and commits."""
    token = secrets.token_urlsafe(32)
    session.add(SigninToken(token_hash=token_hash(token), account_id=account.id, expires_at=now + TOKEN_TTL))
    await session.flush()
    return token


async def peek_link(session: AsyncSession, token: str, now: datetime) -> ConsoleAccount | None:
    """The account a still-valid link belongs to, without using it up (link previews must not spend it)."""
    query = (select(ConsoleAccount).join(SigninToken, SigninToken.account_id == ConsoleAccount.id)
             .where(SigninToken.token_hash == token_hash(token), SigninToken.used_at.is_(None),
                    SigninToken.expires_at > now, ConsoleAccount.active))
    return (await session.execute(query)).scalar_one_or_none()


async def use_link(session: AsyncSession, token: str, now: datetime) -> ConsoleAccount | None:
    """Spend a link: its account if it was valid, unused and unexpired, else None (one use, even when raced)."""
    spend = (update(SigninToken)
             .where(SigninToken.token_hash == token_hash(token), SigninToken.used_at.is_(None),
                    SigninToken.expires_at > now)
             .values(used_at=now).returning(SigninToken.account_id))
    account_id = (await session.execute(spend)).scalar_one_or_none()
    return await accounts.active_account(session, account_id) if account_id is not None else None


async def send_link(session: AsyncSession, account: ConsoleAccount, url: str, now: datetime) -> list[str]:
    """Queue the link to every reachable messenger of the account's member; returns the channels used."""
    if account.member_id is None:
        return []
    member = await session.get(Member, account.member_id)
    query = select(ChannelAccount).where(ChannelAccount.member_id == account.member_id, ~ChannelAccount.unreachable)
    links = list((await session.execute(query)).scalars())
    tr = Translator(member.locale)
    text = tr.t("Your link to sign in to the cdsbot console (valid for 10 minutes, one use):\n{url}\n"
                "If you did not ask for it, ignore this message.", url=url)
    for link in links:
        queue.enqueue(session, link.channel, link.external_id, Outbound(text), member_id=member.id, now=now)
    return sorted({link.channel for link in links})


async def prune(session: AsyncSession, now: datetime) -> None:
    """Forget spent or expired links and old attempts (run at start-up)."""
    await session.execute(delete(SigninToken).where(or_(SigninToken.used_at.is_not(None),
                                                        SigninToken.expires_at < now)))
    await session.execute(delete(SigninAttempt).where(SigninAttempt.at < now - KEEP_ATTEMPTS))

