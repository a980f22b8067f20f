"""Schedules and the campaign calendar over HTTP: the department sets next year's DX week and theme and arms the
DX Day plan with them; arming without a theme, dates out of order, an officer and a forged POST all change
nothing; a missed send is dropped (never sent) and the audit log says who did it."""

from datetime import UTC, date, datetime, timedelta
from html import unescape

from sqlalchemy import func, select

from bot.clock import LOCAL_TZ
from bot.db.broadcasts import Broadcast
from bot.db.calendar import CampaignCalendar
from bot.db.console import AuditEntry
from bot.db.schedules import Schedule, ScheduleRun
from bot.i18n import Translator
from bot.services import broadcast as bc
from bot.services import schedules
from bot.services.schedule_rules import Policy, Rule
from tests.web.conftest import COMMUNE, OTHER_COMMUNE, START, csrf_of, sign_in
from tests.web.test_languages import raw_in, texts_of

YEAR = 2027
CALENDAR, PLAN = f"/admin/schedules/calendar/{YEAR}", f"/admin/schedules/plan/{YEAR}"
THEME = "Dữ liệu số và Liên kết vùng trong chuyển đổi số"
NEXT_YEAR = {"week_start": "2027-09-24", "week_end": "2027-10-01", "period_start": "2027-09-24",
             "period_end": "2027-10-31", "deadline": "2027-10-12", "department_deadline": "2027-10-16",
             "theme_vi": THEME, "theme_en": "Digital data and regional links"}
VI = Translator("vi")


async def rows(db, model, *where) -> list:
    async with db.session() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def actions(db) -> list[str]:
    return [e.action for e in await rows(db, AuditEntry)]


async def post(client, path: str, data: dict, page: str = "/admin/schedules"):
    """A form POST as the page sends it (with the session's CSRF token)."""
    return await client.post(path, data={"csrf_token": await csrf_of(client, page), **data}, allow_redirects=False)


