"""Issue 15 item 11: every flow, walked in each language, says nothing that is not from that language's catalog or data.

The walk records what the Translator produced (per language) and which message ids it was asked for. It fails on:
- a message id the catalogs do not have (an unmarked string: it would reach every member untranslated);
- any text or button label sent to anyone that, once the Translator's output (in the walk's language) and data
  (names, codes, typed input, report types and guides in that language) are taken out, still has letters left.

Adding a flow: write an `async def` step below that drives it through `Walk` and add it to `FLOWS`.
"""

import io
import re

import pytest
from babel.messages.pofile import read_po
from PIL import Image
from sqlalchemy import select

from bot.core.messages import Outbound
from bot.db.models import Delivery, Member, OrgUnit, Team
from bot.db.reports import Report
from bot.i18n import LOCALES, Translator
from bot.services import catalogs
from bot.services.guide_library import load_guides
from bot.services.members import promote
from bot.services.report_types import load_report_types
from bot.services.unit_kinds import kind_name, load_kinds
from handlers.language import NAMES
from tests.chat import Chat, Harness
from tests.handlers.test_register import invite
from tests.report_images import photo

VILLAGE, COMMUNE = "21409-03", "21409"
RECORDED = ("t", "tn", "number", "date", "weekday", "time")
REACHED = {"register:confirm", "lang:en", "guides:cat:using_bot", "report:edit:proxy", "report:edit:note",
           "report:big:no", "report:photos_done", "report:with_photo", "review:approve:", "bc:send", "ack:1:ok"}


class Recorder:
    """Wraps the Translator: what it produced, per language, and the message ids no catalog has."""

    def __init__(self, monkeypatch):
        self.produced: dict[str, set[str]] = {locale: set() for locale in LOCALES}
        self.unknown: set[str] = set()
        self.known = {locale: self._ids(locale) for locale in LOCALES}
        for name in RECORDED:
            monkeypatch.setattr(Translator, name, self._wrap(getattr(Translator, name), name))

    @staticmethod
    def _ids(locale: str) -> set[str]:
        with catalogs.po_path(locale).open("rb") as handle:
            return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle, locale=locale) if m.id}

    def _wrap(self, method, name: str):
        recorder = self

        def wrapper(self, *args, **kwargs):
            if name in ("t", "tn") and args[0] not in recorder.known[self.locale]:
                recorder.unknown.add(args[0])
            result = method(self, *args, **kwargs)
            recorder.produced[self.locale].add(result)
            return result

        return wrapper


class Walk:
    """One language's walk: members who all read `locale`, on a harness whose every message is checked."""

    def __init__(self, harness: Harness, locale: str):
        self.harness = harness
        self.locale = locale
        self.typed: set[str] = set()
        self.chats: dict[str, Chat] = {}

    async def send(self, who: str, text: str | None = None, **kwargs) -> Chat:
        chat = self.chats[who]
        if text:
            self.typed.add(text)
        await chat.send(text, **kwargs)
        return chat

    async def shown(self, who: str, prefix: str, suffix: str = "") -> str:
        """The first button shown to `who` (notices included) whose payload starts with `prefix`."""
        chat = self.chats[who]
        chat.last += await chat.replies()
        payload = next((p for p in chat.payloads if p.startswith(prefix) and p.endswith(suffix)), None)
        assert payload is not None, f"{who} sees no button {prefix!r}: {chat.payloads}"
        return payload

    async def tap(self, who: str, prefix: str, suffix: str = "") -> Chat:
        return await self.chats[who].send(payload=await self.shown(who, prefix, suffix))

    def put_photo(self, ref: str, data: bytes) -> str:
        for channel in self.harness.channels.values():
            channel.photos[ref] = data
        return ref

    async def member_id(self, name: str) -> int:
        async with self.harness.db.session() as session:
            return (await session.execute(select(Member.id).where(Member.full_name == name))).scalar_one()


async def registration(walk: Walk) -> None:
    """Three members join in the walk's language: a member and a leader of a village team, a commune officer."""
    for who, name, unit, role in (("member", "Nguyễn Văn An", VILLAGE, None), ("leader", "Trần Thị Bình", VILLAGE,
                                  "leader"), ("officer", "Lê Văn Cường", COMMUNE, "officer")):
        walk.chats[who] = walk.harness.chat(f"walk-{who}")
        await walk.send(who, payload=f"chat:opened:{walk.locale}")
        for typed in ("xin chào", "ABCD2345", f"/start {await invite(walk.harness.db, unit)}", "A", name, "12345"):
            await walk.send(who, typed)
        await walk.tap(who, "register:skip_phone")
        await walk.send(who, "ok?")
        await walk.tap(who, "register:confirm")
        if role:
            async with walk.harness.db.session() as session:
                await promote(session, await walk.member_id(name), role)
                await session.commit()


