"""A unit's written parts for a reporting period, answered in the console: its difficulties and recommendations."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class WrittenPart(SQLModel, table=True):
    """What a unit says for one period and kind (`answer`, by its officer), and the wording the department
    gives it in the results report (`wording`; None = the answer as it is). It replaces the unit's chat answers
    of that kind in the report of the same period (bot/services/written_parts.py)."""

    __tablename__ = "written_part"
    __table_args__ = (UniqueConstraint("unit_id", "period", "kind", name="uq_written_part"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)
    period: str = Field(max_length=64, description="the period key: '2027-Q4', 'campaign:national-dx-day:2027'")
    kind: str = Field(max_length=16)  # difficulties / recommendations
    answer: str = Field(default="", max_length=2000)
    answered_by: str = Field(default="", max_length=80)
    answered_at: datetime | None = _ts(nullable=True)
    wording: str | None = Field(default=None, max_length=2000)
    worded_by: str | None = Field(default=None, max_length=80)
    worded_at: datetime | None = _ts(nullable=True)
