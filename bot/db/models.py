"""SQLModel tables: the org tree, teams, members, conversations and the outbox.

The database is the source of truth: conversation state and every outgoing
message are rows, so a restart or a crash loses nothing.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.types import UtcDateTime
from bot.delivery.states import State


def _ts(**kw) -> Any:
    """A timezone-aware timestamp column (stored in UTC)."""
    return Field(sa_column=Column(UtcDateTime(), **kw))


class OrgUnit(SQLModel, table=True):
    """One node of the administrative tree; `path` makes a subtree one indexed query."""

    __tablename__ = "org_unit"
    __table_args__ = (Index("ix_org_unit_path", "path", postgresql_ops={"path": "text_pattern_ops"}),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True)
    path: str = Field(max_length=400, description="'/<id>/<id>/…/' from the root to this unit")
    depth: int = 0
    valid_from: date | None = Field(default=None, description="when the unit came into being (None: always was)")
    retired_on: date | None = Field(default=None, description="when a reorganisation retired it (kept, never deleted)")


class Team(SQLModel, table=True):
    """The community team of one org unit; members join it with its invite code."""

    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id", unique=True)
    name: str = Field(max_length=250)
    invite_code: str = Field(max_length=8, unique=True)
    active: bool = True


class Member(SQLModel, table=True):
    """A person in a team; may be reachable on several channels."""

    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=80)
    team_id: int = Field(foreign_key="team.id", index=True)
    role: str = Field(default="member", max_length=16)
    locale: str = Field(default="vi", max_length=8)
    phone: str | None = Field(default=None, max_length=16)
    opted_out: bool = False
    created_at: datetime = _ts(nullable=False)
    last_seen_at: datetime | None = _ts(nullable=True)


class ChannelAccount(SQLModel, table=True):
    """A member's identity on one messenger."""

    __tablename__ = "channel_account"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_channel_account"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    username: str | None = Field(default=None, max_length=64, index=True)  # Telegram @name, lower-cased, for sign-in
    unreachable: bool = False
    linked_at: datetime = _ts(nullable=False)


class Conversation(SQLModel, table=True):
    """Where a chat stands in a flow; keyed by (channel, external id), versioned."""

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_conversation"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    state: str | None = Field(default=None, max_length=64)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 0
    updated_at: datetime = _ts(nullable=False)


class InboundSeen(SQLModel, table=True):
    """Platform message ids already handled, so a re-delivered update is handled once."""

    __tablename__ = "inbound_seen"
    __table_args__ = (UniqueConstraint("channel", "message_id", name="uq_inbound_seen"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    message_id: str = Field(max_length=128)
    seen_at: datetime = _ts(nullable=False)


class Delivery(SQLModel, table=True):
    """One outgoing message; the outbox sends rows by priority and records the outcome."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_queue", "channel", "status", "priority", "id"),
        # A broadcast reaches a member once per channel; replies (NULL broadcast_id) are not constrained.
        UniqueConstraint("broadcast_id", "member_id", "channel", name="uq_delivery_broadcast"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    priority: int = Field(default=0, description="0 = reply, higher = bulk, sent later")
    status: str = Field(default=State.QUEUED, max_length=16)
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    not_before: datetime | None = _ts(nullable=True)
    claimed_at: datetime | None = _ts(nullable=True)
    error: str | None = Field(default=None, max_length=300)
    platform_message_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts(nullable=True)


class InviteAttempt(SQLModel, table=True):
    """A wrong invite code typed by a chat account, counted per chat and per source address to stop guessing."""

    __tablename__ = "invite_attempt"
    __table_args__ = (Index("ix_invite_attempt_who", "channel", "external_id", "at"),
                      Index("ix_invite_attempt_source", "source", "at"))

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    source: str | None = Field(default=None, max_length=64)  # the client's address (web chat), else None
    at: datetime = _ts(nullable=False)


class LinkCode(SQLModel, table=True):
    """A one-time code that joins another messenger account to the same member."""

    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True)
    member_id: int = Field(foreign_key="member.id")
    expires_at: datetime = _ts(nullable=False)
    used: bool = False
    # the chat that typed the code, waiting for the member to confirm it from an account they already have
    candidate_channel: str | None = Field(default=None, max_length=16)
    candidate_id: str | None = Field(default=None, max_length=64)
