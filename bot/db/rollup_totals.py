"""Yearly and monthly totals of the reports, kept by database triggers so a year's roll-up reads no report rows.

Every write to `report` (the ORM, Core statements, remap, COPY in the benchmark) passes through the
triggers of bot/db/rollup_triggers.py, which the migration `0012` installs and which `create_all`
installs too (the listener below), so the totals are right whatever wrote the report.
A group with no report left has no row: "no data" stays apart from zero.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, event
from sqlmodel import Field, SQLModel

from bot.db import rollup_triggers
from bot.db.models import _ts

CLUSTERED = {"sqlite_with_rowid": False}  # SQLite stores the rows in primary-key order: one lookup, not two


class RollupYear(SQLModel, table=True):
    """Reports of one team, path, type and status in a calendar year: how many, people, the first filing time."""

    __tablename__ = "rollup_year"
    __table_args__ = CLUSTERED

    year: int = Field(primary_key=True)
    team_id: int = Field(primary_key=True)
    unit_path: str = Field(primary_key=True, max_length=400)
    type_id: str = Field(primary_key=True, max_length=32)
    status: str = Field(primary_key=True, max_length=16)
    reports: int
    people: int = Field(sa_column=Column(BigInteger, nullable=False))  # sum of the reports' people (NULL as 0)
    people_n: int = Field(description="reports giving people: none means the sum is 'no figure', not 0")
    first_at: datetime = _ts(nullable=False)  # min(created_at): when the team first reported in the group


class RollupYearCount(SQLModel, table=True):
    """Sums of one count id of the JSON counts per year, path, type and status (only reports that gave it)."""

    __tablename__ = "rollup_year_count"
    __table_args__ = CLUSTERED

    year: int = Field(primary_key=True)
    unit_path: str = Field(primary_key=True, max_length=400)
    type_id: str = Field(primary_key=True, max_length=32)
    status: str = Field(primary_key=True, max_length=16)
    count_id: str = Field(primary_key=True)  # any key of the JSON counts, however long
    total: int = Field(sa_column=Column(BigInteger, nullable=False))
    n: int = Field(description="reports that gave this count")


class RollupMonth(SQLModel, table=True):
    """Reports of one path and status per month, for the chart's line over a year."""

    __tablename__ = "rollup_month"
    __table_args__ = CLUSTERED

    year: int = Field(primary_key=True)
    month: int = Field(primary_key=True)
    unit_path: str = Field(primary_key=True, max_length=400)
    status: str = Field(primary_key=True, max_length=16)
    reports: int
    people: int = Field(sa_column=Column(BigInteger, nullable=False))
    people_n: int


@event.listens_for(SQLModel.metadata, "after_create")
def _install_triggers(_metadata, connection, tables=(), **_kw) -> None:
    """Databases made with `create_all` (some tests) get the same triggers as migrated ones."""
    if "report" in {t.name for t in tables} and RollupYear.__table__ in tables:
        rollup_triggers.install(connection)
