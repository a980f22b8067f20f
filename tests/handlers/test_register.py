"""Registration, menu, cancel, language and linking, driven through the core as a member would."""

import pytest
from sqlalchemy import func, select

from bot.db.models import ChannelAccount, Member, OrgUnit, Team
from tests.chat import Harness


async def invite(db, unit_code: str) -> str:
    async with db.session() as session:
        query = select(Team.invite_code).join(OrgUnit, Team.unit_id == OrgUnit.id).where(OrgUnit.code == unit_code)
        return (await session.execute(query)).scalar_one()


async def members(db) -> list[Member]:
    async with db.session() as session:
        return list((await session.execute(select(Member).order_by(Member.id))).scalars())


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def register(harness, chat_id: str, name: str = "Nguyễn Văn An", unit: str = "21409-03", channel="fake"):
    chat = harness.chat(chat_id, channel)
    await chat.send(f"/start {await invite(harness.db, unit)}")
    await chat.send(name)
    await chat.send(payload="register:skip_phone")
    await chat.send(payload="register:confirm")
    return chat


async def test_happy_path_from_deep_link(harness):
    chat = harness.chat("100")
    code = await invite(harness.db, "21409-03")
    await chat.send(f"/start {code}")
    assert "Tổ CNSCĐ Thôn 3" in chat.text
    assert "Thôn 3 · Xã Đức Nhuận · Huyện Mộ Đức" in chat.text
    assert "Họ và tên" in chat.text

    await chat.send("  Trần   Thị Bình ")
    assert chat.last[0].request_contact == "📱 Chia sẻ số điện thoại"
    assert "register:skip_phone" in chat.payloads

    await chat.send(contact="+84 905 123 456")
    assert "Trần Thị Bình" in chat.text and "+84905123456" in chat.text
    assert "Thôn 3 · Xã Đức Nhuận · Huyện Mộ Đức" in chat.text

    await chat.tap("register:confirm")
    assert "Chào mừng Trần Thị Bình gia nhập tổ" in chat.text
    assert "menu:team" in chat.payloads

    [member] = await members(harness.db)
    assert (member.full_name, member.phone, member.role, member.locale) == ("Trần Thị Bình", "+84905123456",
                                                                             "member", "vi")
    await chat.send("/start")
    assert "Chào mừng Trần Thị Bình quay lại" in chat.text and "menu:team" in chat.payloads


async def test_code_typed_without_start_and_lowercase(harness):
    chat = harness.chat("101")
    await chat.send("xin chào")
    assert "mã mời 8 ký tự" in chat.text
    code = await invite(harness.db, "533")
    await chat.send(code.lower()[:4] + " " + code.lower()[4:])
    assert "Tổ CNSCĐ Huyện Mộ Đức" in chat.text


@pytest.mark.parametrize("name", ["A", "x" * 81, "Nguyen Van 3", "1234", "👍👍👍"])
async def test_bad_names_are_refused_and_the_step_kept(harness, name):
    chat = harness.chat("102")
    await chat.send(f"/start {await invite(harness.db, '533')}")
    await chat.send(name)
    assert "từ 2 đến 80 ký tự" in chat.text
    await chat.send("Lê Văn Cường")
    assert "số điện thoại" in chat.text


@pytest.mark.parametrize("phone,stored", [("0905123456", "+84905123456"), ("+84 33 123 4567", "+84331234567"),
                                          ("84-979-123-456", "+84979123456")])
async def test_typed_phone_numbers(harness, phone, stored):
    chat = harness.chat("103")
    await chat.send(f"/start {await invite(harness.db, '533')}")
    await chat.send("Lê Văn Cường")
    await chat.send(phone)
    assert stored in chat.text


@pytest.mark.parametrize("phone", ["12345", "0123456789", "+1 202 555 0100", "09051234567"])
async def test_bad_phone_numbers(harness, phone):
    chat = harness.chat("104")
    await chat.send(f"/start {await invite(harness.db, '533')}")
    await chat.send("Lê Văn Cường")
    await chat.send(phone)
    assert "chưa đúng dạng số điện thoại" in chat.text
    await chat.send("bo qua")
    assert "(không có)" in chat.text


async def test_wrong_codes_lock_the_chat_for_an_hour(harness):
    chat = harness.chat("105")
    for left in (4, 3, 2, 1, 0):
        await chat.send("/start ZZZZZZZZ")
        assert f"Còn {left} lần thử" in chat.text
    good = await invite(harness.db, "533")
    await chat.send(f"/start {good}")
    assert "chờ 60 phút" in chat.text
    harness.clock.advance(minutes=30)
    await chat.send(good)
    assert "chờ 30 phút" in chat.text
    harness.clock.advance(minutes=31)
    await chat.send(good)
    assert "Tổ CNSCĐ Huyện Mộ Đức" in chat.text
    other = harness.chat("106")
    await other.send(f"/start {good}")
    assert "Tổ CNSCĐ Huyện Mộ Đức" in other.text


async def test_restart_in_the_middle_of_registration_resumes(harness):
    chat = harness.chat("107")
    await chat.send(f"/start {await invite(harness.db, '21409-03')}")
    harness.core = harness.build_core()  # a new process: only the database is left
    await chat.send("Phạm Thị Dung")
    assert "số điện thoại" in chat.text
    harness.core = harness.build_core()
    await chat.send(payload="register:skip_phone")
    await chat.send(payload="register:confirm")
    assert [m.full_name for m in await members(harness.db)] == ["Phạm Thị Dung"]


