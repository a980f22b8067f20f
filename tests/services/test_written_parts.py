"""The written parts the results report uses, on both databases: chat answers per unit, a console answer in
their place for the same period, the department's wording over it, and what the duty calendar counts as sent."""

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report
from bot.services import document_data, duties, periods, written_parts

NOW = datetime(2026, 11, 20, tzinfo=UTC)
PERIOD = periods.parse("2026-11")


async def _unit(session, code: str) -> OrgUnit:
    return (await session.execute(select(OrgUnit).where(OrgUnit.code == code))).scalar_one()


async def _chat(session, code: str, kind: str, text: str) -> None:
    unit = await _unit(session, code)
    team = (await session.execute(select(Team).where(Team.unit_id == unit.id))).scalar_one()
    member = Member(full_name=f"Cán bộ {code}", team_id=team.id, role="officer", created_at=NOW)
    session.add(member)
    await session.flush()
    session.add(Report(team_id=team.id, unit_path=unit.path, type_id=kind, activity_date=date(2026, 11, 10),
                       note=text, status="pending", filed_by_member_id=member.id, draft_key=f"w-{code}-{kind}",
                       created_at=NOW))
    await session.flush()


async def _said(session, root_code: str) -> dict[str, list[tuple[str, str]]]:
    data = await document_data.gather(session, await _unit(session, root_code), PERIOD, None, NOW.date(),
                                      Path("media"))
    return {kind: [(w.unit, w.text) for w in items] for kind, items in data.written.items() if kind != "practice"}


async def test_console_answers_and_wording_take_the_place_of_chat_answers(any_db, demo_roster):
    async with any_db.session() as session:
        await _chat(session, "21409", "difficulties", "Sóng yếu\nở thôn 4")
        await _chat(session, "21412", "difficulties", "Thiếu máy tính")
        assert await _said(session, "533") == {
            "difficulties": [("Xã Đức Nhuận", "Sóng yếu ở thôn 4"), ("Xã Đức Chánh", "Thiếu máy tính")],
            "recommendations": []}

        parts = await written_parts.of_unit(session, await _unit(session, "21409"), PERIOD)
        assert parts.answer("difficulties") == "Sóng yếu\nở thôn 4"  # the form's prefill
        await written_parts.save_answer(session, parts, PERIOD.key, "difficulties", "Sóng yếu ở thôn 4, 5",
                                        by="Cán bộ xã", now=NOW)
        await written_parts.save_answer(session, parts, PERIOD.key, "recommendations", "", by="Cán bộ xã", now=NOW)
        chanh = await written_parts.of_unit(session, await _unit(session, "21412"), PERIOD)
        await written_parts.save_wording(session, chanh, PERIOD.key, "difficulties", "Thiếu máy tính ở xã.",
                                         by="Sở", now=NOW)
        await session.commit()
        assert await _said(session, "533") == {
            "difficulties": [("Xã Đức Nhuận", "Sóng yếu ở thôn 4, 5"), ("Xã Đức Chánh", "Thiếu máy tính ở xã.")],
            "recommendations": []}
        other = periods.parse("2026-Q4")  # another period key: the chat answers count there, not the console's
        found = await written_parts.gathered(session, await _unit(session, "533"), other)
        assert [p.answer("difficulties") for p in found] == ["Sóng yếu\nở thôn 4", "Thiếu máy tính"]


async def test_the_duty_counts_units_with_officers_and_what_they_sent(any_db, demo_roster):
    async with any_db.session() as session:
        await _chat(session, "21409", "recommendations", "Cần thêm kinh phí")
        session.add(Member(full_name="Cán bộ Đức Chánh", role="officer", created_at=NOW,
                           team_id=(await session.execute(select(Team.id).join(OrgUnit, Team.unit_id == OrgUnit.id)
                                                          .where(OrgUnit.code == "21412"))).scalar_one()))
        await session.flush()
        duty = await duties.by_key(session, "2026-Q4")
        rows, total = await duties.status(session, await _unit(session, "533"), duty)
        _teams, silent = await duties.missing(session, await _unit(session, "533"), duty)
    by_code = {r.unit.code: (r.officers_units, r.written_units) for r in rows}
    assert by_code["21409"] == (1, 1) and by_code["21412"] == (1, 0)
    assert (total.officers_units, total.written_units) == (2, 1)
    assert silent == [("Xã Đức Chánh", ["Cán bộ Đức Chánh"])]
