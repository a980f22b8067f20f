"""Scheduled and recurring sends as rows: what to send, when, and every firing ever made.

A `ScheduleRun` is unique per (schedule, due time) and is written in the same
transaction as the messages it queues, so a due time is sent at most once,
whatever crashes, restarts or second processes happen around it.
"""

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class Schedule(SQLModel, table=True):
    """A send at one time or on a rule; `next_at` is the next due time (before quiet hours), None when done."""

    __tablename__ = "schedule"
    __table_args__ = (Index("ix_schedule_due", "state", "next_at"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    key: str | None = Field(default=None, max_length=160, unique=True,
                            description="campaign:year:event for armed campaigns, so arming twice adds nothing")
    action: str = Field(default="broadcast", max_length=16)  # broadcast / reminder
    template: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rule: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="active", max_length=16)  # active / paused / done
    next_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(nullable=False)


class ScheduleRun(SQLModel, table=True):
    """One due time of a schedule: sent (with what it queued) or missed while cdsbot was down."""

    __tablename__ = "schedule_run"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at", name="uq_schedule_run"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    due_at: datetime = _ts(nullable=False)
    fire_at: datetime = _ts(nullable=False)
    status: str = Field(max_length=16)  # sent / missed
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")
    deliveries: int = 0
    ran_at: datetime = _ts(nullable=False)
    note: str | None = Field(default=None, max_length=300)