async def test_cancel_words_leave_registration(harness):
    for word in ("hủy", "huy", "HUỶ", "/cancel"):
        chat = harness.chat(f"cancel-{word}")
        await chat.send(f"/start {await invite(harness.db, '533')}")
        await chat.send(word)
        assert "Đã hủy" in chat.text and "mã mời" in chat.text
        await chat.send("Lê Văn Cường")  # no longer taken as a name
        assert "Mã mời gồm 8" in chat.text or "mã mời 8" in chat.text


async def test_menu_words_without_diacritics(harness):
    chat = await register(harness, "108")
    for typed in ("to cua toi", "Tổ của tôi", "TO CUA TOI"):
        await chat.send(typed)
        assert "Tổ CNSCĐ Thôn 3" in chat.text and "1 thành viên" in chat.text
    await chat.send("ngon ngu")
    assert chat.payloads == ["lang:vi", "lang:en"]


async def test_unknown_input_gets_a_hint_and_the_menu(harness):
    chat = await register(harness, "109")
    await chat.send("asdfgh")
    assert "chưa hiểu" in chat.text and "menu:team" in chat.payloads
    await chat.send("/menu")
    await chat.send(None, photo="file-1")  # a photo the platform no longer has: asked to send it again
    assert "gửi lại" in chat.text and chat.payloads == ["menu:main"]


async def test_language_switch_persists(harness):
    chat = await register(harness, "110")
    await chat.send(payload="menu:language")
    await chat.tap("lang:en")
    assert "Language set to English." in chat.text and "What would you like to do?" in chat.text
    harness.core = harness.build_core()
    await chat.send("my team")
    assert "1 member" in chat.text and "Leader: not set yet" in chat.text
    [member] = await members(harness.db)
    assert member.locale == "en"


async def test_numbered_options_on_a_channel_without_buttons(harness):
    chat = await register(harness, "111", channel="plain")
    assert chat.last[-1].buttons == []
    team, language = chat.number_of("Tổ của tôi"), chat.number_of("Ngôn ngữ")
    assert f"{team}. 👥 Tổ của tôi" in chat.text
    await chat.send(team)
    assert "Tổ CNSCĐ Thôn 3" in chat.text and "1. 🏠 Danh mục" in chat.text
    await chat.send(language)  # only the options shown last count
    assert "chưa hiểu" in chat.text
    await chat.send(chat.number_of("Ngôn ngữ"))
    assert "1. 🇻🇳 Tiếng Việt" in chat.text
    await chat.send("2")
    assert "Language set to English." in chat.text


async def test_redelivered_update_is_handled_once(harness):
    chat = harness.chat("112")
    code = await invite(harness.db, "533")
    await chat.send(f"/start {code}", message_id="u-1")
    await chat.send("Lê Văn Cường", message_id="u-2")
    await chat.send("Lê Văn Cường", message_id="u-2")
    assert chat.last == []
    await chat.send(payload="register:skip_phone", message_id="u-3")
    await chat.send(payload="register:confirm", message_id="u-4")
    await chat.send(payload="register:confirm", message_id="u-4")
    assert len(await members(harness.db)) == 1


async def test_handler_error_apologises_and_keeps_the_chat_usable(harness, monkeypatch, caplog):
    chat = await register(harness, "113")

    async def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("bot.services.members.team_of", broken)
    await chat.send(payload="menu:team")
    assert "hệ thống vừa gặp sự cố" in chat.text and "menu:team" in chat.payloads
    assert "handler failed" in caplog.text
    monkeypatch.undo()
    await chat.send(payload="menu:team")
    assert "Tổ CNSCĐ Thôn 3" in chat.text


async def test_link_a_second_messenger(harness):
    tg = await register(harness, "114")
    await tg.send("/link")
    code = tg.text.split("Mã liên kết của bạn là ")[1][:8]
    web = harness.chat("browser-1", "plain")
    await web.send(f"/link {code}")
    assert "Đã liên kết" not in web.text  # not before the member confirms from the messenger they already use
    tg.last = await tg.replies()
    await tg.tap(next(p for p in tg.payloads if p.startswith("link:confirm:")))
    assert "Đã liên kết tài khoản này với Nguyễn Văn An" in (await web.replies())[0].text
    await web.send("to cua toi")
    assert "1 thành viên" in web.text
    async with harness.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 1
        assert await session.scalar(select(func.count()).select_from(ChannelAccount)) == 2
    again = harness.chat("browser-2", "plain")
    await again.send(f"/link {code}")
    assert "không đúng" in again.text


async def test_link_code_expires_after_ten_minutes(harness):
    tg = await register(harness, "115")
    await tg.send("/link")
    code = tg.text.split("Mã liên kết của bạn là ")[1][:8]
    harness.clock.advance(minutes=10, seconds=1)
    other = harness.chat("zalo-1", "plain")
    await other.send(code)  # a code typed in the registration prompt works too, when valid
    assert "không đúng" in other.text


async def test_blocked_event_marks_the_account_unreachable(harness):
    chat = await register(harness, "116")
    await chat.send(event="blocked")
    assert chat.last == []
    async with harness.db.session() as session:
        assert (await session.execute(select(ChannelAccount.unreachable))).scalar_one() is True
    harness.clock.advance(minutes=1)
    await chat.send("menu")
    async with harness.db.session() as session:
        assert (await session.execute(select(ChannelAccount.unreachable))).scalar_one() is False
