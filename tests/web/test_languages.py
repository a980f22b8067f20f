"""Every console page reads in Vietnamese or English from the catalogs: no raw message ids, no unfilled {values}."""

import re
from functools import cache
from html import unescape

from babel.messages.pofile import read_po
from sqlalchemy import select

from bot.db.console import ConsoleAccount
from bot.i18n import LOCALES_DIR
from bot.services import catalogs
from tests.web.conftest import COMMUNE, csrf_of, sign_in

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
PAGES = ("/admin/", "/admin/audit", "/admin/accounts", f"/admin/units/{COMMUNE}", "/admin/nowhere")
TEXTS_JS = """() => {
  const out = [document.title];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) { const t = walk.currentNode.textContent.trim(); if (t) out.push(t); }
  document.querySelectorAll('[placeholder],[aria-label],[title]').forEach(e =>
    ['placeholder', 'aria-label', 'title'].forEach(a => e.getAttribute(a) && out.push(e.getAttribute(a))));
  return out;
}"""


@cache
def foreign(locale: str) -> frozenset[str]:
    """Texts that must not show in `locale`: in vi, an English id the code uses whose Vietnamese differs or is
    missing (so an untranslated string is caught too); in en, a Vietnamese translation."""
    with (LOCALES_DIR / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    vi = {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id}
    if locale == "vi":
        used = {m.id for m in catalogs.extract() if isinstance(m.id, str) and m.id}
        return frozenset(msgid for msgid in used if vi.get(msgid) != msgid)
    return frozenset(text for msgid, text in vi.items() if text and text != msgid)


def raw_in(texts: list[str], locale: str) -> list[str]:
    """The texts that are untranslated ids, the other language's strings, or hold a {placeholder}."""
    return [text for text in texts if text in foreign(locale) or PLACEHOLDER.search(text)]


async def raw_ids(page, locale: str) -> list[str]:
    """raw_in() over a browser page's visible texts and labels."""
    return raw_in(await page.evaluate(TEXTS_JS), locale)


def texts_of(html: str) -> list[str]:
    """Text between tags, for pages fetched without a browser."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return [chunk.strip() for chunk in re.split(r"<[^>]+>", body) if chunk.strip()]


async def test_every_page_in_both_languages(client, demo_roster, people):
    phone, chat = people["admin"]
    await sign_in(client, demo_roster, phone, chat)
    for lang in ("vi", "en"):
        client.session.cookie_jar.update_cookies({"cdsbot_lang": lang})
        for path in PAGES:
            html = await (await client.get(path)).text()
            assert f'<html lang="{lang}">' in html, path
            assert raw_in([unescape(text) for text in texts_of(html)], lang) == [], (lang, path)


async def test_the_switch_is_remembered_on_the_account(client, demo_roster, people):
    phone, chat = people["admin"]
    await sign_in(client, demo_roster, phone, chat)
    token = await csrf_of(client, "/admin/audit")
    switched = await client.post("/admin/lang", data={"csrf_token": token, "lang": "en", "next": "/admin/audit"},
                                 allow_redirects=False)
    assert (switched.status, switched.headers["Location"]) == (303, "/admin/audit")
    assert switched.cookies["cdsbot_lang"].value == "en"
    async with demo_roster.session() as session:
        locales = (await session.execute(select(ConsoleAccount.locale).where(ConsoleAccount.name == "Trần Thị Admin")))
        assert locales.scalar_one() == "en"


def test_template_strings_are_extracted_for_the_catalogs():
    found = catalogs.extract().get("Sign in to the console")
    assert found is not None and ("bot/web/templates/signin.html", 5) in found.locations
