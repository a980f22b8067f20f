"""The one access rule of chat, CLI and console: may this person do X on unit U (a subtree of the org tree).

A person holds a scope, the `OrgUnit.path` of one unit: leaders hold their team's unit only, officers their
unit's subtree, admins the whole tree (`WHOLE_TREE`). What a role may do is `GRANTS`; where is the scope.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OrgUnit, Team

WHOLE_TREE = "/"  # the scope of admins: every path starts with it


class Role(StrEnum):
    """A member's role; stored as its value in `Member.role`."""

    MEMBER = "member"
    LEADER = "leader"
    OFFICER = "officer"
    ADMIN = "admin"


class Action(StrEnum):
    """What someone does to a unit (and everything under it)."""

    VIEW = "view"  # see figures, reports, members of the unit
    REVIEW = "review"  # approve / return reports of the unit
    BROADCAST = "broadcast"  # message members of the unit
    EXPORT = "export"  # download files about the unit
    FILE_PROXY = "file_proxy"  # file a report for a member of the unit
    MANAGE = "manage"  # console accounts, promote members, import rosters, settings
    AUDIT = "audit"  # read the audit log of the unit
    UNIT_FACTS = "unit_facts"  # state the unit's own facts: base figures, difficulties and recommendations


GRANTS: dict[Role, frozenset[Action]] = {
    Role.MEMBER: frozenset(),
    Role.LEADER: frozenset({Action.VIEW, Action.REVIEW, Action.FILE_PROXY}),
    Role.OFFICER: frozenset({Action.VIEW, Action.REVIEW, Action.FILE_PROXY, Action.BROADCAST, Action.EXPORT,
                             Action.AUDIT, Action.UNIT_FACTS}),
    Role.ADMIN: frozenset(Action),
}


class Denied(PermissionError):
    """Raised by `require` when the actor may not do the action on the unit."""


@dataclass(frozen=True)
class Actor:
    """Who acts, as the access rule sees them: a role and the path of the unit whose scope they hold."""

    role: Role
    scope_path: str  # OrgUnit.path ('/1/' = the province); WHOLE_TREE for admins
    member_id: int | None = None
    account_id: int | None = None

    @property
    def whole_tree(self) -> bool:
        """True when the actor's scope is the whole tree (admins), so no subtree filter applies."""
        return self.role is Role.ADMIN


def can(actor: Actor | None, action: Action) -> bool:
    """Whether the actor may do the action on some unit at all (before a unit is chosen)."""
    return actor is not None and action in GRANTS[actor.role]


def require_any(actor: Actor | None, action: Action) -> Actor:
    """The actor, when they may do `action` somewhere (before a unit is chosen); raises Denied otherwise."""
    if actor is None or not can(actor, action):
        raise Denied(f"{action.value} not allowed")
    return actor


def in_scope(actor: Actor, unit_path: str) -> bool:
    """The subtree rule: leaders their unit only, officers their unit and below, admins everything."""
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.LEADER:
        return unit_path == actor.scope_path
    return actor.role is Role.OFFICER and unit_path.startswith(actor.scope_path)


def may(actor: Actor | None, action: Action, unit_path: str) -> bool:
    """Whether the actor may do the action on the unit at `unit_path` (None, e.g. a stranger, may nothing)."""
    return can(actor, action) and in_scope(actor, unit_path)


def require(actor: Actor | None, action: Action, unit_path: str) -> None:
    """`may`, raising `Denied` when not, so a view or service can stop in one line."""
    if not may(actor, action, unit_path):
        raise Denied(f"{action.value} not allowed on {unit_path}")


def scope_clause(actor: Actor | None, path_column):
    """An SQL clause keeping the rows whose unit path lies in the actor's scope (what they may view)."""
    if actor is None or not GRANTS[actor.role]:
        return false()
    if actor.role is Role.ADMIN:
        return true()
    if actor.role is Role.LEADER:
        return path_column == actor.scope_path
    return path_column.startswith(actor.scope_path, autoescape=True)


async def actor_for_member(session: AsyncSession, member: Member | None) -> Actor | None:
    """The actor of a roster member: their role and their team's unit (the whole tree for admins)."""
    if member is None:
        return None
    query = select(OrgUnit.path).join(Team, Team.unit_id == OrgUnit.id).where(Team.id == member.team_id)
    return actor_of(member, (await session.execute(query)).scalar_one())


def actor_of(member: Member, team_unit_path: str) -> Actor:
    """The actor of a member whose team's unit path is already at hand (no query)."""
    role = Role(member.role)
    return Actor(role, WHOLE_TREE if role is Role.ADMIN else team_unit_path, member_id=member.id)
