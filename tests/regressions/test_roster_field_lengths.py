"""Issue 19 item 10: a 40-character code and a 300-character name were accepted on SQLite and crashed the import on
PostgreSQL. Both databases now refuse them (and control characters, which PostgreSQL refuses in text) with the
file and line, import nothing, and accept the longest allowed values."""

from bot.cli.common import import_files
from bot.services import org
from bot.services.roster import MAX_CODE, MAX_NAME

HEADER = "code,name,kind,parent_code\n"


async def test_too_long_fields_are_refused_with_their_line_on_both_databases(any_db, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "1,Tỉnh Thử,province,\n" + f"{'X' * 40},Huyện Dài,district,1\n"
                    + f"3,{'Đ' * 300},district,1\n" + "4,Huyện\x00Lạ,district,1\n", encoding="utf-8")
    result = await import_files(any_db, [path], show_progress=False)
    assert result.problems == [
        f"{path}:3: unit {'X' * MAX_CODE}…: code is 40 characters long (at most {MAX_CODE})",
        f"{path}:4: unit 3: name is 300 characters long (at most {MAX_NAME})",
        f"{path}:5: unit 4: a control character in a field",
    ]
    async with any_db.session() as session:
        assert (await org.stats(session))["units"] == {}


async def test_the_longest_allowed_fields_import_on_both_databases(any_db, tmp_path):
    path = tmp_path / "longest.csv"
    code, name = "C" * MAX_CODE, "Tỉnh " + "Đ" * (MAX_NAME - 5)
    path.write_text(HEADER + f"{code},{name},province,\n", encoding="utf-8")
    result = await import_files(any_db, [path], show_progress=False)
    assert (result.problems, result.created) == ([], 1)
    async with any_db.session() as session:
        assert (await org.unit_by_code(session, code)).name == name
