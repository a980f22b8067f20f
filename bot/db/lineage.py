"""How units became other units in a reorganisation (merge, split, rename, move), dated; nothing is deleted."""

from datetime import date

from sqlalchemy import Index, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from bot.db.models import Team

LINK_KINDS = ("merge", "split", "rename", "move")


class UnitLineage(SQLModel, table=True):
    """One link: from `effective_on`, what was `old_unit` is (part of) `new_unit`.

    A move (a village re-parented with its commune) links the unit to itself and names its former parent.
    `team_id` lets a roll-up on the tree as it stood before the change count each team at its old unit.
    """

    __tablename__ = "unit_lineage"
    __table_args__ = (Index("ix_unit_lineage_new", "new_unit_id", "effective_on"),)

    id: int | None = Field(default=None, primary_key=True)
    old_unit_id: int = Field(foreign_key="org_unit.id", index=True)
    new_unit_id: int = Field(foreign_key="org_unit.id")
    kind: str = Field(max_length=8)
    effective_on: date
    old_parent_id: int | None = Field(default=None, foreign_key="org_unit.id")
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True,
                                description="the team that was at the old unit: moved with it, or closed into another")


async def successor_team(session: AsyncSession, team: Team) -> Team | None:
    """The active team at the unit a closed team's unit became, so a merged team's printed invite code still joins."""
    query = (select(Team).join(UnitLineage, UnitLineage.new_unit_id == Team.unit_id)
             .where(UnitLineage.old_unit_id == team.unit_id, Team.active).order_by(UnitLineage.id).limit(1))
    return (await session.execute(query)).scalar_one_or_none()
