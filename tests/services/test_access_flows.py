"""The chat and the console obey the one access rule (issue 11 item 2), over random trees, roles and scopes.

Each example builds a random tree (a team per unit, a member per team, a pending report in one unit) and a
person with a random role in a random unit, then tries every chat action that touches a unit — view the
units, broadcast to a unit, review the report, file a report for a member — and every console route that
takes a unit. Each outcome must be what `access.may` says; `tests/services/test_access.py` shows that `may`
keeps everyone inside their subtree.
"""

import asyncio
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.console import ConsoleAccount
from bot.db.migrate import upgrade
from bot.db.models import ChannelAccount, Member, OrgUnit, Team
from bot.db.reports import Report
from bot.db.session import Database
from bot.delivery.sender import Outbox
from bot.services import access
from bot.services.access import Action, Actor, Role
from bot.services.report_types import load_report_types
from bot.services.unit_kinds import kind_name
from bot.web.console import create_console, guard, mount
from tests.chat import Harness
from tests.services.test_access import trees
from tests.web.conftest import console_settings

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
KINDS = ("province", "district", "commune", "village")
# What each console route that takes a unit does to it; a new route must be added here (the test says so).
CONSOLE_UNIT_ROUTES = {"unit": Action.VIEW, "invite_sheets": Action.VIEW}
EXAMPLES = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@dataclass
class World:
    """A random tree, who acts (role and home unit) and the unit acted on."""

    paths: list[str]
    role: Role
    home: str  # path of the actor's team's unit
    target: str  # path of the unit acted on

    @property
    def actor(self) -> Actor:
        return Actor(self.role, access.WHOLE_TREE if self.role is Role.ADMIN else self.home)


def uid(path: str) -> int:
    return int(path.strip("/").split("/")[-1])


def tag(path: str) -> str:
    """How a unit (and its team) is named in the test tree: '[U7]', never a part of another tag."""
    return f"[U{uid(path)}]"


@st.composite
def worlds(draw) -> World:
    paths = draw(trees())
    return World(paths, draw(st.sampled_from(Role)), draw(st.sampled_from(paths)), draw(st.sampled_from(paths)))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """An empty migrated SQLite file, copied for each example."""
    path = tmp_path_factory.mktemp("access") / "template.db"
    database = Database(f"sqlite+aiosqlite:///{path}")

    async def migrate():
        await upgrade(database.engine)
        await database.dispose()

    asyncio.run(migrate())
    return path


async def build(db: Database, world: World) -> tuple[int, dict[str, int]]:
    """The tree, a team and a member per unit, the actor (chat 'actor') and a pending report in the target."""
    members: dict[str, int] = {}
    async with db.session() as session:
        for path in world.paths:
            ids = [int(i) for i in path.strip("/").split("/")]
            session.add(OrgUnit(id=ids[-1], code=f"U{ids[-1]}", name=f"Đơn vị {tag(path)}", path=path,
                                kind=KINDS[min(len(ids) - 1, 3)], parent_id=ids[-2] if len(ids) > 1 else None,
                                depth=len(ids) - 1))
            await session.flush()
            session.add(Team(id=ids[-1], unit_id=ids[-1], name=f"Tổ {tag(path)}", invite_code=f"T{ids[-1]:05d}"))
            await session.flush()
            members[path] = await _member(session, f"Thành viên {ids[-1]}", ids[-1], Role.MEMBER, f"m{ids[-1]}")
        await _member(session, "Người Thử", uid(world.home), world.role, "actor")
        report = Report(team_id=uid(world.target), unit_path=world.target, type_id=next(iter(load_report_types())),
                        activity_date=date(2026, 11, 20), counts={}, filed_by_member_id=members[world.target],
                        draft_key=f"draft-{uid(world.target)}", created_at=NOW)
        session.add(report)
        await session.commit()
        return report.id, members


async def _member(session, name: str, team_id: int, role: Role, chat: str) -> int:
    member = Member(full_name=name, team_id=team_id, role=role, locale="en", created_at=NOW)
    session.add(member)
    await session.flush()
    session.add(ChannelAccount(member_id=member.id, channel="fake", external_id=chat, linked_at=NOW))
    return member.id


def run(template: Path, world: World, scenario) -> None:
    """Run one scenario on a fresh copy of the template database."""
    async def go():
        with tempfile.TemporaryDirectory() as folder:
            shutil.copyfile(template, Path(folder) / "t.db")
            db = Database(f"sqlite+aiosqlite:///{folder}/t.db")
            try:
                await scenario(db, world, *await build(db, world))
            finally:
                await db.dispose()

    asyncio.run(go())


async def view_units(chat, world: World) -> None:
    """/units names only units (and teams) the person may view; their own scope's top iff they may view at all."""
    actor = world.actor
    await chat.send("/units")
    named = [p for p in world.paths if tag(p) in chat.text]
    assert all(access.may(actor, Action.VIEW, p) for p in named), (actor, named, chat.text)
    top = world.paths[0] if actor.whole_tree else world.home
    assert (tag(top) in chat.text) == access.can(actor, Action.VIEW)


