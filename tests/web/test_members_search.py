"""The services behind the members page, on SQLite and PostgreSQL: the scoped search, the roster preview
(what an import would change, nothing written), and the one role change the command line shares."""

import asyncio
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.cli import main
from bot.db.models import OrgUnit
from bot.services import access, members, org, roster
from bot.services.access import Actor, Role
from tests.web.conftest import OTHER_COMMUNE, add_member, csrf_of, sign_in
from tests.web.test_review_browser import told


async def scope(db, code: str) -> str:
    async with db.session() as session:
        return (await org.unit_by_code(session, code)).path


async def names(db, actor: Actor, text: str) -> list[str]:
    async with db.session() as session:
        return [found.full_name for found in await members.search(session, actor, text)]


async def test_search_by_name_phone_or_unit_stays_in_scope(any_db, demo_roster):
    await add_member(demo_roster, "21409-02", "Nguyễn Thị Bình", "+84905111222", "chat-1")
    await add_member(demo_roster, "21409-03", "Lê Văn Cường", "+84935000111", "chat-2")
    await add_member(demo_roster, OTHER_COMMUNE + "-01", "Nguyễn Văn Xa", "+84905111999", "chat-3")
    officer = Actor(Role.OFFICER, await scope(demo_roster, "21409"))
    admin = Actor(Role.ADMIN, access.WHOLE_TREE)
    assert await names(demo_roster, officer, "nguyễn") == ["Nguyễn Thị Bình"]
    assert await names(demo_roster, admin, "Nguyễn") == ["Nguyễn Thị Bình", "Nguyễn Văn Xa"]
    assert await names(demo_roster, officer, "0905 111") == ["Nguyễn Thị Bình"]  # as people type numbers
    assert await names(demo_roster, admin, "+84905111") == ["Nguyễn Thị Bình", "Nguyễn Văn Xa"]
    assert await names(demo_roster, officer, "21409-03") == ["Lê Văn Cường"]  # a unit code: its subtree
    assert await names(demo_roster, officer, OTHER_COMMUNE) == []
    assert await names(demo_roster, officer, "") == ["Lê Văn Cường", "Nguyễn Thị Bình"]
    assert await names(demo_roster, officer, "50%_") == []  # LIKE wildcards are plain text
    leader = Actor(Role.LEADER, await scope(demo_roster, "21409-02"))
    assert await names(demo_roster, leader, "") == ["Nguyễn Thị Bình"]


async def test_a_preview_says_what_would_change_and_writes_nothing(any_db, demo_roster, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("code,name,kind,parent_code\n21409-01,Thôn Một,village,21409\n"
                    f"21409-05,Thôn 5,village,{OTHER_COMMUNE}\n21409-06,Thôn 6,village,21409\n"
                    "21409-02,Thôn 2,village,21409\n21409-07,Thôn 7,village,99999\n", encoding="utf-8")
    async with demo_roster.session() as session:
        count = await session.scalar(select(func.count()).select_from(OrgUnit))
        preview = await roster.preview_rosters(session, [Path(path)])
        assert await session.scalar(select(func.count()).select_from(OrgUnit)) == count
    assert [(row.line, row.code) for row in preview.added] == [(4, "21409-06"), (6, "21409-07")]
    assert [(row.line, row.name, old) for row, old in preview.renamed] == [(2, "Thôn Một", "Thôn 1")]
    assert [(row.line, row.parent_code, old) for row, old in preview.moved] == [(3, OTHER_COMMUNE, "21409")]
    assert preview.unchanged == 1
    assert preview.refused == [f"{path}:6: unit 21409-07: unknown parent 99999"]


async def test_the_command_line_promotion_tells_the_member_too(demo_roster, monkeypatch):
    member_id = await add_member(demo_roster, "21409-02", "Nguyễn Thị Bình", "+84905111222", "chat-cli")
    monkeypatch.setenv("CDSBOT_DATABASE_URL", demo_roster.url)
    assert await asyncio.to_thread(main, ["members", "promote", str(member_id), "--role", "officer"]) == 0
    assert await told(demo_roster, "chat-cli") == ["Vai trò của bạn trong Tổ CNSCĐ Thôn 2 bây giờ là: cán bộ."]


async def test_bad_uploads_and_roles_get_a_clear_answer(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    token = await csrf_of(client, "/admin/roster")
    empty = await client.post("/admin/roster", data={"csrf_token": token})
    assert empty.status == 400 and "Hãy chọn một tệp CSV trước." in await empty.text()
    form = aiohttp.FormData({"csrf_token": token})
    form.add_field("roster", b"code,name,kind,parent_code\n" + b"x" * 1_100_000, filename="big.csv")
    big = await client.post("/admin/roster", data=form)
    assert big.status == 413 and "Trang này chỉ nhận tệp đến 1 MB" in await big.text()
    member_id = await add_member(demo_roster, "21409-02", "Nguyễn Thị Bình", "+84905111222", "chat-bad")
    wrong = await client.post(f"/admin/members/{member_id}/role", data={"csrf_token": token, "role": "boss"})
    assert wrong.status == 400 and "Hãy chọn một vai trò trong danh sách." in await wrong.text()
    nobody = await client.post("/admin/members/99999999/role", data={"csrf_token": token, "role": "leader"})
    assert nobody.status == 404
    assert (await client.get("/admin/roster/not-a-token")).status == 404
