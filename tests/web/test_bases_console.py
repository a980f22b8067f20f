"""Base figures in the console: edited within the scope with clear messages, imported by CSV after a preview,
audited; a forged form for another commune gets 403 and changes nothing."""

import aiohttp
from sqlalchemy import select

from bot.db.bases import UnitBase
from bot.db.console import AuditEntry
from bot.db.models import OrgUnit
from tests.web.conftest import csrf_of, sign_in

PAGE = "/admin/bases?unit=21409"


async def figures(db) -> dict[str, tuple[int | None, int | None]]:
    async with db.session() as session:
        rows = await session.execute(select(OrgUnit.code, UnitBase.population, UnitBase.households)
                                     .join(UnitBase, UnitBase.unit_id == OrgUnit.id))
        return {code: (population, households) for code, population, households in rows}


async def post(client, path: str, data: dict):
    return await client.post(path, data={"csrf_token": await csrf_of(client, PAGE), **data}, allow_redirects=False)


async def upload(client, text: str):
    """The CSV sent as the page's upload form sends it."""
    data = aiohttp.FormData({"csrf_token": await csrf_of(client, PAGE), "unit": "21409"})
    data.add_field("bases", text.encode(), filename="bases.csv", content_type="text/csv")
    return await client.post("/admin/bases/upload", data=data)


async def audited(db) -> list[dict]:
    async with db.session() as session:
        return [e.detail for e in (await session.execute(
            select(AuditEntry).where(AuditEntry.action == "bases_changed").order_by(AuditEntry.id))).scalars()]


async def test_the_officer_edits_the_communes_and_its_villages_figures(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    page = await (await client.get(PAGE)).text()
    assert 'name="population:21409"' in page and 'name="households:21409-01"' in page
    assert "chưa có số liệu nền" in page
    response = await post(client, "/admin/bases", {"unit": "21409", "population:21409": "12.500",
                                                   "households:21409": "3200", "population:21409-01": "1800",
                                                   "households:21409-01": ""})
    assert response.status == 303 and "saved=2" in response.headers["Location"]
    assert await figures(demo_roster) == {"21409": (12500, 3200), "21409-01": (1800, None)}
    assert await audited(demo_roster) == [{"units": 2, "source": "form"}]
    page = await (await client.get(response.headers["Location"])).text()
    assert 'value="12500"' in page and "Đã lưu: 2 đơn vị thay đổi." in page


async def test_bad_figures_are_named_in_vietnamese_and_nothing_is_saved(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    response = await post(client, "/admin/bases", {"unit": "21409", "population:21409": "-5",
                                                   "households:21409": "ba nghìn", "population:21409-01": "1800"})
    page = await response.text()
    assert response.status == 400
    assert "dân số phải là số nguyên lớn hơn 0, hoặc để trống khi chưa biết" in page
    assert "số hộ phải là số nguyên lớn hơn 0" in page and 'value="ba nghìn"' in page
    assert await figures(demo_roster) == {} and await audited(demo_roster) == []


async def test_a_forged_form_for_another_commune_is_refused_and_changes_nothing(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    forged = await post(client, "/admin/bases", {"unit": "21409", "population:21409": "100",
                                                 "population:21412": "999"})
    assert forged.status == 403
    assert (await client.get("/admin/bases?unit=21412")).status == 403
    assert await figures(demo_roster) == {}


async def test_a_csv_is_previewed_line_by_line_then_applied(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    bad = "code,population,households\n21409,12500,3200\n21412,5000,\n21409-02,abc,10\nXX9,1,1\n"
    response = await upload(client, bad)
    page = await response.text()
    assert response.status == 400
    assert "đơn vị 21412 nằm ngoài phạm vi của anh/chị" in page
    assert '<td class="num">4</td><td>dân số phải là số nguyên' in page
    assert "không có đơn vị XX9 trong cây đơn vị" in page and 'id="bases-apply"' not in page

    good = "\ufeffcode,population,households\n21409,12500,3200\n21409-02,900,240\n"
    response = await upload(client, good)
    page = await response.text()
    assert response.status == 200 and 'id="bases-apply"' in page and "2 đơn vị thay đổi" in page
    assert await figures(demo_roster) == {}  # nothing written before "apply"
    response = await post(client, "/admin/bases/apply", {"unit": "21409", "csv": good.lstrip("\ufeff")})
    assert response.status == 303
    assert await figures(demo_roster) == {"21409": (12500, 3200), "21409-02": (900, 240)}
    assert await audited(demo_roster) == [{"units": 2, "source": "csv"}]


async def test_a_forged_apply_with_another_communes_line_writes_nothing(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    response = await post(client, "/admin/bases/apply", {"unit": "21409",
                                                         "csv": "code,population,households\n21409,1,1\n21412,2,2\n"})
    assert response.status == 400 and await figures(demo_roster) == {}


async def test_a_file_that_is_not_utf8_text_gets_a_message_not_an_error(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    data = aiohttp.FormData({"csrf_token": await csrf_of(client, PAGE), "unit": "21409"})
    data.add_field("bases", "code,population\n21409,12\u00a0500\n".encode("utf-16"), filename="b.csv")
    response = await client.post("/admin/bases/upload", data=data)
    assert response.status == 400 and "Tệp không phải văn bản UTF-8 (CSV)" in await response.text()
    assert await figures(demo_roster) == {}
