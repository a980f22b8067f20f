"""Re-mapping from the console: admins only, the draft, the preview by line, applying with its events, audited;
and the roll-up's "tree as at" and "compare with" over HTTP after it."""

import re

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.db.console import AuditEntry
from bot.db.models import OrgUnit
from bot.db.reports import Report
from bot.i18n import Translator
from bot.services import remap
from bot.web.console import remap_problems
from tests.services.test_remap import BAD_MAPS, EFFECTIVE, ROSTER_2025, SETTLED, seed
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_rollup import cells

BAD_MAP = "old_code,new_code,new_name,new_kind,new_parent_code\n21256,21034,Xã An Phú,commune,51\n99999,21034,,,\n"


def form(token: str, field: str, name: str, data: bytes, **fields) -> aiohttp.FormData:
    """A multipart form with the CSRF token, one file and other fields."""
    found = aiohttp.FormData({"csrf_token": token, **fields})
    found.add_field(field, data, filename=name, content_type="text/csv")
    return found


async def drafted_map(client, token: str) -> str:
    """Draft from the 2025 roster on the page, download it, settle it as a person would."""
    page = await client.post("/admin/remap/draft", data=form(token, "roster", "quang-ngai-2025.csv",
                                                             ROSTER_2025.read_bytes()))
    text = await page.text()
    assert page.status == 200, text
    assert "169 đơn vị hiện có khớp" in text and "Xã Thắng Lợi" in text  # an unmatched name, by its line
    assert re.search(r'<td class="num">44</td><td>21409 Xã Long Phụng: “Xã Thắng Lợi” không khớp', text)
    link = re.search(r'href="(/admin/remap/draft/[^"]+\.csv)"', text).group(1)
    download = await client.get(link)
    assert download.headers["Content-Disposition"].startswith("attachment")
    return await download.text() + "\n".join(SETTLED) + "\n"


async def test_only_admins_remap_and_bad_files_get_clear_messages(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["officer"])
    assert (await client.get("/admin/remap")).status == 403
    await sign_in(client, demo_roster, *people["admin"])
    token = await csrf_of(client, "/admin/remap")
    no_csrf = await client.post("/admin/remap", data={"effective": "2025-07-01"})
    assert no_csrf.status == 403
    no_date = await client.post("/admin/remap", data=form(token, "map", "map.csv", BAD_MAP.encode()))
    assert no_date.status == 400 and "Hãy cho biết ngày cây mới có hiệu lực." in await no_date.text()
    no_file = await client.post("/admin/remap", data={"csrf_token": token, "effective": "2025-07-01"})
    assert no_file.status == 400 and "Hãy chọn một tệp CSV trước." in await no_file.text()
    bad = await client.post("/admin/remap", data=form(token, "map", "map.csv", BAD_MAP.encode(),
                                                      effective="2025-07-01"))
    text = await bad.text()
    assert re.search(r'<td class="num">3</td><td>không có đơn vị mã 99999</td>', text)  # by line, in Vietnamese
    assert 'id="remap-apply"' not in text


async def test_an_admin_drafts_previews_and_applies_the_remap_with_its_progress(client, demo_roster, people):
    async with demo_roster.session() as session:
        await seed(session)
        reports_before = await session.scalar(select(func.count()).select_from(Report))
    await sign_in(client, demo_roster, *people["admin"])
    token = await csrf_of(client, "/admin/remap")
    settled = await drafted_map(client, token)
    preview = await client.post("/admin/remap", data=form(token, "map", "map.csv", settled.encode(),
                                                          effective="2025-07-01"))
    text = await preview.text()
    assert "186 đơn vị thôi hoạt động" in text and "96 đơn vị được lập" in text
    assert "Mã mời: giữ 56, cấp mới 40" in text and "Xã An Phú" in text
    job = str(preview.url.path)
    assert (await client.post(job + "/apply", data={"csrf_token": token}, allow_redirects=False)).status == 303
    events = await client.get(job + "/events")
    assert events.headers["Content-Type"].startswith("text/event-stream")
    stream = await events.text()  # it ends when the remap does
    assert "event: progress" in stream and '"finished": true' in stream
    done = await (await client.get(job)).text()
    assert 'id="remap-done"' in done
    async with demo_roster.session() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == reports_before
        assert await session.scalar(select(func.count()).where(OrgUnit.retired_on.is_not(None))) == 186
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "units_remapped"))
        assert entry.detail["retired"] == 186 and entry.actor_name == "Trần Thị Admin"
    rollup = await (await client.get("/admin/reports/rollup?period=2024&asat=2024-12-31&compare=2026")).text()
    assert "Huyện Tư Nghĩa" in rollup and "Xã An Phú" not in cells(rollup, "528")[0]
    assert 'id="rollup-compare"' in rollup and 'name="asat" id="asat" value="2024-12-31"' in rollup
    new_tree = await (await client.get("/admin/reports/rollup?period=2024&compare=2026")).text()
    an_phu = cells(new_tree.split('id="rollup-compare"')[1], "21034")
    assert an_phu[1] != "chưa có số liệu" and an_phu[2] == "chưa có số liệu" and an_phu[3] == ""
    assert (await client.get("/admin/reports/rollup?asat=yesterday")).status == 400



@pytest.mark.parametrize(("text", "problems"), BAD_MAPS, ids=["unknown code", "cycle", "unknown parent", "inside"])
async def test_every_refused_map_line_is_said_in_vietnamese(db, demo_roster, tmp_path, text, problems):
    path = tmp_path / "map.csv"
    path.write_text(text, encoding="utf-8")
    async with db.session() as session:
        plan = await remap.plan_remap(session, path, EFFECTIVE)
    said = remap_problems.by_line(Translator("vi"), plan.problems, str(tmp_path))
    english = [problem.split(": ", 1)[1] for problem in problems]
    assert [line for line, _text in said] == [problem.split(":")[1] for problem in problems]
    assert all(text_vi != text_en for (_line, text_vi), text_en in zip(said, english, strict=True))


async def test_a_roster_without_formed_from_gets_no_draft_and_says_why(client, demo_roster, people):
    await sign_in(client, demo_roster, *people["admin"])
    token = await csrf_of(client, "/admin/remap")
    plain = b"code,name,kind,parent_code\n51,T\xe1\xbb\x89nh Qu\xe1\xba\xa3ng Ng\xc3\xa3i,province,\n"
    page = await client.post("/admin/remap/draft", data=form(token, "roster", "plain.csv", plain))
    text = await page.text()
    assert page.status == 400 and "cần có cột formed_from để lập bản nháp" in text
    assert 'id="draft-download"' not in text
    empty = await client.post("/admin/remap/draft", data={"csrf_token": token})
    assert empty.status == 400 and "Hãy chọn một tệp CSV trước." in await empty.text()
