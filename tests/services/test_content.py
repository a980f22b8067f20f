"""Guides: the shipped content is clean, broken fixtures are caught, search finds the right guide."""

import re
import struct
from datetime import date
from pathlib import Path

import pytest

from bot.services.content import check_content, content_stats
from bot.services.guide_library import load_guides
from bot.services.guides import CATEGORIES, CONTENT_ROOT, LANGS, STEP_LIMIT, parse_guide

FIXTURES = Path(__file__).parent / "testdata" / "content"


@pytest.fixture(scope="module")
def library():
    return load_guides()


# --------------------------------------------------------------------------- shipped content


def test_shipped_content_has_no_problems():
    problems = check_content()
    assert problems == [], "\n".join(str(p) for p in problems)


def test_enough_guides_in_both_languages(library):
    for lang in LANGS:
        own = [g for g in library if g.lang == lang]
        assert len(own) >= 30, lang
    assert {g.id for g in library if g.lang == "vi"} == {g.id for g in library if g.lang == "en"}


@pytest.mark.parametrize("lang", LANGS)
def test_every_category_has_a_guide(library, lang):
    assert library.categories(lang) == list(CATEGORIES)


def test_shipped_guides_follow_the_house_style(library):
    for guide in library:
        assert 3 <= len(guide.steps) <= 7, guide.path
        assert all(step.length <= STEP_LIMIT for step in guide.steps), guide.path
        assert guide.version >= 1 and guide.last_reviewed >= date(2026, 11, 23), guide.path  # rewrites bump both
        assert guide.tags and guide.summary and guide.sources, guide.path


def test_required_guides_exist(library):
    expected = {
        "vneid-level2": "identity",
        "dich-vu-cong-online": "public_services",
        "thanh-toan-qr": "payments",
        "bot-gui-bao-cao": "using_bot",
        "bot-to-truong": "using_bot",
    }
    for gid, category in expected.items():
        for lang in LANGS:
            guide = library.get(gid, lang)
            assert guide is not None and guide.lang == lang and guide.category == category


def test_content_stats_counts_by_category_and_language(library):
    stats = content_stats()
    assert stats["guides"] == len(library)
    assert stats["by_lang"]["vi"] == stats["by_lang"]["en"] >= 30
    assert stats["illustrated"]["vi"] == stats["illustrated"]["en"] >= 10
    assert sum(c["vi"] for c in stats["by_category"].values()) == stats["by_lang"]["vi"]
    assert "national-dx-day" in stats["campaigns"]


# --------------------------------------------------------------------------- library behaviour


def test_get_falls_back_to_the_other_language():
    library = load_guides(FIXTURES / "missing-english" / "guides")
    guide = library.get("alpha", "en")
    assert guide is not None and guide.lang == "vi"
    assert library.get("nope", "vi") is None


def test_in_category_is_sorted_by_title(library):
    for lang in LANGS:
        for category in library.categories(lang):
            titles = [g.title for g in library.in_category(category, lang)]
            assert titles and len(titles) == len(set(titles))
    assert [g.id for g in library.in_category("nope", "vi")] == []


def test_steps_and_front_matter_are_parsed():
    guide, problems = parse_guide(CONTENT_ROOT / "guides" / "vneid-level2.vi.md")
    assert problems == []
    assert guide is not None
    assert guide.id == "vneid-level2" and guide.lang == "vi"
    assert guide.last_reviewed == date(2026, 11, 23)
    assert guide.steps[0].title == "Chuẩn bị trước khi làm"
    assert "Bộ Công an" in guide.steps[0].text
    assert "dich-vu-cong-online" in guide.related


def png(width: int, height: int, size: int = 64) -> bytes:
    """A PNG's signature and header for `width`×`height`, padded to `size` bytes: all the check reads."""
    head = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", width, height)
    return head + b"\0" * max(size - len(head), 0)


