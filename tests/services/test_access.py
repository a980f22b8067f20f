"""The access rule itself, over random trees, roles and scopes: nobody reaches outside their subtree.

`tests/services/test_access_flows.py` checks that the chat and the console obey it.
"""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from bot.db.models import Member, OrgUnit, Team
from bot.services import access, members
from bot.services.access import Action, Actor, Role

_ids = st.lists(st.integers(1, 40), min_size=1, max_size=25, unique=True)  # small ids: '/1/' vs '/12/' collide


@st.composite
def trees(draw) -> list[str]:
    """The paths of a random tree: each unit's parent is one drawn before it."""
    ids = draw(_ids)
    paths = [f"/{ids[0]}/"]
    for unit_id in ids[1:]:
        parent = draw(st.sampled_from(paths))
        paths.append(f"{parent}{unit_id}/")
    return paths


@st.composite
def cases(draw) -> tuple[list[str], Actor, str]:
    """A tree, an actor holding one of its units, and a unit of the same tree."""
    paths = draw(trees())
    role = draw(st.sampled_from(Role))
    scope = access.WHOLE_TREE if role is Role.ADMIN else draw(st.sampled_from(paths))
    return paths, Actor(role, scope, member_id=1), draw(st.sampled_from(paths))


def holds(actor: Actor, path: str) -> bool:
    """The subtree rule stated independently of the code: by the chain of unit ids, not by string prefixes."""
    if actor.role is Role.ADMIN:
        return True
    mine, theirs = actor.scope_path.strip("/").split("/"), path.strip("/").split("/")
    if actor.role is Role.LEADER:
        return mine == theirs
    return actor.role is Role.OFFICER and theirs[:len(mine)] == mine


@given(cases(), st.sampled_from(Action))
def test_may_keeps_everyone_inside_their_subtree(case, action):
    _paths, actor, path = case
    allowed = access.may(actor, action, path)
    assert not allowed or holds(actor, path)
    assert allowed == (holds(actor, path) and action in access.GRANTS[actor.role])


@given(cases(), st.sampled_from(Action))
def test_require_raises_exactly_when_may_refuses(case, action):
    _paths, actor, path = case
    if access.may(actor, action, path):
        access.require(actor, action, path)
    else:
        with pytest.raises(access.Denied):
            access.require(actor, action, path)


@given(cases())
def test_an_officer_may_everything_below_what_they_may(case):
    paths, actor, path = case
    for action in Action:
        if access.may(actor, action, path) and actor.role is not Role.LEADER:
            assert all(access.may(actor, action, p) for p in paths if p.startswith(path))


def test_roles_and_grants():
    """Members act on no unit; only admins manage; leaders neither broadcast nor export; None may nothing."""
    assert not access.GRANTS[Role.MEMBER]
    def roles_that_may(action):
        return [role for role in Role if action in access.GRANTS[role]]

    assert roles_that_may(Action.MANAGE) == [Role.ADMIN]
    assert roles_that_may(Action.BROADCAST) == roles_that_may(Action.EXPORT) == [Role.OFFICER, Role.ADMIN]
    assert roles_that_may(Action.REVIEW) == roles_that_may(Action.FILE_PROXY) == [Role.LEADER, Role.OFFICER,
                                                                                  Role.ADMIN]
    assert not any(access.may(None, action, "/1/") for action in Action)
    with pytest.raises(PermissionError):
        access.require(None, Action.VIEW, "/1/")


_units = Table("units", MetaData(), Column("id", Integer, primary_key=True), Column("path", String))


@pytest.fixture(scope="module")
def engine():
    engine = create_engine("sqlite://")
    _units.metadata.create_all(engine)
    yield engine
    engine.dispose()


@given(case=cases())
def test_scope_clause_keeps_exactly_the_viewable_rows(engine, case):
    paths, actor, _path = case
    with engine.begin() as connection:
        connection.execute(_units.delete())
        connection.execute(insert(_units), [{"path": p} for p in paths])
        kept = set(connection.execute(select(_units.c.path).where(access.scope_clause(actor, _units.c.path)))
                   .scalars())
    assert kept == {p for p in paths if access.may(actor, Action.VIEW, p)}


async def test_only_admins_promote_members(demo_roster):
    """Promoting is MANAGE: an officer of the member's own commune is refused, an admin is not."""
    async with demo_roster.session() as session:
        path = (await session.execute(select(OrgUnit.path).where(OrgUnit.code == "21409"))).scalar_one()
        team = (await session.execute(select(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                      .where(OrgUnit.path == path))).scalar_one()
        member = Member(full_name="Đỗ Minh", team_id=team.id, created_at=datetime(2026, 11, 23, tzinfo=UTC))
        session.add(member)
        await session.flush()
        with pytest.raises(access.Denied):
            await members.promote(session, member.id, "officer", by=Actor(Role.OFFICER, path))
        assert member.role == Role.MEMBER
        with pytest.raises(ValueError, match="unknown role"):
            await members.promote(session, member.id, "boss", by=Actor(Role.ADMIN, access.WHOLE_TREE))
        await members.promote(session, member.id, "officer", by=Actor(Role.ADMIN, access.WHOLE_TREE))
        assert member.role == Role.OFFICER
