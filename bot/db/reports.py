"""Activity reports, their review history, their photos, and the stored photo files.

A report copies its team's unit path (`unit_path`) when filed, so a roll-up
over any subtree is one indexed prefix match and a GROUP BY, with no join.
"""

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class Report(SQLModel, table=True):
    """One activity report; counts by the type's count ids, `people` copied out as the headline."""

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_rollup", "activity_date", "unit_path", "status", "type_id", "team_id", "people",
              postgresql_ops={"unit_path": "text_pattern_ops"}),
        Index("ix_report_team_date", "team_id", "activity_date"),
        # Reports waiting for review in a subtree: counted from the index alone (the console's home page).
        Index("ix_report_review", "status", "unit_path", "created_at",
              postgresql_ops={"unit_path": "text_pattern_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    unit_path: str = Field(max_length=400, description="the team's org_unit.path when filed")
    type_id: str = Field(max_length=32)
    activity_date: date
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    people: int | None = Field(default=None, description="counts['people'] when the type asks it")
    note: str | None = Field(default=None, max_length=500)
    status: str = Field(default="pending", max_length=16)  # pending / approved / returned
    return_reason: str | None = Field(default=None, max_length=300)
    filed_by_member_id: int = Field(foreign_key="member.id", index=True)
    proxy_for_member_id: int | None = Field(default=None, foreign_key="member.id")
    proxy_name: str | None = Field(default=None, max_length=80)
    duplicate_photo: bool = Field(default=False, description="a photo looks like one in another report")
    draft_key: str = Field(max_length=96, unique=True, description="one report per draft, however often sent")
    created_at: datetime = _ts(nullable=False)
    reviewed_at: datetime | None = _ts(nullable=True)
    reviewed_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    plan: str | None = Field(default=None, max_length=48, description="'<campaign id>:<year>' it counts towards")
    featured: bool = Field(default=False, description="a good practice an officer marked exemplary (điển hình)")

    @property
    def number(self) -> str:
        return f"BC-{self.id:06d}"


class ReportEvent(SQLModel, table=True):
    """One step of a report's review history, kept when the report changes: returned (by whom, why),
    sent again after a return, approved. Reviewers read it to see a report is a resubmission."""

    __tablename__ = "report_event"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    kind: str = Field(max_length=16)  # returned / resubmitted / approved
    member_id: int | None = Field(default=None, foreign_key="member.id", description="who did it")
    reason: str | None = Field(default=None, max_length=300, description="why it was returned")
    at: datetime = _ts(nullable=False)


class Photo(SQLModel, table=True):
    """A stored photo, once per content hash, EXIF stripped; capture time and place kept as fields."""

    __tablename__ = "photo"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    path: str = Field(max_length=200, description="relative to the media folder")
    width: int
    height: int
    dhash: int = Field(sa_column=Column(BigInteger, nullable=False))
    taken_at: datetime | None = _ts(nullable=True)
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = _ts(nullable=False)


class ReportPhoto(SQLModel, table=True):
    """A photo attached to a report (proof of the activity)."""

    __tablename__ = "report_photo"
    __table_args__ = (UniqueConstraint("report_id", "photo_id", name="uq_report_photo"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    photo_id: int = Field(foreign_key="photo.id", index=True)
    position: int = 0
