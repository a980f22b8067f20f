"""Issue 19 item 10: a flat 100,000-row import took 166 s (a flush and a query per row). Rows are now written in
bulk, a tree level at a time: 20,000 rows import in a few seconds (bench/roster.py times 100,000 on both databases),
and re-importing them changes nothing."""

import time

from bot.cli.common import import_files
from bot.services import org

ROWS = 20_000


async def test_a_20000_row_tree_imports_in_seconds_and_again_unchanged(db, tmp_path):
    path = tmp_path / "big.csv"
    lines = ["code,name,kind,parent_code", "P,Tỉnh Thử,province,"]
    lines += [f"C{c},Xã {c},commune,P" for c in range(100)]
    lines += [f"V{v},Thôn {v},village,C{v % 100}" for v in range(ROWS - 101)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    result = await import_files(db, [path], show_progress=False)
    assert time.perf_counter() - started < 12, "one flush per row takes over half a minute here"
    assert (result.problems, result.created, result.teams_created) == ([], ROWS, ROWS)
    again = await import_files(db, [path], show_progress=False)
    assert (again.created, again.updated, again.unchanged, again.teams_created) == (0, 0, ROWS, 0)
    async with db.session() as session:
        village = await org.unit_by_code(session, "V0")
        assert await org.unit_label(session, village) == "Thôn 0 · Xã 0"
        assert (await org.stats(session))["teams"] == ROWS
