"""Issue 17 item 1: a tree whose kinds are province / commune (xã, phường, đặc khu) / village, with no "district",
works end to end: register, report, roll-up, broadcast to a level, reminder escalation to the level above."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.cli.common import import_files
from bot.cli.serving import DEMO_TREES
from bot.db.models import Delivery, Member
from bot.services import org, reminders, reports, unit_kinds
from tests.chat import Harness
from tests.handlers.test_report import file_simple, join

COMMUNE, VILLAGES = "21409", ("21409-01", "21409-02", "21409-03")  # Xã Long Phụng on the 2025 tree
NOV = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
async def tree_2025(any_db, tmp_path):
    """The 2025 demo tree (1 province, 96 xã/phường/đặc khu) and three villages of Xã Long Phụng."""
    villages = tmp_path / "villages.csv"
    villages.write_text("code,name,kind,parent_code\n" + "".join(
        f"{code},Thôn {code[-1]},village,{COMMUNE}\n" for code in VILLAGES), encoding="utf-8")
    result = await import_files(any_db, [*DEMO_TREES["2025"], villages], show_progress=False)
    assert result.problems == []
    return any_db


def spec(target: str) -> dict:
    return reminders.template(campaign="monthly-report", name={"vi": "tháng 11", "en": "November"}, year=2026,
                              start=NOV[0], end=NOV[1], deadline=date(2026, 12, 5), target=target, levels=[],
                              roles=["member", "leader"], text=None, guide=None)


async def notes(db, target: str) -> dict[str, str]:
    """Fire one escalation step; {officer's name: the note they get}."""
    async with db.session() as session:
        last = await session.scalar(select(Delivery.id).order_by(Delivery.id.desc()).limit(1)) or 0
        await reminders.fire(session, spec(target), datetime(2026, 12, 8, 1, tzinfo=UTC))
        await session.commit()
        rows = await session.execute(select(Member.full_name, Delivery.payload).join(
            Member, Delivery.member_id == Member.id).where(Delivery.id > last))
        return {name: payload["text"] for name, payload in rows}


async def test_register_report_rollup_broadcast_and_escalate_without_districts(tree_2025):
    db = tree_2025
    harness = Harness(db)
    async with db.session() as session:
        levels = await unit_kinds.levels(session, None)
    assert [level.kinds for level in levels] == [("province",), ("commune", "ward", "special_zone"), ("village",)]
    assert [level.label("vi") for level in levels] == ["Tỉnh", "Xã, phường, đặc khu", "Thôn"]

    member = await join(harness, "member", "Nguyễn Văn An", unit=VILLAGES[0])  # registers by invite
    await join(harness, "commune", "Trần Thị Xã", unit=COMMUNE, role="officer")
    province = await join(harness, "province", "Lê Văn Tỉnh", unit="51", role="officer")
    report = await file_simple(harness, member, people="7")
    assert report.people == 7

    async with db.session() as session:
        root = await org.unit_by_code(session, "51")
        rollup = await reports.rollup(session, root, *NOV, deadline=datetime(2026, 12, 6, tzinfo=UTC),
                                      count_ids=["people"])
    row = next(r for r in rollup.units if r.unit.code == COMMUNE)
    assert (row.reported, row.expected, row.people) == (1, 4, 7)  # the commune's team and its three villages
    assert rollup.total.reports == 1 and not any(r.unit.kind == "district" for r in rollup.units)

    await province.send("/broadcast")
    await province.tap("bc:next")  # the whole province
    offered = [(b.payload, b.label) for m in province.last for b in m.all_buttons() if "level" in b.payload]
    assert offered == [("bc:level:0", "Province"), ("bc:level:1", "Communes, wards, special zones"),
                       ("bc:level:2", "Villages")]
    await province.tap("bc:level:2")
    for step in ("bc:next", "bc:next"):
        await province.tap(step)
    await province.send("Họp tổ thôn sáng thứ Hai.")
    await province.tap("bc:skip_en")
    await province.tap("bc:ack:no")
    assert "will reach 1 member" in province.text  # only the village's member: officers sit on other levels
    await province.tap("bc:send")
    async with db.session() as session:
        told = (await session.execute(select(Member.full_name).join(Delivery, Delivery.member_id == Member.id)
                                      .where(Delivery.broadcast_id.is_not(None)))).scalars().all()
    assert told == ["Nguyễn Văn An"]

    above = await notes(db, "officers_above")  # the level above each team that has not reported
    assert set(above) == {"Trần Thị Xã", "Lê Văn Tỉnh"}
    assert "Thôn 2" in above["Trần Thị Xã"] and "Thôn 3" in above["Trần Thị Xã"]
    assert "Thôn 1" not in above["Trần Thị Xã"]  # it reported
    assert above["Lê Văn Tỉnh"].startswith("96 teams in Tỉnh Quảng Ngãi")  # every xã/phường/đặc khu's own team
    assert "Thôn" not in above["Lê Văn Tỉnh"]
    two_up = await notes(db, "officers_two_above")  # villages' teams reach the province; communes have none
    assert set(two_up) == {"Lê Văn Tỉnh"} and two_up["Lê Văn Tỉnh"].startswith("2 teams in Tỉnh Quảng Ngãi")
    assert "Thôn 2" in two_up["Lê Văn Tỉnh"] and "Thôn 3" in two_up["Lê Văn Tỉnh"]
    top = await notes(db, "province_officer")  # a step armed before targets were levels: the top of the tree
    assert set(top) == {"Lê Văn Tỉnh"}
