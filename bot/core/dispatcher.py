"""The conversation core: one inbound message → one transaction → replies queued in the outbox.

Every channel feeds `Core.handle`. It drops re-delivered updates, loads the
conversation row and the member, routes to a handler, and stores the new
state and the replies together, so a crash never leaves half an answer.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.base import Channel
from bot.clock import Clock
from bot.core.context import Context
from bot.core.messages import MAX_TEXT, Inbound, Outbound
from bot.core.router import Router
from bot.db.models import ChannelAccount, Conversation, InboundSeen, Member
from bot.db.session import Database
from bot.delivery import queue
from bot.delivery.sender import Outbox
from bot.delivery.states import REPLY
from bot.services import usernames
from bot.text import fold

log = logging.getLogger(__name__)

MenuBuilder = Callable[[Context, str | None], Awaitable[None]]
# Platforms re-deliver an update within hours; an id last seen longer ago is a new message whose id
# sequence restarted (Telegram may restart update ids after a long quiet spell).
DEDUP_WINDOW = timedelta(hours=48)
PRUNE_EVERY = timedelta(hours=1)  # how often a process deletes ids older than the window


class StaleConversation(Exception):
    """Another process changed the conversation while we handled a message; handle it again."""


class Core:
    """Routes inbound messages to handlers and queues their replies."""

    def __init__(self, db: Database, router: Router, outbox: Outbox, channels: dict[str, Channel],
                 clock: Clock | None = None, default_locale: str = "vi", menu: MenuBuilder | None = None,
                 media_dir: Path = Path("var/media"), report_window_days: int = 31):
        self.db = db
        self.media_dir = Path(media_dir)  # where report photos are stored
        self.report_window_days = report_window_days  # how far back a report may be dated
        self.router = router
        self.outbox = outbox
        self.channels = channels
        self.clock = clock or Clock()
        self.default_locale = default_locale
        self.menu = menu
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._pruned_at: datetime | None = None

    async def handle(self, inbound: Inbound) -> None:
        """Handle one inbound message exactly once; never raises to the channel.

        An oversized message is refused at the door: its text goes no further than a length check, so one
        member's 10 MB paste cannot hold up everyone else's messages."""
        refused = inbound.oversized
        if refused:
            log.info("refused a %s message of %d characters", inbound.channel,
                     len(inbound.text or "") + len(inbound.payload or ""))
            inbound = replace(inbound, text=None, payload=None, photo=None, contact_phone=None)
        key = (inbound.channel, inbound.external_id)
        async with self._locks[key]:
            for _ in range(3):
                try:
                    await self._handle_once(inbound, refused)
                    break
                except StaleConversation:
                    continue
                except IntegrityError:
                    if await self._was_handled(inbound):
                        break
                    log.exception("integrity error on %s message %s", inbound.channel, inbound.message_id)
                    await self._recover(inbound)
                    break
                except Exception:
                    log.exception("handler failed on %s message %s (state before: see conversation row)",
                                  inbound.channel, inbound.message_id)
                    await self._recover(inbound)
                    break
        self.outbox.wake(inbound.channel)
        if not self._locks[key].locked():
            self._locks.pop(key, None)
        await self._prune_seen()

    async def _prune_seen(self) -> None:
        """Once an hour, delete message ids older than the de-duplication window; never raises."""
        now = self.clock.now()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        try:
            async with self.db.session() as session:
                await session.execute(delete(InboundSeen).where(InboundSeen.seen_at <= now - DEDUP_WINDOW))
                await session.commit()
        except Exception:
            log.exception("could not prune old inbound message ids")

    async def _was_handled(self, inbound: Inbound) -> bool:
        if not inbound.message_id:
            return False
        async with self.db.session() as session:
            return await self._seen(session, inbound)

    async def _handle_once(self, inbound: Inbound, refused: bool = False) -> None:
        async with self.db.session() as session:
            if not await self._first_time(session, inbound):
                return
            ctx = await self._context(session, inbound)
            if refused:
                self._refuse(ctx)
                await session.commit()
                return
            if await self._event(ctx):
                await session.commit()
                return
            handler = self.router.resolve(ctx)
            await handler(ctx)
            await self._note_username(ctx)
            await self._save(ctx)
            await session.commit()

    async def _first_time(self, session, inbound: Inbound) -> bool:
        """Record the platform message id; False when this update was handled within DEDUP_WINDOW.

        An id seen longer ago is taken over with a conditional update, so of two processes only one
        handles it; if a prune deleted it meanwhile, it is recorded afresh. A race on a new id ends in
        an IntegrityError at commit, which rolls the whole second handling back (see `handle`).
        """
        if not inbound.message_id:
            return True
        now = self.clock.now()
        same = (InboundSeen.channel == inbound.channel, InboundSeen.message_id == inbound.message_id)
        seen_at = (await session.execute(select(InboundSeen.seen_at).where(*same))).scalar_one_or_none()
        if seen_at is not None and seen_at > now - DEDUP_WINDOW:
            log.info("dropping re-delivered %s update %s", inbound.channel, inbound.message_id)
            return False
        if seen_at is not None:
            renewed = await session.execute(
                update(InboundSeen).where(*same, InboundSeen.seen_at <= now - DEDUP_WINDOW).values(seen_at=now)
                .execution_options(synchronize_session=False)
            )
            if renewed.rowcount == 1:
                return True
            if await self._seen(session, inbound):  # another process took it over just now
                return False
        session.add(InboundSeen(channel=inbound.channel, message_id=inbound.message_id, seen_at=now))
        return True

    async def _seen(self, session, inbound: Inbound) -> bool:
        """Was this message id handled within DEDUP_WINDOW?"""
        query = select(InboundSeen.id).where(
            InboundSeen.channel == inbound.channel, InboundSeen.message_id == inbound.message_id,
            InboundSeen.seen_at > self.clock.now() - DEDUP_WINDOW,
        )
        return (await session.execute(query)).first() is not None

    async def _context(self, session, inbound: Inbound) -> Context:
        now = self.clock.now()
        conversation = (await session.execute(select(Conversation).where(
            Conversation.channel == inbound.channel, Conversation.external_id == inbound.external_id
        ))).scalar_one_or_none()
        if conversation is None:
            conversation = Conversation(channel=inbound.channel, external_id=inbound.external_id, data={},
                                        updated_at=now)
            session.add(conversation)
            await session.flush()
        account = (await session.execute(select(ChannelAccount).where(
            ChannelAccount.channel == inbound.channel, ChannelAccount.external_id == inbound.external_id
        ))).scalar_one_or_none()
        member = await session.get(Member, account.member_id) if account else None
        if member is not None:
            member.last_seen_at = now
            account.unreachable = account.unreachable and inbound.event == "blocked"
        ctx = Context(self, session, inbound, conversation, account, member)
        ctx.payload = inbound.payload or self._numbered_choice(ctx)
        return ctx

    @staticmethod
    def _numbered_choice(ctx: Context) -> str | None:
        """A typed button label, or the number shown before it, picks that option.

        Numbers count on every channel: some show only a few buttons and number the rest.
        """
        labels = ctx.data.get("_labels") or {}
        if fold(ctx.text) in labels:
            return labels[fold(ctx.text)]
        if ctx.state in ctx.core.router.numeric_states:
            return None
        return (ctx.data.get("_options") or {}).get(ctx.text)

    @staticmethod
    def _refuse(ctx: Context) -> None:
        """Tell the member their message was too long; the conversation (state, options shown) stays as it was."""
        text = ctx.t("Your message is too long for me to read. Please send at most {n} characters at a time.",
                     n=ctx.tr.number(MAX_TEXT))
        queue.enqueue(ctx.session, ctx.inbound.channel, ctx.inbound.external_id, Outbound(text),
                      member_id=ctx.member.id if ctx.member else None, priority=REPLY, now=ctx.now)

    async def _event(self, ctx: Context) -> bool:
        """Platform events (blocked / unblocked) change reachability and need no answer."""
        event = ctx.inbound.event
        if event is None:
            return False
        if ctx.account is not None:
            ctx.account.unreachable = event == "blocked"
        return True

    @staticmethod
    async def _note_username(ctx: Context) -> None:
        """Keep the sender's username on their account, for signing in (a chat that just registered has one now)."""
        if ctx.inbound.username:
            account = ctx.account or await usernames.account_of(ctx.session, ctx.inbound.channel,
                                                                 ctx.inbound.external_id)
            await usernames.note(ctx.session, account, ctx.inbound.username)

    async def _save(self, ctx: Context) -> None:
        """Store the conversation (version-checked) and queue replies and notices.

        Buttons are kept as they are: the outbox numbers them for channels without buttons.
        """
        now = self.clock.now()
        options: dict[str, str] = {}
        labels = {fold(b.label): b.payload for m in ctx.replies for b in m.all_buttons()}
        await self._release_held(ctx)
        for message in ctx.replies:
            if message.buttons:
                options = message.numbered()[1]
            member_id = ctx.member.id if ctx.member else None
            queue.enqueue(ctx.session, ctx.inbound.channel, ctx.inbound.external_id, message,
                           member_id=member_id, priority=REPLY, now=now)
        ctx.data["_options"], ctx.data["_labels"] = options, labels
        for member_id, message in ctx.notices:
            await self.enqueue_for_member(ctx.session, member_id, message, priority=REPLY)
        conv = ctx.conversation
        result = await ctx.session.execute(
            update(Conversation)
            .where(Conversation.id == conv.id, Conversation.version == conv.version)
            .values(state=ctx.state, data=ctx.data, version=conv.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            await ctx.session.rollback()
            raise StaleConversation()

    async def _release_held(self, ctx: Context) -> None:
        """The member wrote: messages held for them here (outside a platform's window) go out now."""
        held = await queue.release_held(ctx.session, ctx.inbound.channel, ctx.inbound.external_id)
        if held:
            ctx.replies.insert(0, Outbound(ctx.tn("You have {n} new announcement:", "You have {n} new announcements:",
                                                  held)))

    async def enqueue_for_member(self, session, member_id: int, message: Outbound, priority: int) -> int:
        """Queue `message` to every reachable channel account of a member; returns how many."""
        accounts = (await session.execute(select(ChannelAccount).where(
            ChannelAccount.member_id == member_id, ~ChannelAccount.unreachable
        ))).scalars().all()
        for account in accounts:
            queue.enqueue(session, account.channel, account.external_id, message, member_id=member_id,
                           priority=priority, now=self.clock.now())
            self.outbox.wake(account.channel)
        return len(accounts)

    async def show_menu(self, ctx: Context, intro: str | None) -> None:
        if self.menu is not None:
            await self.menu(ctx, intro)

    async def _recover(self, inbound: Inbound) -> None:
        """After a handler error: apologise, show the menu, leave the conversation usable."""
        try:
            async with self.db.session() as session:
                await self._first_time(session, inbound)
                ctx = await self._context(session, inbound)
                ctx.finish()
                await ctx.show_menu(ctx.t("Sorry, something went wrong on our side. Please try again."))
                await self._save(ctx)
                await session.commit()
        except Exception:
            log.exception("could not recover the conversation of a %s chat", inbound.channel)

