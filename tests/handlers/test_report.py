"""Activity reports driven through the core as members and reviewers would: the flow, bad input, review, proxy."""

from datetime import date

import pytest
from sqlalchemy import select

from bot.db.reports import Photo, Report, ReportPhoto
from bot.i18n import Translator
from bot.services.members import promote
from tests.chat import Harness
from tests.handlers.test_register import invite, members
from tests.report_images import photo, reencoded

EN = Translator("en")


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def join(harness, chat_id: str, name: str, unit: str = "21409-03", role: str | None = None, channel="fake"):
    """A registered member speaking English (optionally with a role)."""
    chat = harness.chat(chat_id, channel)
    await chat.send(f"/start {await invite(harness.db, unit)}")
    await chat.send(name)
    await chat.send(payload="register:skip_phone")
    await chat.send(payload="register:confirm")
    await chat.send(payload="lang:en")
    if role:
        member_id = next(m.id for m in await members(harness.db) if m.full_name == name)
        async with harness.db.session() as session:
            await promote(session, member_id, role)
            await session.commit()
    return chat


def put_photo(harness, ref: str, data: bytes) -> str:
    for channel in harness.channels.values():
        channel.photos[ref] = data
    return ref


async def stored_reports(db) -> list[Report]:
    async with db.session() as session:
        return list((await session.execute(select(Report).order_by(Report.id))).scalars())


async def to_count(chat, type_id: str = "public_services") -> None:
    await chat.tap("menu:report") if "menu:report" in chat.payloads else await chat.send(payload="menu:report")
    await chat.tap(f"report:type:{type_id}")
    await chat.tap("report:date:today")


async def file_simple(harness, chat, people: str = "12", photo_seed: int | None = None) -> Report:
    """A one-count report with one photo (or none), sent; returns the stored row."""
    await to_count(chat)
    await chat.send(people)
    if photo_seed is None:
        await chat.tap("report:no_photo")
    else:
        await chat.send(photo=put_photo(harness, f"p{photo_seed}-{chat.external_id}", photo(photo_seed)))
        await chat.tap("report:photos_done")
    await chat.tap("report:skip_note")
    await chat.tap("report:send")
    return (await stored_reports(harness.db))[-1]


async def test_two_photos_in_under_ten_messages_with_a_receipt(harness):
    chat = await join(harness, "a1", "Nguyễn Văn An")
    put_photo(harness, "ph1", photo(1, exif=True))
    put_photo(harness, "ph2", photo(2))
    steps = [dict(payload="menu:report"), dict(payload="report:type:public_services"),
             dict(payload="report:date:today"), dict(text="15"), dict(photo="ph1"), dict(photo="ph2"),
             dict(payload="report:photos_done"), dict(payload="report:skip_note"), dict(payload="report:send")]
    for step in steps:
        if "payload" in step:
            await chat.tap(step["payload"])
        else:
            await chat.send(**step)
    assert len(steps) < 10
    [report] = await stored_reports(harness.db)
    assert f"Report {report.number} received" in chat.text and report.number == f"BC-{report.id:06d}"
    assert "helped 15 people (1 report)" in chat.text
    assert (report.type_id, report.counts, report.people, report.status) == ("public_services", {"people": 15},
                                                                           15, "pending")
    assert report.activity_date == date(2026, 11, 23)
    async with harness.db.session() as session:
        rows = (await session.execute(select(Photo).join(ReportPhoto).where(ReportPhoto.report_id == report.id)
                                      .order_by(ReportPhoto.position))).scalars().all()
    assert len(rows) == 2 and rows[0].latitude == pytest.approx(15.125) and rows[1].latitude is None
    assert not report.duplicate_photo


async def test_the_summary_shows_everything_and_the_team_page_counts_the_month(harness):
    chat = await join(harness, "a2", "Trần Thị Bình")
    await to_count(chat, "training")
    assert "Sessions held: how many?" in chat.text
    await chat.send("2")
    assert "People attending" in chat.text
    await chat.send("hai mươi mốt người")
    await chat.tap("report:no_photo")
    await chat.send("Nhà văn hóa thôn 3")
    assert "Type: Digital-skills training session" in chat.text and f"Date: {EN.date(date(2026, 11, 23))}" in chat.text
    assert "Sessions held: 2" in chat.text and "People attending: 21" in chat.text
    assert "Photos: none" in chat.text and "Note: Nhà văn hóa thôn 3" in chat.text
    assert chat.payloads == ["report:send", "report:edit", "report:cancel"]
    await chat.tap("report:send")
    await chat.tap("menu:main")
    await chat.tap("menu:team")
    assert "This month: 1 report · 21 people helped" in chat.text


