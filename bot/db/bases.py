"""Base figures of a unit (population, households), the denominators of targets such as "30 % of people"."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.db.models import _ts


class UnitBase(SQLModel, table=True):
    """A unit's population and households, imported by CSV (`cdsbot units bases`); None where not known."""

    __tablename__ = "unit_base"

    unit_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    population: int | None = None
    households: int | None = None
    updated_at: datetime = _ts(nullable=False)