def test_image_lines_are_taken_out_of_the_text(tmp_path):
    guides = tmp_path / "guides"
    (guides / "img").mkdir(parents=True)
    (guides / "img" / "a.png").write_bytes(png(720, 600))
    text = (FIXTURES / "valid" / "guides" / "alpha.vi.md").read_text(encoding="utf-8")
    text = text.replace("Làm việc đầu tiên.", "Làm việc đầu tiên.\n![Màn hình](img/a.png)\n")
    text += "\n## Bước ba\n![Thiếu](img/missing.png)\nXem ảnh.\n"
    path = guides / "alpha.vi.md"
    path.write_text(text, encoding="utf-8")
    guide, problems = parse_guide(path)
    assert guide is not None
    assert guide.steps[0].image == "img/a.png" and "![" not in guide.steps[0].text
    assert guide.image_path(guide.steps[0]) == guides / "img" / "a.png"
    assert [p.message for p in problems] == ["step 3 image 'img/missing.png' does not exist"]


@pytest.mark.parametrize(("data", "words"), [
    (png(1600, 900), "is 1600×900 px, over 1280 px"),
    (png(720, 600, size=300 * 1024), "is 300 KB, over 200 KB"),
    (b"GIF89a" + b"\0" * 40, "must be a PNG"),
])
def test_pictures_too_big_for_a_phone_are_problems(tmp_path, data, words):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(data)
    text = (FIXTURES / "valid" / "guides" / "alpha.vi.md").read_text(encoding="utf-8")
    (tmp_path / "alpha.vi.md").write_text(text.replace("Làm việc đầu tiên.", "Làm việc đầu tiên.\n![x](img/a.png)"),
                                          encoding="utf-8")
    _, problems = parse_guide(tmp_path / "alpha.vi.md")
    assert [p.message.startswith(f"step 1 image 'img/a.png' {words}") for p in problems] == [True]


def test_a_guide_not_reviewed_for_a_year_is_a_problem():
    path = FIXTURES / "valid" / "guides" / "alpha.vi.md"
    _, fresh = parse_guide(path, today=date(2027, 10, 31))
    _, stale = parse_guide(path, today=date(2027, 11, 2))
    assert not any("over a year ago" in p.message for p in fresh)
    assert any("over a year ago" in p.message for p in stale)


def test_both_languages_need_the_same_steps_pictures_and_related(tmp_path):
    guides = tmp_path / "guides"
    guides.mkdir()
    for name in ("alpha.vi.md", "alpha.en.md"):
        (guides / name).write_bytes((FIXTURES / "valid" / "guides" / name).read_bytes())
    english = (guides / "alpha.en.md").read_text(encoding="utf-8")
    (guides / "alpha.en.md").write_text(english + "\n## One more\nAn extra step.\n", encoding="utf-8")
    problems = [p.message for p in check_content(tmp_path, today=date(2026, 11, 29))]
    assert any("steps, but alpha.vi.md has" in m for m in problems), problems


