"""Messenger usernames (Telegram's public @name) kept on channel accounts, so people can sign in with them.

A username belongs to one account at a time: Telegram lets people give theirs up and others take it.
"""

import re

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelAccount

_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")  # Telegram: 5 to 32 letters, digits, underscores


def clean_username(raw: str | None) -> str | None:
    """'@Lan_CDS' or 'lan_cds' → 'lan_cds'; None when it cannot be a username."""
    match = _USERNAME.fullmatch((raw or "").strip())
    return match.group(1).lower() if match else None


async def note(session: AsyncSession, account: ChannelAccount | None, raw: str | None) -> None:
    """Keep the username an account just showed, taking it from any other account that had it."""
    username = clean_username(raw)
    if account is None or username is None or account.username == username:
        return
    await session.execute(update(ChannelAccount).where(ChannelAccount.username == username,
                                                       ChannelAccount.id != account.id)
                          .values(username=None).execution_options(synchronize_session="fetch"))
    account.username = username


async def account_of(session: AsyncSession, channel: str, external_id: str) -> ChannelAccount | None:
    """The channel account of a chat, if it is registered."""
    query = select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.external_id == external_id)
    return (await session.execute(query)).scalar_one_or_none()
