"""Fixtures for the console: settings with a key, a started console on the demo roster, accounts and a client."""

import re
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import load_settings
from bot.db.models import ChannelAccount, Delivery, Member, OrgUnit, Team
from bot.delivery.sender import Outbox
from bot.services import accounts
from bot.web.console import create_console, mount

START = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
SECRET = "k3Jq9-Zp0wX7vLmN2bYc8RtUe5AsDf4GhQ1oIyT6"
PROVINCE, COMMUNE, OTHER_COMMUNE = "51", "21409", "21412"  # Quảng Ngãi, Đức Nhuận, Đức Chánh
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def console_settings(**overrides):
    """Settings with the console on and a proper key."""
    return load_settings(console_secret=SECRET, **overrides)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def browser():
    """A headless Chromium for the console's browser tests (those marked `requires_chromium`)."""
    from tests.browser import launch_browser  # lazily: playwright is imported only where a test wants it

    async with launch_browser() as chromium:
        yield chromium


async def add_member(db, unit_code: str, name: str, phone: str, chat: str) -> int:
    """A roster member of the unit's team, reachable on the web chat `chat`."""
    async with db.session() as session:
        team = (await session.execute(select(Team).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                      .where(OrgUnit.code == unit_code))).scalar_one()
        member = Member(full_name=name, team_id=team.id, phone=phone, created_at=START)
        session.add(member)
        await session.flush()
        session.add(ChannelAccount(member_id=member.id, channel="web", external_id=chat, linked_at=START))
        await session.commit()
        return member.id


async def add_account(db, member_id: int, role: str, unit_code: str) -> int:
    """A console account for the member."""
    async with db.session() as session:
        account = await accounts.add_member_account(session, member_id, role=role, unit_code=unit_code, now=START)
        await session.commit()
        return account.id


@pytest.fixture
async def people(demo_roster):
    """An admin (province), an officer of Đức Nhuận, and their member ids and chats."""
    admin = await add_member(demo_roster, COMMUNE, "Trần Thị Admin", "+84905000001", "chat-admin-0001")
    officer = await add_member(demo_roster, COMMUNE, "Lê Văn Cán Bộ", "+84905000002", "chat-officer-0002")
    await add_account(demo_roster, admin, "admin", PROVINCE)
    await add_account(demo_roster, officer, "officer", COMMUNE)
    return {"admin": ("0905000001", "chat-admin-0001"), "officer": ("0905000002", "chat-officer-0002")}


def console_app(db, clock, **overrides) -> web.Application:
    """The console mounted at /admin on an otherwise empty app (links wait in the outbox table)."""
    parent = web.Application()
    mount(parent, create_console(db, console_settings(**overrides), clock, Outbox(db, {}, clock)))
    return parent


@pytest.fixture
async def client(demo_roster, clock, people):
    """An HTTP client of the console with a cookie jar, on the demo roster with `people`."""
    async with TestClient(TestServer(console_app(demo_roster, clock))) as test_client:
        yield test_client


async def csrf_of(client, path: str = "/admin/signin") -> str:
    """The CSRF token on a page (the session keeps it)."""
    return CSRF.search(await (await client.get(path)).text()).group(1)


async def sent_link(db, chat: str) -> str:
    """The path of the last sign-in link queued to a web chat."""
    async with db.session() as session:
        rows = (await session.execute(select(Delivery).where(Delivery.external_id == chat)
                                      .order_by(Delivery.id.desc()))).scalars()
        text = next(iter(rows)).payload["text"]
    return re.search(r"https?://[^/\s]+(/admin/signin/t/[A-Za-z0-9_-]+)", text).group(1)


async def sign_in(client, db, who: str, chat: str) -> None:
    """Ask for a link by phone and use it, as a person would."""
    token = await csrf_of(client)
    response = await client.post("/admin/signin/link", data={"csrf_token": token, "who": who})
    assert response.status == 200, await response.text()
    link = await sent_link(db, chat)
    token = CSRF.search(await (await client.get(link)).text()).group(1)
    response = await client.post(link, data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 303, await response.text()
