"""Guide opens, kept for the department's statistics (which guides members actually read)."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class GuideView(SQLModel, table=True):
    """A member (or a not-yet-registered chat) opened a guide, from the menu, a search or a broadcast."""

    __tablename__ = "guide_view"
    __table_args__ = (Index("ix_guide_view_guide", "guide_id", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    guide_id: str = Field(max_length=64)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    channel: str = Field(max_length=16)
    source: str = Field(max_length=16)
    opened_at: datetime = _ts(nullable=False)
