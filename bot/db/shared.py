"""State several processes share: links to the local photos we serve, web chat messages waiting for their socket."""

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class MediaLink(SQLModel, table=True):
    """A random token under which a local photo is served (to Zalo's servers, to the web chat page) until it expires."""

    __tablename__ = "media_link"

    token: str = Field(primary_key=True, max_length=32)
    channel: str = Field(max_length=16, description="whose route serves it: zalo_bot or web")
    path: str = Field(max_length=1000, index=True, description="the local file, absolute")
    expires_at: datetime = _ts(nullable=False, index=True)


class WebFrame(SQLModel, table=True):
    """A message for a web chat, kept until a process holding one of the chat's sockets sends it (PostgreSQL)."""

    __tablename__ = "web_frame"

    id: int | None = Field(default=None, primary_key=True)
    chat: str = Field(max_length=64, index=True, description="the web chat id (a random UUID of the browser)")
    frame: dict = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts(nullable=False, index=True)