async def menu_help_team_language_link(walk: Walk) -> None:
    for typed in ("/help", "menu", "chào", "cảm ơn", "asdfgh qwerty", "/team", "/language"):
        await walk.send("member", typed)
    await walk.tap("member", f"lang:{walk.locale}")
    await walk.send("member", "/link")
    code = re.search(r"/link (\w+)", walk.chats["member"].text)[1]
    walk.chats["member-plain"] = walk.harness.chat("walk-member-plain", "plain")
    await walk.send("member-plain", payload=f"lang:{walk.locale}")  # a new chat speaks the default language till then
    await walk.send("member-plain", "/link")
    await walk.send("member-plain", f"/link {code}")
    await walk.send("member-plain", "/help")
    await walk.send("member", "/broadcast")
    await walk.send("member", "/units")
    await walk.send("member", "hủy")


async def guides(walk: Walk) -> None:
    await walk.send("member", "/guides")
    await walk.tap("member", "guides:cat:using_bot")
    await walk.tap("member", "guide:bot-gui-bao-cao:1")
    await walk.tap("member", "guide:bot-gui-bao-cao:2")
    await walk.send("member", "/guides")
    await walk.send("member", "vneid")
    await walk.send("member", "/guides")
    await walk.send("member", "zzzz qqqq")
    await walk.send("member", payload="guide:no-such-guide")


async def report(walk: Walk) -> None:
    """A report with every kind of wrong answer, the photo errors, the edit menu and the receipt."""
    await walk.send("member", "/report")
    await walk.tap("member", "report:type:training")
    for typed in ("45/45", "31/12/2099", "01/01/2020"):
        await walk.send("member", typed)
    await walk.tap("member", "report:date:today")
    for typed in ("-3", "chưa rõ", "99999", "50"):
        await walk.send("member", typed)
    await walk.tap("member", "report:big:no")
    for typed in ("2", "21"):
        await walk.send("member", typed)
    await photo_errors(walk)
    for n in range(1, 7):
        await walk.send("member", photo=walk.put_photo(f"walk-ok{n}", photo(200 + n)))
    await walk.tap("member", "report:photos_done")
    for typed in ("x" * 501, "Nhà văn hóa thôn 3"):
        await walk.send("member", typed)
    await walk.send("member", "gửi đi")
    await walk.tap("member", "report:edit")
    await walk.send("member", "ờ")
    await walk.tap("member", "report:edit:date")
    await walk.tap("member", "report:date:yesterday")
    await walk.tap("member", "report:send")
    await walk.send("member", payload="report:send")


async def photo_errors(walk: Walk) -> None:
    await walk.send("member", "một ảnh")
    await walk.send("member")
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000)).save(bomb, "PNG")
    for ref, data in (("walk-doc", b"%PDF-1.7 not a picture"), ("walk-huge", b"\xff\xd8" + b"0" * (21 * 2**20)),
                      ("walk-bomb", bomb.getvalue())):
        await walk.send("member", photo=walk.put_photo(ref, data))
    await walk.send("member", photo="walk-missing")


async def report_resume_cancel_and_loose_photo(walk: Walk) -> None:
    await walk.send("member", "/report")
    await walk.tap("member", "report:type:other")
    await walk.send("member", "báo cáo")
    await walk.send("member", "hmm")
    await walk.tap("member", "report:continue")
    await walk.tap("member", "report:date:today")
    await walk.send("member", "3")
    await walk.tap("member", "report:no_photo")
    await walk.send("member", payload="report:skip_note")
    await walk.send("member", "Sửa máy tính cho bà con")
    await walk.tap("member", "report:cancel")
    await walk.send("member", photo=walk.put_photo("walk-loose", photo(300)))
    await walk.tap("member", "report:with_photo")
    await walk.send("member", "hủy")


