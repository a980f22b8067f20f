"""Signing in by Telegram username: the bot learns it from the member's messages, the page takes "@Name"."""

import pytest
from sqlalchemy import func, select

from bot.db.models import ChannelAccount, Delivery
from bot.services import usernames
from tests.chat import FakeChannel, Harness
from tests.handlers.test_register import invite
from tests.web.conftest import COMMUNE, START, add_account, csrf_of, sign_in


@pytest.fixture
def harness(demo_roster, clock):
    """The chat core on the console's database and clock, with a Telegram channel."""
    return Harness(demo_roster, clock, {"telegram": FakeChannel("telegram")})


async def telegram_member(harness, chat_id: str, username: str | None, name: str) -> int:
    """A member who registered from Telegram, the platform reporting `username` with each message."""
    chat = harness.chat(chat_id, "telegram")
    chat.username = username
    await chat.send(f"/start {await invite(harness.db, '21409-03')}")
    await chat.send(name)
    await chat.send(payload="register:skip_phone")
    await chat.send(payload="register:confirm")
    return (await account_of(harness.db, chat_id)).member_id


async def account_of(db, chat_id: str) -> ChannelAccount:
    async with db.session() as session:
        return await usernames.account_of(session, "telegram", chat_id)


async def deliveries_to(db, chat_id: str) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.external_id == chat_id))


async def test_a_telegram_username_typed_as_at_name_signs_in(client, harness, demo_roster):
    member_id = await telegram_member(harness, "700000001", "Lan_CDS", "Nguyễn Thị Lan")
    assert (await account_of(demo_roster, "700000001")).username == "lan_cds"  # learnt while registering
    await add_account(demo_roster, member_id, "officer", COMMUNE)
    await sign_in(client, demo_roster, "@LAN_cds", "700000001")  # the link is queued to that Telegram chat
    home = await client.get("/admin/units/" + COMMUNE)
    assert home.status == 200 and "Xã Đức Nhuận" in await home.text()


async def test_an_unknown_username_gets_the_same_answer_and_no_message(client, demo_roster):
    token = await csrf_of(client)
    unknown = await client.post("/admin/signin/link", data={"csrf_token": token, "who": "@nobody_here"})
    assert unknown.status == 200 and 'id="sent"' in await unknown.text()
    async with demo_roster.session() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0


async def test_a_username_moves_to_the_account_that_reports_it(client, harness, demo_roster):
    first = await telegram_member(harness, "700000001", "lan_cds", "Nguyễn Thị Lan")
    second = await telegram_member(harness, "700000002", "hung_cds", "Phạm Văn Hùng")
    await add_account(demo_roster, first, "officer", COMMUNE)
    await add_account(demo_roster, second, "officer", COMMUNE)
    assert (await account_of(demo_roster, "700000001")).username == "lan_cds"
    taker = harness.chat("700000002", "telegram")
    taker.username = "Lan_CDS"  # Lan gave the name up on Telegram, Hùng took it and writes to the bot
    await taker.send("/menu")
    assert (await account_of(demo_roster, "700000002")).username == "lan_cds"
    assert (await account_of(demo_roster, "700000001")).username is None
    before = await deliveries_to(demo_roster, "700000001")
    await sign_in(client, demo_roster, "lan_cds", "700000002")
    assert await deliveries_to(demo_roster, "700000001") == before  # nothing went to the name's former owner


async def test_username_requests_count_in_the_same_rate_limit(client, demo_roster, people):
    phone, _chat = people["officer"]
    async with demo_roster.session() as session:
        officer = (await session.execute(select(ChannelAccount).where(
            ChannelAccount.external_id == "chat-officer-0002"))).scalar_one()
        session.add(ChannelAccount(member_id=officer.member_id, channel="telegram", external_id="700000003",
                                   username="can_bo_cds", linked_at=START))
        await session.commit()
    token = await csrf_of(client)
    for who in [phone, phone, phone, "@can_bo_cds", "Can_Bo_CDS"]:
        assert (await client.post("/admin/signin/link", data={"csrf_token": token, "who": who})).status == 200
    locked = await client.post("/admin/signin/link", data={"csrf_token": token, "who": "@can_bo_cds"})
    assert locked.status == 429 and "bị khoá" in await locked.text()
