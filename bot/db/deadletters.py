"""Dead letters: stored work (an OA event, an outgoing message) that failed again and again, set aside."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class DeadLetter(SQLModel, table=True):
    """One failing item: counted from its first failure, set aside (`dead_at`) after a few, so it blocks nothing."""

    __tablename__ = "dead_letter"
    __table_args__ = (UniqueConstraint("source", "ref", name="uq_dead_letter"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16, description="zalo_oa (a zalo_event row) or delivery (a delivery row)")
    ref: int = Field(description="the id of the failing row in its source table")
    summary: str = Field(max_length=120, description="what it is (event name, channel), never its content")
    failures: int = 0
    error: str = Field(max_length=300, description="the last error, with secrets and phone numbers masked")
    first_failed_at: datetime = _ts(nullable=False)
    last_failed_at: datetime = _ts(nullable=False)
    dead_at: datetime | None = _ts(nullable=True, index=True)