async def review_and_proxy(walk: Walk) -> None:
    """The leader returns the member's report; files one for them (edit menu with Person); the officer approves."""
    await walk.tap("leader", "review:return:")
    for typed in ("x" * 301, "Thiếu ảnh lớp học"):
        await walk.send("leader", typed)
    await walk.tap("member", "menu:report")
    await walk.send("member", "hủy")
    await walk.send("member", payload="review:approve:1")
    await walk.tap("leader", "menu:report_for")
    await walk.tap("leader", "report:for:")
    await walk.tap("leader", "report:type:vneid")
    await walk.tap("leader", "report:date:today")
    await walk.send("leader", "7")
    await walk.tap("leader", "report:no_photo")
    await walk.tap("leader", "report:skip_note")
    await walk.tap("leader", "report:edit")
    await walk.tap("leader", "report:summary")
    await walk.tap("leader", "report:send")
    await walk.tap("officer", "review:approve:")
    await walk.send("officer", payload="review:approve:1")


async def units(walk: Walk) -> None:
    for who in ("leader", "officer"):
        await walk.send(who, "/units")


async def broadcast_and_ack(walk: Walk) -> None:
    await walk.send("officer", "/broadcast")
    await walk.send("officer", "99999")
    await walk.tap("officer", f"bc:unit:{VILLAGE}")
    await walk.tap("officer", "bc:next")
    await walk.tap("officer", "bc:level:3")  # the villages' depth
    await walk.tap("officer", "bc:next")
    await walk.tap("officer", "bc:role:member")
    await walk.tap("officer", "bc:next")
    await walk.send("officer", "Họp tổ lúc 8 giờ sáng thứ Hai.")
    await walk.send("officer", "Team meeting at 8 am on Monday.")
    await walk.tap("officer", "bc:ack:yes")
    await walk.tap("officer", "bc:send")
    need_help = await walk.shown("member", "ack:", ":help")
    await walk.tap("member", "ack:", ":ok")
    await walk.send("member", payload=need_help)


FLOWS = (registration, menu_help_team_language_link, guides, report, report_resume_cancel_and_loose_photo,
         review_and_proxy, units, broadcast_and_ack)


async def data_of(walk: Walk) -> set[str]:
    """What members may read that is not the catalog's: stored names and codes, typed input, content in the language."""
    async with walk.harness.db.session() as session:
        stored = set()
        for column in (Member.full_name, Team.name, Team.invite_code, OrgUnit.name, OrgUnit.code):
            stored |= set((await session.execute(select(column))).scalars())
        stored |= {report.number for report in (await session.execute(select(Report))).scalars()}
    kinds = load_report_types().values()
    content = {k.name_in(walk.locale) for k in kinds} | {c.label_in(walk.locale) for k in kinds for c in k.counts}
    names = {kind_name(slug, walk.locale, plural) for slug in load_kinds() for plural in (False, True)}
    content |= names | {name.capitalize() for name in names}  # unit kinds' names: content/units/kinds.yaml
    for guide in load_guides().all(walk.locale):
        content |= {guide.title, guide.summary} | {s.title for s in guide.steps} | {s.text for s in guide.steps}
    fake_channels = set(walk.harness.channels)  # no channel names for the test's channels: shown as their codes
    return stored | content | walk.typed | set(NAMES.values()) | fake_channels


def leftover(text: str, pieces: list[str]) -> str:
    """The letters of `text` that no piece accounts for (pieces longest first)."""
    for piece in pieces:
        text = text.replace(piece, " ")
    return " ".join(re.findall(r"[^\W\d_]+", text))


async def sent_messages(db) -> list[Outbound]:
    async with db.session() as session:
        return [Outbound.from_dict(p) for p in (await session.execute(select(Delivery.payload))).scalars()]


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_flow_speaks_only_the_members_language(demo_roster, monkeypatch, locale):
    recorder = Recorder(monkeypatch)
    walk = Walk(Harness(demo_roster), locale)
    for flow in FLOWS:
        await flow(walk)
    pieces = sorted((recorder.produced[locale] | await data_of(walk)) - {""}, key=len, reverse=True)
    messages = await sent_messages(demo_roster)
    shown = {re.sub(r"(\d+:)*\d+$", "", b.payload) for m in messages for b in m.all_buttons()}
    assert REACHED <= shown, f"the walk did not reach {REACHED - shown}"
    problems = [f"message id missing from the catalogs: {m!r}" for m in sorted(recorder.unknown)]
    for message in messages:
        for shown in [message.text, *(b.label for b in message.all_buttons())]:
            if rest := leftover(shown, pieces):
                problems.append(f"not from the {locale} catalog or data: {rest!r} in {shown!r}")
    assert not problems, "\n".join(problems)
