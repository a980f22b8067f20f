"""Issue 15 item 20: guides about cdsbot itself (category `using_bot`) quote only buttons, words and limits it has.

The convention for such guides: every button the member taps or word they type is quoted (“…” or "…"), and
limits are written as digits before their unit ("5 ảnh", "20 MB"). This test checks each quote against the
catalog of the guide's language, the words the bot understands and the report types, and each limit against
the code and the default settings, so a guide cannot drift from the bot it describes.
"""

import re

import pytest
from babel.messages.pofile import read_po

from bot.config import Settings
from bot.core.router import CANCEL_WORDS
from bot.services import catalogs, photos
from bot.services.guide_library import load_guides
from bot.services.guides import LANGS
from bot.services.report_types import load_report_types
from bot.text import fold
from handlers import build_router
from handlers import report_draft as rd

MARKER = "using_bot"
QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"")
INVITE_CODE_LENGTH = 8
# unit (per language) → the numbers the bot really uses with it
LIMITS = {
    "vi": {r"(\d+) ảnh": {rd.MAX_PHOTOS}, r"(\d+) ký tự": {rd.NOTE_LIMIT, INVITE_CODE_LENGTH},
           r"(\d+) ngày": {Settings().report_window_days}, r"(\d+) MB": {photos.MAX_BYTES // 2**20}},
    "en": {r"(\d+) photos?": {rd.MAX_PHOTOS}, r"(\d+) characters?": {rd.NOTE_LIMIT, INVITE_CODE_LENGTH},
           r"(\d+) days?": {Settings().report_window_days}, r"(\d+) MB": {photos.MAX_BYTES // 2**20}},
}


def bot_guides():
    """(language, guide) for every guide about the bot."""
    library = load_guides()
    return [(lang, g) for lang in LANGS for g in library.all(lang) if g.category == MARKER]


def labels(lang: str) -> set[str]:
    """Everything the catalog of `lang` can show (button labels among it)."""
    with catalogs.po_path(lang).open("rb") as handle:
        return {m.string if isinstance(m.string, str) else m.string[0] for m in read_po(handle, locale=lang) if m.id}


def typed_words() -> set[str]:
    """What the bot understands when typed: keywords, commands, cancel words (folded)."""
    router = build_router()
    return {*router.keywords, *router.anywhere, *CANCEL_WORDS, *(f"/{c}" for c in router.commands)}


def known_quotes(lang: str) -> set[str]:
    kinds = load_report_types().values()
    return labels(lang) | {k.name_in(lang) for k in kinds}


def test_there_are_guides_about_the_bot_in_every_language():
    assert {lang for lang, _ in bot_guides()} == set(LANGS)
    assert "bot-gui-bao-cao" in {g.id for _, g in bot_guides()}


@pytest.mark.parametrize(("lang", "guide"), bot_guides(), ids=lambda v: v if isinstance(v, str) else v.id)
def test_quoted_buttons_and_words_exist_in_the_bot(lang, guide):
    known, words = known_quotes(lang), typed_words()
    unknown = []
    for step in guide.steps:
        for quote in (a or b for a, b in QUOTED.findall(f"{step.title}\n{step.text}")):
            if quote not in known and fold(quote) not in words:
                unknown.append(f"step {step.title!r}: “{quote}” is no button, report type or word of the bot")
    assert not unknown, "\n".join(unknown)


@pytest.mark.parametrize(("lang", "guide"), bot_guides(), ids=lambda v: v if isinstance(v, str) else v.id)
def test_quoted_limits_are_the_bots(lang, guide):
    wrong = []
    for step in guide.steps:
        for pattern, allowed in LIMITS[lang].items():
            for number in re.findall(pattern, f"{step.title}\n{step.text}"):
                if int(number) not in allowed:
                    wrong.append(f"step {step.title!r}: {number} in {pattern!r}, the bot uses {sorted(allowed)}")
    assert not wrong, "\n".join(wrong)


def test_the_report_guide_names_the_real_steps():
    """The report guide walks the real flow: each step's buttons are quoted in both languages."""
    must = {"vi": ["📝 Gửi báo cáo", "Hôm nay", "✅ Xong", "🚫 Không có ảnh", "⏭️ Bỏ qua", "📤 Gửi", "✏️ Sửa"],
            "en": ["📝 Send a report", "Today", "✅ Done", "🚫 No photo", "⏭️ Skip", "📤 Send", "✏️ Edit"]}
    library = load_guides()
    for lang, buttons in must.items():
        text = "\n".join(f"{s.title}\n{s.text}" for s in library.get("bot-gui-bao-cao", lang).steps)
        assert [b for b in buttons if f"“{b}”" not in text] == []
        assert f"{rd.MAX_PHOTOS} " in text