async def broadcast_to_unit(chat, world: World) -> None:
    """/broadcast: offered units and levels lie in the subtree; a typed unit is kept iff the person may."""
    actor = world.actor
    await chat.send("/broadcast")
    if not access.can(actor, Action.BROADCAST):
        assert "Only officers and admins" in chat.text
        return
    codes = {f"U{uid(p)}": p for p in world.paths}
    offered = [codes[p.rsplit(":", 1)[1]] for p in chat.payloads if p.startswith("bc:unit:")]
    assert all(access.may(actor, Action.BROADCAST, p) for p in offered)
    await chat.send(f"U{uid(world.target)}")
    refused = "only send to units inside your own area" in chat.text
    assert refused != access.may(actor, Action.BROADCAST, world.target)
    await chat.tap("bc:next")
    below = [p for p in world.paths if access.may(actor, Action.BROADCAST, p)]
    named = {kind_name(kind, "en", plural).capitalize(): kind for kind in KINDS for plural in (False, True)}
    levels = [named[b.label] for m in chat.last for b in m.all_buttons() if b.payload.startswith("bc:level:")]
    assert levels == sorted({KINDS[min(p.count("/") - 2, 3)] for p in below}, key=KINDS.index)
    await chat.send("/cancel")


async def review_report(chat, world: World, db: Database, report_id: int) -> None:
    """Approving the target unit's report works iff the person may review that unit."""
    await chat.send(payload=f"review:approve:{report_id}")
    async with db.session() as session:
        status = await session.scalar(select(Report.status).where(Report.id == report_id))
    assert (status == "approved") == access.may(world.actor, Action.REVIEW, world.target)


async def file_for_member(chat, world: World, members: dict[str, int]) -> None:
    """'Report for a member' opens iff the person may file for their own unit; a member of the target
    unit's team is accepted iff that is their own team."""
    actor = world.actor
    await chat.send(payload="menu:report_for")
    if not access.may(actor, Action.FILE_PROXY, world.home):
        assert "Only team leaders" in chat.text
        return
    offered = {int(p.rsplit(":", 1)[1]) for p in chat.payloads if p.startswith("report:for:")}
    assert offered == {members[world.home]}
    await chat.send(payload=f"report:for:{members[world.target]}")
    assert ("What did you do?" in chat.text) == (world.target == world.home)


async def chat_actions(db: Database, world: World, report_id: int, members: dict[str, int]) -> None:
    chat = Harness(db).chat("actor")
    await view_units(chat, world)
    await broadcast_to_unit(chat, world)
    await review_report(chat, world, db, report_id)
    await file_for_member(chat, world, members)


@EXAMPLES
@given(world=worlds())
def test_chat_actions_on_units_follow_the_access_rule(template, world):
    run(template, world, chat_actions)


def unit_routes(console: web.Application) -> dict[str, tuple[str, str]]:
    """The console's routes whose path takes a unit ('{code}' or '{unit…}'): (method, parameter) by route name."""
    found = {}
    for route in console.router.routes():
        parts = re.findall(r"{(code|unit\w*)}", route.resource.canonical if route.resource is not None else "")
        if parts:
            found[route.resource.name] = (route.method, parts[0])
    return found


@web.middleware
async def no_csrf(request, handler):
    """CSRF is the console's own test's business (tests/web); here every method reaches the view."""
    return await handler(request)


async def console_routes(db: Database, world: World, _report_id: int, _members: dict[str, int]) -> None:
    """Every console route that takes a unit refuses (403) exactly when the person may not; never a 500."""
    account = ConsoleAccount(id=1, name="Người Thử", role=world.role, unit_id=uid(world.home), locale="en",
                             created_at=NOW)

    async def identify(request, _session):
        request["account"], request["actor"] = account, world.actor

    clock = FakeClock(NOW)
    with mock.patch.object(guard, "_identify", identify), mock.patch.object(guard, "csrf", no_csrf):
        console, app = create_console(db, console_settings(), clock, Outbox(db, {}, clock)), web.Application()
        mount(app, console)
        routes = unit_routes(console)
        assert routes, "no console route takes a unit any more: check unit_routes"
        assert set(routes) <= set(CONSOLE_UNIT_ROUTES), f"say what these do in CONSOLE_UNIT_ROUTES: {routes}"
        async with TestClient(TestServer(app)) as client:
            for name, (method, parameter) in routes.items():
                url = console.router[name].url_for(**{parameter: f"U{uid(world.target)}"})
                response = await client.request(method, url, allow_redirects=False)
                allowed = access.may(world.actor, CONSOLE_UNIT_ROUTES[name], world.target)
                assert response.status < 500 and (response.status == 403) != allowed, (name, world, response.status)
                assert response.status == 200 or method != "GET" or not allowed, (name, world, response.status)


@EXAMPLES
@given(world=worlds())
def test_console_routes_on_units_follow_the_access_rule(template, world):
    run(template, world, console_routes)