@pytest.mark.parametrize("typed,value", [("mười lăm", 15), ("muoi lam", 15), ("15 người", 15),
                                         ("một trăm linh năm", 105), ("0", 0)])
async def test_counts_in_words_and_digits(harness, typed, value):
    chat = await join(harness, "a3", "Lê Văn Cường")
    await to_count(chat)
    await chat.send(typed)
    assert "report:no_photo" in chat.payloads
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    assert f"People helped: {value}" in chat.text


async def test_bad_counts_are_explained_and_big_ones_confirmed(harness):
    chat = await join(harness, "a4", "Phạm Thị Dung")
    await to_count(chat)
    await chat.send("nhiều lắm")
    assert "type just the number" in chat.text
    await chat.send("-5")
    assert "cannot be below zero" in chat.text
    await chat.send("5000")
    assert "far too many" in chat.text
    await chat.send(photo=put_photo(harness, "early", photo(3)))
    assert "type just the number" in chat.text
    await chat.send("250")
    assert "250 for “People helped” is more than usual" in chat.text
    await chat.tap("report:big:no")
    assert "how many?" in chat.text
    await chat.send("250")
    await chat.tap("report:big:yes")
    assert "report:no_photo" in chat.payloads
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    assert "People helped: 250" in chat.text


@pytest.mark.parametrize("typed,answer", [
    ("25/11/2026", "in the future"), ("24/11", "in the future"), ("01/01/2020", "more than 31 days ago"),
    ("20/10", "more than 31 days ago"), ("31/02", "as day/month"), ("hôm qua", "as day/month"),
])
async def test_bad_dates_are_refused_and_the_step_kept(harness, typed, answer):
    chat = await join(harness, "a5", "Võ Văn Em")
    await chat.send(payload="menu:report")
    await chat.tap("report:type:vneid")
    await chat.send(typed)
    assert answer in chat.text and "report:date:today" in chat.payloads
    await chat.send("22/11")
    assert "how many?" in chat.text
    await chat.send("3")
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    assert f"Date: {EN.date(date(2026, 11, 22))}" in chat.text


async def test_photo_step_refuses_bad_input_and_a_sixth_photo(harness, monkeypatch):
    chat = await join(harness, "a6", "Đặng Thị Giang")
    await to_count(chat)
    await chat.send("4")
    await chat.send()  # a sticker or a voice note: no text, no photo
    assert "Please send a photo" in chat.text and chat.payloads == ["report:no_photo"]
    await chat.send(photo=put_photo(harness, "txt", b"this is not a picture at all"))
    assert "This file is not a photo" in chat.text
    await chat.send(photo=put_photo(harness, "huge", b"\xff\xd8" + b"0" * (21 * 1024 * 1024)))
    assert "too large (over 20 MB)" in chat.text
    await chat.send(photo="missing-on-the-platform")
    assert "could not download" in chat.text
    for n in range(1, 6):
        await chat.send(photo=put_photo(harness, f"ok{n}", photo(10 + n)))
        assert f"Photo {n} received" in chat.text and chat.payloads == ["report:photos_done"]
    await chat.send(photo=put_photo(harness, "ok6", photo(16)))
    assert "at most 5 photos" in chat.text
    await chat.tap("report:photos_done")
    await chat.tap("report:skip_note")
    assert "Photos: 5" in chat.text


async def test_send_is_idempotent_and_a_redelivered_tap_is_dropped(harness):
    chat = await join(harness, "a7", "Bùi Văn Hải")
    await to_count(chat)
    await chat.send("7")
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    await chat.send(payload="report:send", message_id="tap-1")
    await chat.send(payload="report:send", message_id="tap-1")  # the platform delivered it twice
    assert chat.last == []
    await chat.send(payload="report:send", message_id="tap-2")  # a second tap on the old button
    [report] = await stored_reports(harness.db)
    assert f"{report.number} was already sent" in chat.text


async def test_reports_sent_in_the_same_second_get_distinct_numbers(harness):
    one, two = await join(harness, "a8", "Ngô Thị Hoa"), await join(harness, "a9", "Hồ Văn Khánh")
    first = await file_simple(harness, one)
    second = await file_simple(harness, two)
    assert first.created_at == second.created_at and first.number != second.number