async def test_the_department_sets_next_years_dx_week_and_arms_with_a_theme(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    form = await (await client.get(CALENDAR)).text()
    assert 'value="2027-09-28"' in form  # the file's usual DX week start, before anyone set 2027

    response = await post(client, CALENDAR, NEXT_YEAR, CALENDAR)
    assert response.status == 303 and response.headers["Location"].startswith(PLAN)
    plan = unescape(await (await client.get(PLAN)).text())
    assert "24/09/2027" in plan and "01/10/2027" in plan  # the leaders' message quotes the new DX week
    assert THEME in plan  # the form is filled with the stored theme
    assert not raw_in(texts_of(plan), "vi")

    response = await post(client, f"{PLAN}/arm", {"theme_vi": THEME, "theme_en": "Digital data"}, PLAN)
    assert response.status == 303
    armed = {s.key.split(":")[-1]: s for s in await rows(demo_roster, Schedule)}
    start = armed["dx-week-start"]
    assert start.next_at == datetime(2027, 9, 24, 8, 0, tzinfo=LOCAL_TZ)
    assert THEME in start.template["messages"][0]["vi"] and "24/09/2027" in start.template["messages"][0]["vi"]
    assert armed["dx-week-tip-safety"].next_at.astimezone(LOCAL_TZ).date() == date(2027, 10, 1)
    assert set(await actions(demo_roster)) >= {"calendar_changed", "campaign_armed"}
    plan = unescape(await (await client.get(PLAN + "?done=armed")).text())
    assert plan.count(VI.t("Armed")) >= len(armed)

    month = unescape(await (await client.get("/admin/schedules?month=2027-09")).text())
    assert "national-dx-day 2027 dx-week-start" in month and THEME in month

    response = await post(client, f"{PLAN}/disarm", {}, PLAN)
    assert response.status == 303 and await rows(demo_roster, Schedule) == []
    assert "campaign_disarmed" in await actions(demo_roster)


async def test_arming_without_a_theme_says_so_and_arms_nothing(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    response = await post(client, f"{PLAN}/arm", {"theme_vi": "  ", "theme_en": "Only English"}, PLAN)
    assert response.status == 400
    page = unescape(await response.text())
    assert VI.t("Write this year's theme in Vietnamese before arming: the messages quote it. Nothing was armed.") \
        in page
    assert 'value="Only English"' in page  # what was typed stays in the form
    assert await rows(demo_roster, Schedule) == [] and "campaign_armed" not in await actions(demo_roster)


async def test_dates_out_of_order_are_refused_in_the_persons_language(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    late = {**NEXT_YEAR, "deadline": "2027-10-16", "department_deadline": "2027-10-15", "week_end": "2027-09-20"}
    response = await post(client, CALENDAR, late, CALENDAR)
    assert response.status == 400
    page = unescape(await response.text())
    assert VI.t("The teams' deadline must come before the department's deadline.") in page
    assert VI.t("The DX week must end on or after the day it starts.") in page
    assert 'value="2027-09-20"' in page  # the form keeps what was typed
    response = await post(client, CALENDAR, {**NEXT_YEAR, "week_start": "28/09"}, CALENDAR)
    assert response.status == 400 and VI.t("Every date must be a day, e.g. 28/09/2027.") in unescape(
        await response.text())
    assert await rows(demo_roster, CampaignCalendar) == []


async def test_an_officer_sees_the_schedules_but_cannot_edit_the_calendar(client, demo_roster, people):
    async with demo_roster.session() as session:
        for code, text in ((COMMUNE, "Họp tổ Đức Nhuận"), (OTHER_COMMUNE, "Họp tổ Đức Chánh")):
            template = schedules.broadcast_template(bc.Audience(units=[code]), text)
            await schedules.add(session, name=text, rule=Rule("once", at=datetime(2026, 12, 3, 8, tzinfo=LOCAL_TZ)),
                                template=template, now=START)
        await session.commit()
    await sign_in(client, demo_roster, *people["officer"])
    month = unescape(await (await client.get("/admin/schedules?month=2026-12")).text())
    assert "Họp tổ Đức Nhuận" in month and "Họp tổ Đức Chánh" not in month  # only what reaches their commune
    for odd in ("abc", "0001-01", "2027-13", "99999-01"):  # a hand-typed month never breaks the page
        assert (await client.get(f"/admin/schedules?month={odd}")).status == 200
    assert (await client.get(CALENDAR)).status == 403
    response = await post(client, CALENDAR, NEXT_YEAR)
    assert response.status == 403
    response = await post(client, f"{PLAN}/arm", {"theme_vi": THEME})
    assert response.status == 403
    plan = await (await client.get(PLAN)).text()
    assert "arm-button" not in plan and "dx-week-start" in plan  # they read the plan, without the buttons
    assert await rows(demo_roster, CampaignCalendar) == [] and len(await rows(demo_roster, Schedule)) == 2


async def test_a_forged_post_without_csrf_changes_nothing(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    for path, data in ((CALENDAR, NEXT_YEAR), (f"{PLAN}/arm", {"theme_vi": THEME})):
        response = await client.post(path, data=data, allow_redirects=False)
        assert response.status == 403
    assert await rows(demo_roster, CampaignCalendar) == [] and await rows(demo_roster, Schedule) == []
    assert not {"calendar_changed", "campaign_armed"} & set(await actions(demo_roster))


async def missed_run(db) -> int:
    """A one-shot send due tomorrow morning that cdsbot slept through (noticed two days later): a missed run."""
    due = datetime(2026, 11, 26, 8, tzinfo=LOCAL_TZ)
    async with db.session() as session:
        template = schedules.broadcast_template(bc.Audience(units=[COMMUNE]), "Nhắc họp tổ")
        await schedules.add(session, name="Nhắc họp tổ", rule=Rule("once", at=due), template=template, now=START)
        await session.commit()
    fired = await schedules.fire_due(db, due.astimezone(UTC) + timedelta(days=2), Policy())
    assert [f.status for f in fired] == ["missed"]
    return fired[0].run_id


async def test_a_missed_send_is_dropped_and_audited(client, demo_roster, people):
    run_id = await missed_run(demo_roster)
    await sign_in(client, demo_roster, *people["admin"])
    page = await (await client.get("/admin/schedules")).text()
    assert f'id="missed-{run_id}"' in page
    response = await post(client, f"/admin/schedules/missed/{run_id}/drop", {})
    assert response.status == 303
    assert [r.status for r in await rows(demo_roster, ScheduleRun)] == ["dropped"]
    async with demo_roster.session() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0  # nothing was sent
    entry = (await rows(demo_roster, AuditEntry, AuditEntry.action == "missed_dropped"))[0]
    assert entry.actor_name == "Trần Thị Admin" and f"run #{run_id}" in entry.target
    assert f'id="missed-{run_id}"' not in await (await client.get("/admin/schedules")).text()
    response = await post(client, f"/admin/schedules/missed/{run_id}/send", {})  # a second tab: nothing twice
    assert response.status == 303 and response.headers["Location"].endswith("done=unchanged")
    async with demo_roster.session() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_a_missed_send_sent_now_is_queued_and_audited(client, demo_roster, people):
    run_id = await missed_run(demo_roster)
    await sign_in(client, demo_roster, *people["admin"])
    response = await post(client, f"/admin/schedules/missed/{run_id}/send", {})
    assert response.status == 303
    run = (await rows(demo_roster, ScheduleRun))[0]
    assert run.status == "sent" and run.broadcast_id is not None and run.deliveries >= 1
    assert "missed_sent" in await actions(demo_roster)
