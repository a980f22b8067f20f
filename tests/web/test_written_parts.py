"""Difficulties and recommendations in the console: the commune answers (prefilled from chat), the department
words them, the results report uses exactly that; another commune's form is refused and changes nothing."""

from datetime import date
from io import BytesIO

from docx import Document
from sqlalchemy import select

from bot.db.console import AuditEntry
from bot.db.reports import Report
from bot.db.written_parts import WrittenPart
from tests.web.conftest import add_member, csrf_of, sign_in
from tests.web.test_rollup import add_report

PERIOD = "2026-11"
FORM = "/admin/written?unit=21409&period=2026-11"


async def chat_answer(db, unit: str, kind: str, text: str, day: date = date(2026, 11, 20)) -> None:
    """A difficulty or recommendation sent in chat by the unit's team."""
    author = await add_member(db, unit, f"Cán bộ {unit}", f"+8490500{abs(hash((unit, kind))) % 10000:04d}",
                              f"chat-{unit}-{kind}")
    await add_report(db, unit, author, day, kind, {}, key=f"written-{unit}-{kind}")
    async with db.session() as session:
        query = select(Report).where(Report.draft_key == f"written-{unit}-{kind}")
        report = (await session.execute(query)).scalar_one()
        report.note = text
        await session.commit()


async def post(client, path: str, data: dict, page: str = FORM):
    return await client.post(path, data={"csrf_token": await csrf_of(client, page), **data}, allow_redirects=False)


async def document_texts(client, unit: str = "21409") -> list[str]:
    token = await csrf_of(client, "/admin/reports/rollup")
    response = await client.post("/admin/reports/document", data={"csrf_token": token, "unit": unit,
                                                                  "period": PERIOD, "part": "docx"})
    assert response.status == 200
    return [p.text for p in Document(BytesIO(await response.read())).paragraphs]


async def stored(db) -> list[tuple[str, str, str | None]]:
    async with db.session() as session:
        return [(r.kind, r.answer, r.wording) for r in (await session.execute(
            select(WrittenPart).order_by(WrittenPart.kind))).scalars()]


async def test_the_commune_answers_in_the_console_and_the_report_uses_it(client, demo_roster, people):
    await chat_answer(demo_roster, "21409", "difficulties", "Sóng điện thoại yếu ở thôn 4")
    await sign_in(client, demo_roster, *people["officer"])
    form = await (await client.get(FORM)).text()
    assert "Sóng điện thoại yếu ở thôn 4</textarea>" in form  # prefilled with the chat answer
    assert "Đã điền sẵn nội dung đơn vị gửi qua trò chuyện" in form

    response = await post(client, "/admin/written", {"unit": "21409", "period": PERIOD,
                                                     "difficulties": "Sóng yếu ở thôn 4 và thôn 5",
                                                     "recommendations": "Đề nghị hỗ trợ 2 điện thoại thông minh"})
    assert response.status == 303 and "saved=1" in response.headers["Location"]
    assert await stored(demo_roster) == [("difficulties", "Sóng yếu ở thôn 4 và thôn 5", None),
                                         ("recommendations", "Đề nghị hỗ trợ 2 điện thoại thông minh", None)]
    texts = await document_texts(client)
    assert "- Xã Đức Nhuận: Sóng yếu ở thôn 4 và thôn 5" in texts  # the console answer replaces the chat one
    assert not any("Sóng điện thoại yếu" in t for t in texts)
    assert "- Xã Đức Nhuận: Đề nghị hỗ trợ 2 điện thoại thông minh" in texts
    async with demo_roster.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == "written_part_saved")
        entry = (await session.execute(query)).scalar_one()
    assert entry.target == "21409" and entry.detail["as"] == "answer"


async def test_the_department_words_a_communes_answer_for_the_report(client, demo_roster, people):
    await chat_answer(demo_roster, "21409", "recommendations", "đề nghị tỉnh cấp thêm kinh phí tập huấn cho tổ")
    await sign_in(client, demo_roster, *people["admin"])
    gathered = await (await client.get("/admin/written/gathered?unit=51&period=2026-11")).text()
    assert "Xã Đức Nhuận" in gathered and "đề nghị tỉnh cấp thêm kinh phí" in gathered
    response = await post(client, "/admin/written/wording", {
        "unit": "51", "period": PERIOD, "code": "21409", "wording_difficulties": "",
        "wording_recommendations": "Đề nghị bố trí kinh phí tập huấn cho Tổ công nghệ số cộng đồng."},
        "/admin/written/gathered?unit=51&period=2026-11")
    assert response.status == 303
    assert await stored(demo_roster) == [
        ("recommendations", "đề nghị tỉnh cấp thêm kinh phí tập huấn cho tổ",
         "Đề nghị bố trí kinh phí tập huấn cho Tổ công nghệ số cộng đồng.")]
    texts = await document_texts(client, "51")
    assert "- Xã Đức Nhuận: Đề nghị bố trí kinh phí tập huấn cho Tổ công nghệ số cộng đồng." in texts


async def test_the_commune_officer_may_not_word_their_own_unit_nor_answer_for_another(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    forged = await post(client, "/admin/written", {"unit": "21412", "period": PERIOD, "difficulties": "giả mạo",
                                                   "recommendations": ""})
    assert forged.status == 403
    wording = await post(client, "/admin/written/wording", {"unit": "21409", "period": PERIOD, "code": "21409",
                                                            "wording_difficulties": "giả mạo"})
    assert wording.status == 403
    assert (await client.get("/admin/written?unit=21412")).status == 403
    assert await stored(demo_roster) == []


async def test_a_text_too_long_is_refused_in_vietnamese_and_kept(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    response = await post(client, "/admin/written", {"unit": "21409", "period": PERIOD, "difficulties": "x" * 2001,
                                                     "recommendations": "ngắn"})
    page = await response.text()
    assert response.status == 400 and "Vui lòng viết không quá 2.000 ký tự." in page and "ngắn</textarea>" in page
    assert await stored(demo_roster) == []
