"""The console's list of the year's duties (/admin/duties) used to scan the report rows once per open duty (~18 on
a large database: seconds). It now groups them once for all the duties, with the same figures as each duty's own
page."""

import re
from datetime import date

from sqlalchemy import event

from bot.services import duties, org
from tests.web.conftest import add_member, client, clock, people, sign_in  # noqa: F401 (fixtures)
from tests.web.test_duties import row
from tests.web.test_rollup import add_report
from tests.web.test_written_parts import chat_answer

REPORT_SCAN = re.compile(r"FROM report\b.*GROUP BY report\.team_id", re.S)  # a grouping of report rows per team


async def _reports(db) -> None:
    one = await add_member(db, "21409-01", "Nguyễn Văn Một", "+84905000011", "chat-11")
    three = await add_member(db, "21409-03", "Phạm Thị Ba", "+84905000013", "chat-13")
    for unit, member, day in (("21409-01", one, date(2026, 2, 3)), ("21409-01", one, date(2026, 10, 5)),
                              ("21409-03", three, date(2026, 10, 30)), ("21409-03", three, date(2026, 8, 1))):
        await add_report(db, unit, member, day, "public_services", {"people": 3})
    await chat_answer(db, "21409", "difficulties", "Sóng yếu ở thôn 2", date(2026, 10, 2))  # the commune's own


async def test_the_list_scans_the_reports_once_and_agrees_with_each_duty(client, demo_roster, people):  # noqa: F811
    await _reports(demo_roster)
    await sign_in(client, demo_roster, *people["officer"])
    scans: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if REPORT_SCAN.search(statement):
            scans.append(statement)

    event.listen(demo_roster.engine.sync_engine, "before_cursor_execute", seen)
    try:
        page = await (await client.get("/admin/duties?year=2026&unit=21409")).text()
    finally:
        event.remove(demo_roster.engine.sync_engine, "before_cursor_execute", seen)
    assert len(scans) == 1  # every open duty at once (it was one scan per duty: 16, the year's from its totals)

    async with demo_roster.session() as session:
        root = await org.unit_by_code(session, "21409")
        found = [d for d in await duties.of_year(session, 2026) if d.period.start <= date(2026, 11, 25)]
        for duty in found:
            total = (await duties.status(session, root, duty))[1]
            assert row(page, "key", duty.key)[4] == f"{total.reported}/{total.expected}", duty.key
    dx_day = row(page, "key", "campaign:national-dx-day:2026")
    assert dx_day[4] == "3/6" and dx_day[5] == "1/1 đơn vị"  # the commune's officers sent their difficulties
    assert row(page, "key", "2026-Q3")[5] == "0/1 đơn vị"  # … on 02/10: not in the third quarter
