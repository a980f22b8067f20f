"""Links to local photos we send: a random token under our own URL, the only files such a route serves.

The links live in the database (`media_link`), so whichever process answers the request serves the
file: Zalo's servers fetch what the Zalo Bot sent, the web chat page loads what any process pushed. A
link lives `LIFETIME`; expired ones are deleted now and then. Without a database (tests, a bare
channel) the links are this process's own.
"""

import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from bot.clock import Clock
from bot.db.session import Database
from bot.db.shared import MediaLink

log = logging.getLogger(__name__)

LIFETIME = timedelta(days=30)  # a member may open the web chat, or Zalo fetch the photo, long after the send
REUSE_FOR = timedelta(days=7)  # a link with less left than this is not handed out again: a new one is made
PRUNE_EVERY = timedelta(hours=1)
TOKEN_BYTES = 18  # 24 URL-safe characters


class MediaLinks:
    """Tokens for one channel's local files; the same file keeps its link while it has time left."""

    def __init__(self, channel: str, db: Database | None = None, clock: Clock | None = None):
        self.channel = channel
        self.db = db
        self.clock = clock or Clock()
        self._made: dict[Path, tuple[str, datetime]] = {}  # links this process made or found, with their expiry
        self._pruned: datetime | None = None

    async def token_for(self, path: Path) -> str:
        """The token under which `path` (an existing local file) is served."""
        now = self.clock.now()
        known = self._made.get(path)
        if known is not None and known[1] - now > REUSE_FOR:
            return known[0]
        link = (secrets.token_urlsafe(TOKEN_BYTES), now + LIFETIME)
        if self.db is not None:
            link = await self._stored(path, link, now)
        self._made[path] = link
        return link[0]

    async def path_of(self, token: str) -> Path | None:
        """The file a token serves, if it is one of ours and has not expired."""
        now = self.clock.now()
        if self.db is None:
            return next((path for path, (made, expires) in self._made.items() if made == token and expires > now),
                        None)
        async with self.db.session() as session:
            path = await session.scalar(select(MediaLink.path).where(
                MediaLink.token == token, MediaLink.channel == self.channel, MediaLink.expires_at > now))
        return Path(path) if path is not None else None

    async def _stored(self, path: Path, link: tuple[str, datetime], now: datetime) -> tuple[str, datetime]:
        """A link another process made for the file, with time left; else `link`, stored. Expired ones go."""
        async with self.db.session() as session:
            if self._pruned is None or now - self._pruned >= PRUNE_EVERY:
                removed = (await session.execute(delete(MediaLink).where(MediaLink.expires_at <= now))).rowcount
                self._pruned = now
                if removed:
                    log.info("deleted %d expired media links", removed)
            found = (await session.execute(
                select(MediaLink.token, MediaLink.expires_at)
                .where(MediaLink.channel == self.channel, MediaLink.path == str(path),
                       MediaLink.expires_at > now + REUSE_FOR)
                .order_by(MediaLink.expires_at.desc()).limit(1))).first()
            if found is None:
                session.add(MediaLink(token=link[0], channel=self.channel, path=str(path), expires_at=link[1]))
            await session.commit()
        return (found.token, found.expires_at) if found is not None else link
