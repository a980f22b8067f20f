"""Browsing and searching the how-to guides in chat, in both languages."""

import pytest
from sqlalchemy import select

from bot.db.guides import GuideView
from handlers.guides import library
from tests.chat import Harness
from tests.handlers.test_register import register


@pytest.fixture
async def chat(demo_roster):
    harness = Harness(demo_roster)
    return await register(harness, "200")


async def views(chat) -> list[tuple[str, str]]:
    async with chat.harness.db.session() as session:
        return [tuple(r) for r in await session.execute(select(GuideView.guide_id, GuideView.source))]


async def test_categories_guide_steps_and_back_to_menu(chat):
    await chat.tap("menu:guides")
    assert "guides:cat:identity" in chat.payloads and "guides:cat:public_services" in chat.payloads
    await chat.tap("guides:cat:identity")
    assert "guide:vneid-level2:1:menu" in chat.payloads
    await chat.tap("guide:vneid-level2:1:menu")
    guide = library().get("vneid-level2", "vi")
    assert guide.title in chat.text and f"bước 1/{len(guide.steps)}" in chat.text
    assert guide.steps[0].title in chat.text and "Cập nhật 23/11/2026" in chat.text
    assert "guide:vneid-level2:2" in chat.payloads and "guide:vneid-level2:0" not in chat.payloads
    await chat.tap("guide:vneid-level2:2")
    assert guide.steps[1].title in chat.text and "bước 2/" in chat.text
    await chat.tap("guide:vneid-level2:1")
    assert guide.steps[0].title in chat.text
    for n in range(2, len(guide.steps) + 1):
        await chat.tap(f"guide:vneid-level2:{n}")
    assert guide.steps[-1].title in chat.text
    assert not any(p.startswith("guide:vneid-level2:") and p.endswith(str(len(guide.steps) + 1))
                   for p in chat.payloads)
    await chat.tap("menu:main")
    assert "menu:guides" in chat.payloads and "menu:team" in chat.payloads
    assert await views(chat) == [("vneid-level2", "menu")]


@pytest.mark.parametrize("query,expected", [
    ("dich vu cong", "dich-vu-cong-online"),
    ("dịch vụ công", "dich-vu-cong-online"),
    ("vneid", "vneid-level2"),
    ("vnied", "vneid-level2"),
    ("thanh toan qr", "thanh-toan-qr"),
    ("lua dao", "nhan-biet-lua-dao"),
])
async def test_search_by_typing_in_the_guides_menu(chat, query, expected):
    await chat.tap("menu:guides")
    await chat.send(query)
    assert chat.payloads[0] == f"guide:{expected}:1:search"


async def test_typing_words_from_anywhere_finds_guides(chat):
    await chat.send("vneid")
    assert chat.payloads[0] == "guide:vneid-level2:1:search"
    await chat.tap("guide:vneid-level2:1:search")
    assert await views(chat) == [("vneid-level2", "search")]


async def test_nothing_found_says_so_and_offers_the_topics(chat):
    await chat.tap("menu:guides")
    await chat.send("xyzzy qwerty")
    assert "Không có hướng dẫn nào khớp" in chat.text
    assert [p for p in chat.payloads if p.startswith("guide:")] == []
    assert [p for p in chat.payloads if p.startswith("guides:cat:")] == [
        f"guides:cat:{c}" for c in library().categories("vi")]


async def test_a_step_with_a_picture_sends_it_with_the_step(chat):
    guide = library().get("mo-tai-khoan-ngan-hang", "vi")
    n = next(i for i, step in enumerate(guide.steps, 1) if step.image)
    await chat.send(payload=f"guide:{guide.id}:{n}")
    assert chat.last[0].photo == str(guide.image_path(guide.steps[n - 1]))
    assert chat.last[0].photo.endswith(".vi.png") and guide.steps[n - 1].title in chat.text
    await chat.send(payload=f"guide:{guide.id}:1")
    assert chat.last[0].photo is None


async def test_menu_word_leaves_the_search(chat):
    await chat.tap("menu:guides")
    await chat.send("menu")
    assert "menu:team" in chat.payloads
    await chat.tap("menu:guides")
    await chat.send("to cua toi")
    assert "Tổ CNSCĐ Thôn 3" in chat.text


async def test_guide_button_from_a_broadcast_opens_it_and_is_counted(chat):
    await chat.send(payload="guide:thanh-toan-qr")
    assert library().get("thanh-toan-qr", "vi").title in chat.text
    assert await views(chat) == [("thanh-toan-qr", "broadcast")]
    await chat.send(payload="guide:no-such-guide")
    assert "không còn" in chat.text


async def test_language_switch_changes_texts_and_date_format(chat):
    await chat.send(payload="lang:en")
    await chat.tap("menu:guides")
    assert "Choose a topic" in chat.text
    await chat.tap("guides:cat:identity")
    await chat.tap("guide:vneid-level2:1:menu")
    assert library().get("vneid-level2", "en").title in chat.text
    assert "step 1 of" in chat.text and "Updated 23 Nov 2026" in chat.text
    await chat.send("dich vu cong")
    assert chat.payloads[0] == "guide:dich-vu-cong-online:1:search"


async def test_numbered_guides_on_a_channel_without_buttons(demo_roster):
    harness = Harness(demo_roster)
    chat = await register(harness, "201", channel="plain")
    await chat.send("huong dan")
    assert "1. " in chat.text
    await chat.send("1")
    assert "1. 📘" in chat.text
    await chat.send("1")
    assert "bước 1/" in chat.text
