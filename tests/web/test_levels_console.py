"""Levels in the console (issue 17 item 1): the composer offers the levels of the person's subtree named from
content/units/kinds.yaml, a level picks every kind at that depth, and the DX Day plan names escalations by the
level above, not by kinds."""

import re
from html import unescape

from sqlalchemy import update

from bot.db.models import OrgUnit
from tests.web.conftest import COMMUNE, OTHER_COMMUNE, add_member, sign_in

NEW, PLAN = "/admin/broadcasts/new", "/admin/schedules/plan/2027"


def levels_of(page: str) -> list[tuple[str, str]]:
    """(value, label) of the composer's level checkboxes."""
    return [(value, label.strip()) for value, label in
            re.findall(r'name="level" value="([^"]+)"[^>]*> ([^<]+)</label>', unescape(page))]


async def test_the_composer_offers_the_levels_below_the_officer_and_counts_one(client, demo_roster, people):
    await add_member(demo_roster, f"{COMMUNE}-02", "Võ Thị Thôn", "+84905111222", "chat-thon")
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get(NEW)).text()
    assert levels_of(page) == [("commune", "Xã"), ("village", "Thôn")]  # no "Huyện" above the commune
    count = await (await client.get("/admin/broadcasts/count?level=village&channel=web")).text()
    assert re.search(r'id="count-members">1<', count), count  # the village's member, not the commune's officers
    count = await (await client.get("/admin/broadcasts/count?level=commune&channel=web")).text()
    assert re.search(r'id="count-members">2<', count), count


async def test_a_level_of_several_kinds_is_one_checkbox(client, demo_roster, people):
    async with demo_roster.session() as session:  # a phường beside the xã of the same district, as in 2025
        await session.execute(update(OrgUnit).where(OrgUnit.code == OTHER_COMMUNE).values(kind="ward"))
        await session.commit()
    await add_member(demo_roster, OTHER_COMMUNE, "Đỗ Văn Phường", "+84905111333", "chat-phuong")
    await sign_in(client, demo_roster, *people["admin"])
    offered = levels_of(await (await client.get(NEW)).text())
    assert offered == [("province", "Tỉnh"), ("district", "Huyện"), ("commune,ward", "Xã, phường"),
                       ("village", "Thôn")]
    count = await (await client.get("/admin/broadcasts/count?level=commune,ward&channel=web")).text()
    assert re.search(r'id="count-members">3<', count), count  # the level's kinds, all of them: xã and phường


async def test_the_plan_names_escalations_by_the_level_above(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    plan = unescape(await (await client.get(PLAN)).text())
    assert "cán bộ cấp trên liền kề" in plan and "commune_officer" not in plan
    assert "xã, phường, thị trấn, đặc khu, thôn, tổ dân phố" in plan  # a campaign's levels named from kinds.yaml
