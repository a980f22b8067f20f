"""Console accounts: the service rules, the CLI (`cdsbot admin add`), and the Accounts page for admins."""

import asyncio
import io

from sqlalchemy import func, select

from bot.cli import main
from bot.db.console import AuditEntry, ConsoleAccount
from bot.services import accounts
from bot.services.accounts import AccountError
from tests.web.conftest import COMMUNE, START, add_member, csrf_of, sign_in


async def _count(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(ConsoleAccount))


async def test_service_refuses_bad_accounts(demo_roster):
    member = await add_member(demo_roster, COMMUNE, "Phạm Thu", "+84905000009", "chat-pham-0009")
    cases = [
        dict(member_id=999999),
        dict(member_id=member, role="leader"),
        dict(member_id=member, unit_code="nope"),
    ]
    async with demo_roster.session() as session:
        for case in cases:
            member_id = case.pop("member_id")
            try:
                await accounts.add_member_account(session, member_id, now=START, **case)
            except AccountError:
                continue
            raise AssertionError(f"accepted {case}")
        made = await accounts.add_member_account(session, member, now=START)
        assert made.role == "officer"  # scope defaults to the member's team's unit
        for email, name, password in (("not-an-email", "Phạm Thu", "long enough!"),
                                      ("a@b.vn", "1", "long enough!"), ("a@b.vn", "Phạm Thu", "short")):
            try:
                await accounts.add_staff_account(session, email=email, name=name, unit_code=COMMUNE, role="officer",
                                                 password=password, now=START)
            except AccountError:
                continue
            raise AssertionError(f"accepted {email} {name}")


async def test_passwords_are_hashed_with_argon2(demo_roster):
    async with demo_roster.session() as session:
        staff = await accounts.add_staff_account(session, email="Ke.Toan@QuangNgai.gov.vn", name="Kế Toán",
                                                 unit_code="51", role="admin", password="a long passphrase", now=START)
    assert staff.email == "ke.toan@quangngai.gov.vn" and staff.password_hash.startswith("$argon2id$")
    assert accounts.password_ok(staff, "a long passphrase") and not accounts.password_ok(staff, "A long passphrase")


async def test_cli_adds_a_member_and_a_staff_account(demo_roster, monkeypatch, capsys):
    member = await add_member(demo_roster, COMMUNE, "Võ Hoa", "+84905000010", "chat-vo-0010")
    monkeypatch.setenv("CDSBOT_DATABASE_URL", demo_roster.url)
    assert await asyncio.to_thread(main, ["admin", "add", "--member", str(member), "--role", "admin"]) == 0
    assert "Võ Hoa, admin" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["admin", "add", "--member", str(member)]) == 2
    assert "already has a console account" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("mật khẩu rất dài\n"))
    args = ["admin", "add", "--email", "so@qn.gov.vn", "--name", "Sở Thông Tin", "--unit", "51", "--role", "officer"]
    assert await asyncio.to_thread(main, args) == 0
    assert "with their password" in capsys.readouterr().out
    async with demo_roster.session() as session:
        query = select(ConsoleAccount).where(ConsoleAccount.email == "so@qn.gov.vn")
        staff = (await session.execute(query)).scalar_one()
        assert accounts.password_ok(staff, "mật khẩu rất dài")
        query = select(AuditEntry.target).where(AuditEntry.action == "account_added").order_by(AuditEntry.id)
        targets = (await session.execute(query)).scalars().all()
    assert targets == ["Võ Hoa (admin)", "Sở Thông Tin (officer)"]


async def test_admins_add_accounts_from_the_console(client, demo_roster, people):
    phone, chat = people["admin"]
    await sign_in(client, demo_roster, phone, chat)
    token = await csrf_of(client, "/admin/accounts")
    form = {"csrf_token": token, "kind": "member", "member": "0905000002", "role": "officer", "unit": ""}
    taken = await client.post("/admin/accounts", data=form)
    assert taken.status == 400 and "đã có tài khoản quản trị" in await taken.text()
    form |= {"kind": "staff", "email": "vp@qn.gov.vn", "name": "Văn Phòng", "password": "mười ký tự trở lên",
             "unit": COMMUNE}
    added = await client.post("/admin/accounts", data=form)
    assert added.status == 200 and "Đã thêm tài khoản cho Văn Phòng" in await added.text()
    async with demo_roster.session() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "account_added"))).scalar_one()
    assert (entry.actor_name, entry.target) == ("Trần Thị Admin", "Văn Phòng (officer)")


async def test_officers_may_not_manage_accounts(client, demo_roster, people):
    phone, chat = people["officer"]
    await sign_in(client, demo_roster, phone, chat)
    assert (await client.get("/admin/accounts")).status == 403
    token = await csrf_of(client, "/admin/audit")
    form = {"csrf_token": token, "kind": "staff", "email": "x@qn.gov.vn", "name": "Người Lạ", "password": "0123456789",
            "unit": "51", "role": "admin"}
    before = await _count(demo_roster)
    assert (await client.post("/admin/accounts", data=form)).status == 403
    assert await _count(demo_roster) == before


async def test_a_post_without_the_csrf_token_changes_nothing(client, demo_roster, people):
    phone, chat = people["admin"]
    await sign_in(client, demo_roster, phone, chat)
    form = {"kind": "staff", "email": "y@qn.gov.vn", "name": "Người Lạ", "password": "0123456789", "unit": "51"}
    before = await _count(demo_roster)
    for sent in (form, form | {"csrf_token": "forged"}):
        refused = await client.post("/admin/accounts", data=sent)
        assert refused.status == 403 and "chưa có gì bị thay đổi" in await refused.text()
    assert await _count(demo_roster) == before
