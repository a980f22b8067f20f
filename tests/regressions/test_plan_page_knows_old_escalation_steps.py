"""Escalation steps armed before targets became levels (keys ending `-commune-officer`, `-district-officer`) show
as armed on the console's DX Day plan and are not listed again as "not armed yet" on the month: the console
recognises them as arming does (`arming.armed_as`)."""

import re
from html import unescape

from sqlalchemy import select

from bot.db.schedules import Schedule
from bot.i18n import Translator
from tests.web.conftest import client, clock, people, sign_in  # noqa: F401 (fixtures)
from tests.web.test_schedules import PLAN, post

VI = Translator("vi")
OLD = (("officers-above", "commune-officer"), ("officers-two-above", "district-officer"))


async def _arm_then_rename_as_before_the_change(http, db) -> list[str]:
    response = await post(http, f"{PLAN}/arm", {"theme_vi": "Chủ đề năm", "theme_en": "Theme"}, PLAN)
    assert response.status == 303
    renamed = []
    async with db.session() as session:
        for schedule in (await session.execute(select(Schedule))).scalars():
            for new, old in OLD:
                if schedule.key.endswith("-" + new):
                    renamed.append(schedule.key.split(":")[-1])
                    schedule.key = schedule.key.removesuffix(new) + old
                    schedule.template = {**schedule.template, "target": old.replace("-", "_")}
        await session.commit()
    assert renamed  # the plan has escalation steps to the level above
    return renamed


async def test_old_escalation_keys_are_armed_on_the_plan_and_not_planned_again(client, demo_roster, people):  # noqa: F811
    await sign_in(client, demo_roster, *people["admin"])
    renamed = await _arm_then_rename_as_before_the_change(client, demo_roster)
    plan = unescape(await (await client.get(PLAN)).text())
    for step in renamed:
        card = re.search(rf'<li class="card (\w+)" id="step-{step}">', plan)
        assert card and card.group(1) == "active", step
    total = len(re.findall(r'<li class="card \w+" id="step-', plan))
    assert VI.t("{armed} of {total} steps are armed. Arming again adds only the missing ones.",
                armed=total, total=total) in plan
    month = unescape(await (await client.get("/admin/schedules?month=2027-10")).text())
    assert VI.t("Not armed yet") not in month