async def test_a_draft_survives_a_restart_and_typing_report_again_offers_to_continue(harness):
    chat = await join(harness, "b1", "Lý Thị Lan")
    await to_count(chat, "outreach")
    await chat.send("40")
    harness.core = harness.build_core()  # the server restarted: only the database is left
    await chat.send("báo cáo")
    assert "not sent yet" in chat.text
    await chat.tap("report:continue")
    assert "Loudspeaker broadcasts: how many?" in chat.text
    await chat.send("3")
    harness.core = harness.build_core()
    await chat.send("bao cao")
    await chat.tap("report:restart")
    assert "What did you do?" in chat.text
    assert (await stored_reports(harness.db)) == []


async def test_every_field_can_be_fixed_from_the_summary(harness):
    chat = await join(harness, "b2", "Mai Văn Minh")
    await to_count(chat)
    await chat.send("9")
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    await chat.tap("report:edit")
    await chat.tap("report:edit:date")
    await chat.tap("report:date:yesterday")
    assert f"Date: {EN.date(date(2026, 11, 22))}" in chat.text and "People helped: 9" in chat.text
    await chat.tap("report:edit")
    await chat.tap("report:edit:counts")
    await chat.send("11")
    assert "People helped: 11" in chat.text
    await chat.tap("report:edit")
    await chat.tap("report:edit:photos")
    await chat.send(photo=put_photo(harness, "later", photo(30)))
    await chat.tap("report:photos_done")
    assert "Photos: 1" in chat.text
    await chat.tap("report:edit")
    await chat.tap("report:edit:type")
    await chat.tap("report:type:other")
    assert "required for this type" in chat.text and "report:skip_note" not in chat.payloads
    await chat.send("Hướng dẫn dùng Zalo")
    assert "Type: Other activity" in chat.text and "People helped: 11" in chat.text
    await chat.tap("report:send")
    [report] = await stored_reports(harness.db)
    assert (report.type_id, report.people, report.note, report.activity_date) == ("other", 11, "Hướng dẫn dùng Zalo",
                                                                                date(2026, 11, 22))


async def test_cancel_from_the_summary_deletes_the_draft(harness):
    chat = await join(harness, "b3", "Tô Thị Ngọc")
    await to_count(chat)
    await chat.send("2")
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    await chat.tap("report:cancel")
    assert "not sent and has been deleted" in chat.text
    await chat.send(payload="report:send")
    assert await stored_reports(harness.db) == []


async def test_leader_reviews_in_chat_and_the_member_is_told(harness):
    leader = await join(harness, "r1", "Trưởng Tổ Một", role="leader")
    member = await join(harness, "r2", "Thành Viên Hai")
    report = await file_simple(harness, member, photo_seed=40)
    leader.last = await leader.replies()
    assert f"New report {report.number} from Thành Viên Hai" in leader.text and "1 photo" in leader.text
    assert "⚠️" not in leader.text
    await leader.tap(f"review:approve:{report.id}:0")
    assert f"Report {report.number} approved" in leader.text
    member.last = await member.replies()
    assert f"Your report {report.number} was approved by Trưởng Tổ Một" in member.text
    await leader.send(payload=f"review:approve:{report.id}")
    assert "already approved" in leader.text

    second = await file_simple(harness, member, people="8")
    leader.last = await leader.replies()
    await leader.tap(f"review:return:{second.id}:0")
    assert "Why are you returning" in leader.text
    await leader.send("Thiếu ảnh minh chứng")
    member.last = await member.replies()
    assert "was returned by Trưởng Tổ Một: Thiếu ảnh minh chứng" in member.text
    statuses = [(r.status, r.return_reason) for r in await stored_reports(harness.db)]
    assert statuses == [("approved", None), ("returned", "Thiếu ảnh minh chứng")]


async def test_reviewers_outside_the_scope_cannot_act(harness):
    other_leader = await join(harness, "s1", "Trưởng Tổ Khác", unit="21409-04", role="leader")
    officer = await join(harness, "s2", "Cán Bộ Xã", unit="21409", role="officer")
    member = await join(harness, "s3", "Người Báo Cáo")
    report = await file_simple(harness, member)
    other_leader.last = await other_leader.replies()
    assert other_leader.text == ""  # not told about another team's report
    await other_leader.send(payload=f"review:approve:{report.id}")
    assert "You cannot review report" in other_leader.text
    await member.send(payload=f"review:approve:{report.id}")
    assert "You cannot review report" in member.text
    officer.last = await officer.replies()
    await officer.tap(f"review:approve:{report.id}:0")  # the commune officer covers the village team
    assert (await stored_reports(harness.db))[0].status == "approved"