def test_a_guide_without_sources_is_a_problem(tmp_path):
    text = (FIXTURES / "valid" / "guides" / "alpha.vi.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("sources:")]
    (tmp_path / "alpha.vi.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = parse_guide(tmp_path / "alpha.vi.md")
    assert "front matter is missing 'sources'" in [p.message for p in problems]


def test_last_reviewed_in_the_future_is_a_problem():
    path = FIXTURES / "valid" / "guides" / "alpha.vi.md"
    _, problems = parse_guide(path, today=date(2026, 1, 1))
    assert any("in the future" in p.message for p in problems)


# --------------------------------------------------------------------------- broken fixtures


def test_valid_fixture_has_no_problems():
    assert check_content(FIXTURES / "valid") == []


@pytest.mark.parametrize(
    ("case", "file", "words"),
    [
        ("missing-key", "alpha.vi.md", "missing 'summary'"),
        ("missing-english", "alpha.vi.md", "no English version"),
        ("long-step", "alpha.en.md", "over the 700 limit"),
        ("duplicate-id", "alpha-copy.vi.md", "duplicate id 'alpha'"),
        ("unknown-related", "alpha.vi.md", "related guide 'khong-co' does not exist"),
        ("campaign-placeholder", "demo.yaml", "unknown placeholder {holiday}"),
        ("campaign-at-and-offset", "demo.yaml", "both 'at' and 'offset_days'"),
        ("campaign-monthly-days", "monthly.yaml", "every step must fall on day 1 to 28"),
    ],
)
def test_broken_fixture_is_reported_with_its_file(case, file, words):
    problems = check_content(FIXTURES / case)
    assert problems, case
    assert any(p.path.name == file and words in p.message for p in problems), [str(p) for p in problems]


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("dich vu cong", "vi", "dich-vu-cong-online"),
        ("dịch vụ công", "vi", "dich-vu-cong-online"),
        ("Dịch Vụ Công", "vi", "dich-vu-cong-online"),
        ("dich vu cnog", "vi", "dich-vu-cong-online"),
        ("vneid", "vi", "vneid-level2"),
        ("VNeID", "vi", "vneid-level2"),
        ("vnied", "vi", "vneid-level2"),
        ("thanh toan qr", "vi", "thanh-toan-qr"),
        ("thanh toán QR", "vi", "thanh-toan-qr"),
        ("thanh toan qe", "vi", "thanh-toan-qr"),
        ("lua dao", "vi", "nhan-biet-lua-dao"),
        ("lừa đảo", "vi", "nhan-biet-lua-dao"),
        ("lua daoo", "vi", "nhan-biet-lua-dao"),
        ("mat khau", "vi", "mat-khau-manh"),
        ("mật khẩu", "vi", "mat-khau-manh"),
        ("mat khua", "vi", "mat-khau-manh"),
        ("tien dien", "vi", "thanh-toan-hoa-don"),
        ("so suc khoe", "vi", "so-suc-khoe-dien-tu"),
        ("livestream", "vi", "livestream-ban-hang"),
        ("dong goi", "vi", "dong-goi-giao-hang"),
        ("vi dien tu", "vi", "vi-dien-tu-an-toan"),
        ("hoc truc tuyen", "vi", "hoc-truc-tuyen"),
        ("zalo", "vi", "zalo-kenh-chuyen-doi-so"),
        ("bao cao", "vi", "bot-gui-bao-cao"),
        ("to truong", "vi", "bot-to-truong"),
        ("public services", "en", "dich-vu-cong-online"),
        ("vneid", "en", "vneid-level2"),
        ("qr code", "en", "thanh-toan-qr"),
        ("scam", "en", "nhan-biet-lua-dao"),
        ("password", "en", "mat-khau-manh"),
        ("pasword", "en", "mat-khau-manh"),
        ("health book", "en", "so-suc-khoe-dien-tu"),
        ("e-wallet", "en", "vi-dien-tu-an-toan"),
        ("team leader", "en", "bot-to-truong"),
    ],
)
def test_search_puts_the_expected_guide_first(library, query, lang, expected):
    results = library.search(query, lang)
    assert results, query
    assert results[0].id == expected, [g.id for g in results]
    assert all(g.lang == lang for g in results)


@pytest.mark.parametrize("query", ["xyzzy qwerty", "asdfgh", "", "   ", "!!!"])
def test_nonsense_finds_nothing(library, query):
    assert library.search(query, "vi") == []
    assert library.search(query, "en") == []


def test_search_respects_limit(library):
    assert len(library.search("vneid", "vi", limit=2)) <= 2
    assert library.search("vneid", "vi", limit=0) == []



def test_every_picture_is_rendered_from_a_diagram_made_for_cdsbot():
    """Pictures are drawn as SVG for cdsbot and rendered to PNG (scripts/render_guide_images.py), never pasted in."""
    folder = CONTENT_ROOT / "guides" / "img"
    pngs, svgs = {p.stem for p in folder.glob("*.png")}, {p.stem for p in folder.glob("*.svg")}
    assert pngs == svgs and len(svgs) >= 20
    used = {Path(s.image).stem for g in load_guides() for s in g.steps if s.image}
    assert used == pngs  # no picture lies unused, none is missing


# Words older villagers meet first: where a guide's steps first use one, it is explained right there,
# either just after it ("OTP (…)", "OTP là …", "COD means …") or just before it ("… (called NFC)").
TERMS = ("OTP", "COD", "NFC")


@pytest.mark.parametrize("term", TERMS)
def test_terms_are_explained_where_a_guide_first_uses_them(library, term):
    unexplained = []
    for guide in library:
        text = "\n".join(step.text for step in guide.steps)
        first = re.search(rf"\b{term}\b", text)
        if first is None:
            continue
        after = re.match(rf"{term}(?:s| codes?)?\s*(?:\(|là |nghĩa là |is |means )", text[first.start():])
        before = re.search(rf"\([^()]*{term}\)$", text[max(first.start() - 60, 0):first.end() + 1])
        if not (after or before):
            unexplained.append(f"{guide.path.name}: …{text[first.start():first.start() + 40]}")
    assert not unexplained, "\n".join(unexplained)
