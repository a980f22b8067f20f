"""Issue 18 item 5: a search with no good match says so and offers the topics.

Before: "bảo hiểm xã hội" (social insurance, which no guide covers) listed five unrelated guides that
shared a word or two with it ("bảo" of "bảo vệ", "hội" of "hội viên", …).
"""

from bot.services.guide_library import load_guides
from handlers.guides import library
from tests.chat import Harness
from tests.handlers.test_register import register


def test_a_topic_no_guide_covers_finds_nothing():
    guides = load_guides()
    for query in ("bảo hiểm xã hội", "bao hiem xa hoi"):
        assert guides.search(query, "vi") == []
    assert guides.search("social insurance", "en") == []
    assert [g.id for g in guides.search("bảo vệ thông tin cá nhân", "vi")][:1] == ["bao-ve-du-lieu-ca-nhan"]


async def test_the_chat_says_no_guide_matches_and_offers_the_topics(demo_roster):
    chat = await register(Harness(demo_roster), "200")
    await chat.tap("menu:guides")
    await chat.send("bảo hiểm xã hội")
    assert "Không có hướng dẫn nào khớp “bảo hiểm xã hội”" in chat.text
    assert not any(p.startswith("guide:") for p in chat.payloads)
    assert {p for p in chat.payloads if p.startswith("guides:cat:")} == {
        f"guides:cat:{c}" for c in library().categories("vi")}
