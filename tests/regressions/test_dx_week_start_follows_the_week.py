"""The DX week's opening message was pinned to 28/09 in the campaign file, so moving a year's DX week in the
console moved every other date but still opened the week on 28/09: it now follows the year's week start."""

from datetime import UTC, date, datetime

from bot.services import arming, calendar_overrides
from bot.services.calendar_overrides import YearCalendar
from bot.services.campaigns import load_campaign

WEEK_2027 = YearCalendar(2027, date(2027, 9, 24), date(2027, 10, 1), date(2027, 9, 24), date(2027, 10, 31),
                         date(2027, 10, 12), date(2027, 10, 16), theme_vi="Chủ đề 2027")


def step_days(plan) -> dict[str, date]:
    return {step.key.split(":")[-1]: step.when.date() for step in plan}


def test_the_opening_message_moves_with_the_dx_week():
    campaign = load_campaign("national-dx-day")
    usual = step_days(arming.steps(campaign, 2027, {"vi": "x"}))
    assert usual["dx-week-start"] == date(2027, 9, 28)  # the file's usual week
    moved = step_days(arming.steps(calendar_overrides.apply(campaign, WEEK_2027), 2027, {"vi": "x"}))
    assert moved["dx-week-start"] == date(2027, 9, 24) and moved["dx-week-tip-safety"] == date(2027, 10, 1)
    assert moved["deadline-day"] == date(2027, 10, 12)


async def test_a_stored_calendar_is_what_arming_plans(db):
    campaign = load_campaign("national-dx-day")
    async with db.session() as session:
        await calendar_overrides.save(session, campaign, WEEK_2027, by="test", now=datetime(2026, 11, 25, tzinfo=UTC))
        await session.commit()
    async with db.session() as session:
        plan = await arming.planned(session, campaign, 2027, None)  # the stored theme is used
    assert step_days(plan)["dx-week-start"] == date(2027, 9, 24)
    assert "Chủ đề 2027" in next(s for s in plan if s.key.endswith("dx-week-start")).template["messages"][0]["vi"]
