"""Zalo tables: raw OA webhook events (stored before processing), the OA token pair, OA users' last contact."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class ZaloEvent(SQLModel, table=True):
    """One OA webhook event as received; processed from this copy, so a crash or failure loses nothing."""

    __tablename__ = "zalo_event"

    id: int | None = Field(default=None, primary_key=True)
    event_key: str = Field(max_length=160, unique=True, description="event name + msg_id, or a hash of the body")
    body: dict = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = _ts(nullable=False)
    processed_at: datetime | None = _ts(nullable=True, index=True)
    error: str | None = Field(default=None, max_length=300)


class ZaloToken(SQLModel, table=True):
    """The OA's token pair (one row, id 1); each refresh token works once, so it is stored before use."""

    __tablename__ = "zalo_token"

    id: int = Field(default=1, primary_key=True)
    access_token: str
    refresh_token: str
    expires_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class ZaloOAUser(SQLModel, table=True):
    """An OA user's last interaction (the 7-day consultation window counts from it) and follow state."""

    __tablename__ = "zalo_oa_user"

    user_id: str = Field(max_length=64, primary_key=True)
    last_interaction_at: datetime | None = _ts(nullable=True)
    following: bool | None = None