async def test_a_reused_photo_is_flagged_to_the_reviewer_who_still_approves(harness):
    first = await join(harness, "d1", "Người Thứ Nhất", unit="21409-04")
    leader = await join(harness, "d2", "Trưởng Tổ Ba", role="leader")
    second = await join(harness, "d3", "Người Thứ Hai")
    original = photo(50)
    await to_count(first)
    await first.send("5")
    await first.send(photo=put_photo(harness, "orig", original))
    await first.tap("report:photos_done")
    await first.tap("report:skip_note")
    await first.tap("report:send")
    earlier = (await stored_reports(harness.db))[0]
    await to_count(second)
    await second.send("6")
    await second.send(photo=put_photo(harness, "copy", reencoded(original)))
    await second.tap("report:photos_done")
    await second.tap("report:skip_note")
    await second.tap("report:send")
    assert "received" in second.text  # accepted all the same
    later = (await stored_reports(harness.db))[-1]
    assert later.duplicate_photo and not earlier.duplicate_photo
    leader.last = await leader.replies()
    assert f"looks the same as one in report {earlier.number}" in leader.text
    await leader.tap(f"review:approve:{later.id}:0")
    assert (await stored_reports(harness.db))[-1].status == "approved"


async def test_leader_files_for_a_member_and_for_someone_unregistered(harness):
    leader = await join(harness, "p1", "Trưởng Tổ Bốn", role="leader")
    await join(harness, "p2", "Bà Không Điện Thoại")
    helper = next(m for m in await members(harness.db) if m.full_name == "Bà Không Điện Thoại")
    await leader.send(payload="menu:main")
    await leader.tap("menu:report_for")
    await leader.tap(f"report:for:{helper.id}")
    await leader.tap("report:type:cashless")
    await leader.tap("report:date:today")
    await leader.send("4")
    await leader.tap("report:no_photo")
    await leader.tap("report:skip_note")
    assert "For: Bà Không Điện Thoại" in leader.text
    await leader.tap("report:send")
    await leader.send(payload="menu:report_for")
    await leader.send("Ông Năm Xóm Dưới")
    await leader.tap("report:type:students")
    await leader.tap("report:date:today")
    await leader.send("3")
    await leader.tap("report:no_photo")
    await leader.tap("report:skip_note")
    await leader.tap("report:send")
    first, second = await stored_reports(harness.db)
    assert (first.proxy_for_member_id, first.proxy_name, first.filed_by_member_id) == (helper.id, None,
                                                                                    first.filed_by_member_id)
    assert (second.proxy_for_member_id, second.proxy_name) == (None, "Ông Năm Xóm Dưới")
    assert first.filed_by_member_id == second.filed_by_member_id != helper.id
    member = harness.chat("x9")
    await member.send(payload="menu:report_for")
    assert "report:for:" not in " ".join(member.payloads)


async def test_units_view_shows_who_has_not_reported(harness):
    leader = await join(harness, "u1", "Trưởng Tổ Năm", role="leader")
    await join(harness, "u2", "Chưa Báo Cáo")
    officer = await join(harness, "u3", "Cán Bộ Huyện", unit="533", role="officer")
    await file_simple(harness, leader)
    await leader.send(payload="menu:units")
    assert "This month: 1 report · 12 people helped" in leader.text and "• Chưa Báo Cáo" in leader.text
    assert "Trưởng Tổ Năm\n" not in leader.text.split("Not reported yet")[1]
    await officer.send(payload="menu:units")
    assert "Xã Đức Nhuận: 1/" in officer.text and "12 people helped" in officer.text
    assert "no reports yet" in officer.text and "Teams that have not reported yet" in officer.text


async def test_the_flow_works_without_buttons(harness):
    chat = await join(harness, "w1", "Kênh Không Nút", channel="plain")
    await chat.send("/report")
    await chat.send(chat.number_of("Online public services"))
    await chat.send(chat.number_of("Today"))
    await chat.send("1")  # a count, not option 1
    await chat.send(chat.number_of("No photo"))
    await chat.send(chat.number_of("Skip"))
    await chat.send(chat.number_of("Send"))
    [report] = await stored_reports(harness.db)
    assert report.people == 1 and report.number in chat.text
