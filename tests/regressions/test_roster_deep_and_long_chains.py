"""Issue 19 item 10: a 1,500-deep parent chain crashed the import with RecursionError, and a long chain took
minutes (the cycle check walked every chain from every row). A tree deeper than MAX_DEPTH is refused with the
line that makes it so, quickly, and nothing is imported; a tree exactly MAX_DEPTH deep imports with true paths."""

import time

from bot.cli.common import import_files
from bot.services import org
from bot.services.roster import MAX_DEPTH

HEADER = "code,name,kind,parent_code\n"


def chain(tmp_path, rows: int):
    path = tmp_path / f"chain-{rows}.csv"
    path.write_text(HEADER + "0,Tỉnh Thử,province,\n" + "".join(f"{i},Thôn {i},village,{i - 1}\n"
                                                                  for i in range(1, rows)), encoding="utf-8")
    return path


async def test_a_1500_deep_chain_is_refused_at_the_line_that_is_too_deep(db, tmp_path):
    path = chain(tmp_path, 1500)
    result = await import_files(db, [path], show_progress=False)
    first_too_deep = MAX_DEPTH + 2  # the header is line 1, the root line 2
    assert result.problems == [f"{path}:{first_too_deep}: unit {MAX_DEPTH}: the tree would be more than "
                               f"{MAX_DEPTH} levels deep"]
    async with db.session() as session:
        assert (await org.stats(session))["units"] == {}


async def test_a_30000_row_chain_is_checked_in_linear_time(db, tmp_path):
    path = chain(tmp_path, 30_000)
    started = time.perf_counter()
    result = await import_files(db, [path], show_progress=False)
    assert time.perf_counter() - started < 15, "a quadratic check takes minutes here"
    assert len(result.problems) == 1 and "levels deep" in result.problems[0]


async def test_a_tree_exactly_as_deep_as_allowed_imports_with_its_paths(db, tmp_path):
    result = await import_files(db, [chain(tmp_path, MAX_DEPTH)], show_progress=False)
    assert (result.problems, result.created) == ([], MAX_DEPTH)
    async with db.session() as session:
        root, deepest = await org.unit_by_code(session, "0"), await org.unit_by_code(session, str(MAX_DEPTH - 1))
    assert deepest.depth == MAX_DEPTH - 1
    assert deepest.path.startswith(f"/{root.id}/") and deepest.path.endswith(f"/{deepest.id}/")
    assert deepest.path.count("/") == MAX_DEPTH + 1


async def test_moving_a_stored_subtree_below_the_limit_blames_the_moved_row(db, tmp_path):
    assert not (await import_files(db, [chain(tmp_path, MAX_DEPTH - 2)], show_progress=False)).problems
    branch = tmp_path / "branch.csv"  # B sits on the root; its stored children are 2 levels below it
    branch.write_text(HEADER + "B,Huyện B,district,0\nB1,Xã B1,commune,B\nB2,Thôn B2,village,B1\n", encoding="utf-8")
    assert not (await import_files(db, [branch], show_progress=False)).problems
    move = tmp_path / "move.csv"  # B under the deepest unit: B2 would be MAX_DEPTH + 1 levels down
    move.write_text(HEADER + f"B,Huyện B,district,{MAX_DEPTH - 3}\n", encoding="utf-8")
    result = await import_files(db, [move], show_progress=False)
    assert result.problems == [f"{move}:2: unit B: the tree would be more than {MAX_DEPTH} levels deep"]
