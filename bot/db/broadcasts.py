"""Broadcasts: one announcement to a part of the tree, and the members' acknowledgements.

Each broadcast's messages are `Delivery` rows carrying its `broadcast_id`,
unique per (broadcast, member, channel), so expanding twice sends nothing twice.
"""

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.models import _ts

ANSWERS = ("ok", "help")


class Broadcast(SQLModel, table=True):
    """An announcement: text in both languages, optional photo and buttons, and who gets it."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    text_vi: str = Field(max_length=4096)
    text_en: str | None = Field(default=None, max_length=4096)
    photo: str | None = Field(default=None, max_length=400)
    ack: bool = False
    urgent: bool = Field(default=False, sa_column_kwargs={"server_default": "0"},
                         description="sent through the quiet hours")
    guide_id: str | None = Field(default=None, max_length=64)
    audience: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="draft", max_length=16, description="draft, sending, paused or cancelled")
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = _ts(nullable=False)
    started_at: datetime | None = _ts(nullable=True)


class BroadcastAck(SQLModel, table=True):
    """A member's answer to a broadcast's buttons: received (ok) or needs help; one per member."""

    __tablename__ = "broadcast_ack"
    __table_args__ = (UniqueConstraint("broadcast_id", "member_id", name="uq_broadcast_ack"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    answer: str = Field(max_length=8)
    at: datetime = _ts(nullable=False)
