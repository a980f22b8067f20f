"""Signing in to the console over HTTP: links by messenger, one use, ten minutes, rate limits, passwords, sign-out."""

from sqlalchemy import func, select

from bot.db.console import AuditEntry, ConsoleAccount, SigninToken
from bot.db.models import Delivery
from bot.services import accounts, signin
from tests.web.conftest import COMMUNE, START, add_account, add_member, csrf_of, sent_link, sign_in


async def test_a_link_sent_to_the_messenger_signs_in_once(client, demo_roster, people):
    phone, chat = people["officer"]
    await sign_in(client, demo_roster, phone, chat)
    home = await client.get("/admin/units/" + COMMUNE)
    assert home.status == 200 and "Xã Đức Nhuận" in await home.text()
    link = await sent_link(demo_roster, chat)
    async with demo_roster.session() as session:
        stored = (await session.execute(select(SigninToken.token_hash))).scalars().all()
    assert link.rsplit("/", 1)[1] not in stored  # only the hash is kept
    again = await client.post(link, data={"csrf_token": await csrf_of(client, "/admin/")}, allow_redirects=False)
    assert again.status == 400 and "đã được dùng" in await again.text()


async def test_a_link_expires_after_ten_minutes(client, demo_roster, people, clock):
    phone, chat = people["officer"]
    await client.post("/admin/signin/link", data={"csrf_token": await csrf_of(client), "who": phone})
    link = await sent_link(demo_roster, chat)
    clock.advance(minutes=10, seconds=1)
    page = await client.get(link)
    assert page.status == 400
    used = await client.post(link, data={"csrf_token": await csrf_of(client)}, allow_redirects=False)
    assert used.status == 400
    assert (await client.get("/admin/audit", allow_redirects=False)).status == 303  # still signed out


async def test_an_unknown_number_gets_the_same_answer_and_no_message(client, demo_roster):
    response = await client.post("/admin/signin/link", data={"csrf_token": await csrf_of(client), "who": "0987654321"})
    assert response.status == 200 and 'id="sent"' in await response.text()
    async with demo_roster.session() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0


async def test_a_bad_number_is_explained(client):
    response = await client.post("/admin/signin/link", data={"csrf_token": await csrf_of(client), "who": "abc"})
    assert response.status == 400 and "0905123456" in await response.text()


async def test_too_many_link_requests_lock_the_account_and_say_until_when(client, demo_roster, people):
    phone, _chat = people["officer"]
    token = await csrf_of(client)
    for _ in range(5):
        assert (await client.post("/admin/signin/link", data={"csrf_token": token, "who": phone})).status == 200
    locked = await client.post("/admin/signin/link", data={"csrf_token": token, "who": phone})
    text = await locked.text()
    assert locked.status == 429 and "bị khoá" in text and "10:15" in text  # 03:00 UTC + 15 min, in Vietnam time


async def test_staff_sign_in_with_a_password_and_wrong_ones_are_audited(client, demo_roster):
    async with demo_roster.session() as session:
        await accounts.add_staff_account(session, email="so@quangngai.gov.vn", name="Nguyễn Văn Sở", unit_code="51",
                                         role="admin", password="a long passphrase", now=START)
        await session.commit()
    token = await csrf_of(client)
    wrong = await client.post("/admin/signin/password",
                              data={"csrf_token": token, "email": "so@quangngai.gov.vn", "password": "nope nope"})
    assert wrong.status == 401
    form = {"csrf_token": token, "email": "SO@quangngai.gov.vn", "password": "a long passphrase"}
    right = await client.post("/admin/signin/password", data=form, allow_redirects=False)
    assert right.status == 303
    async with demo_roster.session() as session:
        query = select(AuditEntry.action).where(AuditEntry.action.startswith("signin")).order_by(AuditEntry.id)
        actions = (await session.execute(query)).scalars().all()
    assert actions == ["signin_failed", "signin"]


async def test_sign_out_everywhere_ends_other_sessions(client, demo_roster, people):
    phone, chat = people["officer"]
    await sign_in(client, demo_roster, phone, chat)
    cookies = client.session.cookie_jar.filter_cookies(client.make_url("/admin/"))
    stolen = {name: morsel.value for name, morsel in cookies.items()}
    token = await csrf_of(client, "/admin/units/" + COMMUNE)
    out = await client.post("/admin/signout/everywhere", data={"csrf_token": token}, allow_redirects=False)
    assert out.status == 303
    client.session.cookie_jar.update_cookies(stolen)  # an old copy of the cookie
    assert (await client.get("/admin/units/" + COMMUNE, allow_redirects=False)).status == 303
    async with demo_roster.session() as session:
        assert (await session.execute(select(ConsoleAccount.session_version)
                                      .where(ConsoleAccount.name == "Lê Văn Cán Bộ"))).scalar_one() == 1


async def test_idle_sessions_expire(client, demo_roster, people, clock):
    phone, chat = people["officer"]
    await sign_in(client, demo_roster, phone, chat)
    clock.advance(minutes=59)
    assert (await client.get("/admin/units/" + COMMUNE, allow_redirects=False)).status == 200
    clock.advance(minutes=61)
    assert (await client.get("/admin/units/" + COMMUNE, allow_redirects=False)).status == 303


async def test_too_many_tries_from_one_address_lock_the_address(client):
    token = await csrf_of(client)
    for n in range(20):
        tried = await client.post("/admin/signin/link", data={"csrf_token": token, "who": f"09870000{n:02d}"})
        assert tried.status == 200
    locked = await client.post("/admin/signin/link", data={"csrf_token": token, "who": "0987000099"})
    assert locked.status == 429 and "từ địa chỉ của bạn" in await locked.text()


async def test_links_work_once_and_for_ten_minutes_on_every_database(any_db, demo_roster):
    member = await add_member(demo_roster, COMMUNE, "Hồ Lan", "+84905000030", "chat-ho-0030")
    await add_account(demo_roster, member, "officer", COMMUNE)
    async with demo_roster.session() as session:
        account = await signin.find_account(session, "0905 000 030")
        first, late = await signin.issue_link(session, account, START), await signin.issue_link(session, account, START)
        await session.commit()
    later = START + signin.TOKEN_TTL
    async with demo_roster.session() as session:
        assert (await signin.peek_link(session, first, START)).name == "Hồ Lan"
        assert (await signin.use_link(session, first, START)).name == "Hồ Lan"
        assert await signin.use_link(session, first, START) is None
        assert await signin.use_link(session, late, later) is None  # expired at exactly ten minutes
        assert await signin.use_link(session, "not-a-token", START) is None
