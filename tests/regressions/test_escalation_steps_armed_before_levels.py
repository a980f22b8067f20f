"""Escalation steps armed while targets named kinds (`commune_officer` …) keep working after targets became levels
(`officers_above` …): arming again does not add them twice, and firing one tells the officers of the level above,
never the admins (an unknown target used to fall through to them)."""

from datetime import datetime

from sqlalchemy import select

from bot.clock import LOCAL_TZ
from bot.db.models import Delivery
from bot.db.schedules import Schedule
from bot.services import schedules
from bot.services.schedule_rules import Policy
from tests.services.test_monthly_reminders import arm
from tests.services.test_reminders import DUC_NHUAN, MO_DUC, add_person


async def test_a_step_armed_with_a_kind_target_fires_once_to_the_level_above(db, demo_roster):
    await add_person(db, DUC_NHUAN, "officer", "commune-officer")
    await add_person(db, MO_DUC, "officer", "district-officer")
    await add_person(db, "51", "admin", "admin")
    assert await arm(db) == ["armed"] * 5
    async with db.session() as session:  # as a database armed before the change holds them
        for schedule in (await session.execute(select(Schedule))).scalars():
            for old, new in (("commune-officer", "officers-above"), ("district-officer", "officers-two-above")):
                if schedule.key.endswith(new):
                    schedule.key = schedule.key.removesuffix(new) + old
                    schedule.template = {**schedule.template, "target": old.replace("-", "_")}
        await session.commit()
    assert await arm(db) == ["already armed"] * 5

    await schedules.fire_due(db, datetime(2027, 10, 8, 8, 0, tzinfo=LOCAL_TZ), Policy())
    async with db.session() as session:
        told = list((await session.execute(select(Delivery.external_id))).scalars())
    assert sorted(told) == ["commune-officer", "district-officer"]  # the level above each missing team, once
