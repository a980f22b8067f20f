"""The province's own campaign calendar, per year: kept in the database so next year needs no code change.

A row overrides the campaign file's usual dates (and gives the year's theme) when the campaign is armed.
"""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class CampaignCalendar(SQLModel, table=True):
    """One campaign's dates and theme in one year, as the department set them in the console."""

    __tablename__ = "campaign_calendar"
    __table_args__ = (UniqueConstraint("campaign", "year", name="uq_campaign_calendar"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(max_length=64)
    year: int
    week_start: date
    week_end: date
    period_start: date
    period_end: date
    deadline: date  # the teams'
    department_deadline: date | None = None
    theme_vi: str | None = Field(default=None, max_length=300)
    theme_en: str | None = Field(default=None, max_length=300)
    updated_at: datetime = _ts(nullable=False)
    updated_by: str = Field(default="", max_length=80)
