"""What a handler gets: the inbound message, the member, conversation state, and ways to answer."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Button, Inbound, Outbound
from bot.db.models import ChannelAccount, Conversation, Member
from bot.i18n import Translator

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.core.dispatcher import Core


class Context:
    """One inbound message being handled inside one database transaction."""

    def __init__(self, core: "Core", session: AsyncSession, inbound: Inbound, conversation: Conversation,
                 account: ChannelAccount | None, member: Member | None):
        self.core = core
        self.session = session
        self.inbound = inbound
        self.conversation = conversation
        self.account = account
        self.member = member
        self.payload = inbound.payload
        self.data: dict = dict(conversation.data)
        self.state: str | None = conversation.state
        self.replies: list[Outbound] = []
        self.notices: list[tuple[int, Outbound]] = []
        self.tr = Translator(self.locale)

    @property
    def locale(self) -> str:
        if self.member is not None:
            return self.member.locale
        return self.data.get("locale") or self.core.default_locale

    def set_locale(self, locale: str) -> None:
        if self.member is not None:
            self.member.locale = locale
        self.data["locale"] = locale
        self.tr = Translator(locale)

    @property
    def channel(self) -> "Channel | None":
        """The channel this message came on: handlers ask it what it can show (numbers, contact sharing)."""
        return self.core.channels.get(self.inbound.channel)

    @property
    def now(self) -> datetime:
        return self.core.clock.now()

    @property
    def text(self) -> str:
        return (self.inbound.text or "").strip()

    def t(self, message: str, **values) -> str:
        return self.tr.t(message, **values)

    def tn(self, singular: str, plural: str, n: int, **values) -> str:
        return self.tr.tn(singular, plural, n, **values)

    def goto(self, state: str | None, **values) -> None:
        """Move the conversation to `state`, keeping `values` in its data."""
        self.state = state
        self.data.update(values)

    def finish(self) -> None:
        """Leave any flow: no state, flow data dropped (the chosen language stays)."""
        keep = {k: v for k, v in self.data.items() if k == "locale"}
        self.state, self.data = None, keep

    def reply(self, text: str, buttons: list[list[Button]] | None = None, *, photo: str | None = None,
              request_contact: str | None = None) -> None:
        self.replies.append(Outbound(text, buttons or [], photo, request_contact))

    def button(self, payload: str, label: str) -> Button:
        """A button whose label is translated for this member."""
        return Button(payload, self.t(label))

    def notify(self, member_id: int, message: Outbound) -> None:
        """Queue a message to another member on every channel they can be reached on."""
        self.notices.append((member_id, message))

    async def show_menu(self, intro: str | None = None) -> None:
        await self.core.show_menu(self, intro)
