"""`cdsbot reports document -o new-folder/x.docx` died with a FileNotFoundError traceback when the folder did not
exist yet; the commands that write a file now make its folder, and a path they cannot write is one clear line."""

from tests.test_cli import cdsbot, sqlite_url


async def test_the_document_is_written_into_a_folder_that_did_not_exist(db, demo_roster, tmp_path):
    url = sqlite_url(tmp_path / "cdsbot.db")
    done = cdsbot(tmp_path, "reports", "document", "--unit", "51", "--plan", "national-dx-day:2027",
                  "--date", "2027-10-15", "-o", "bao-cao/2027/ket-qua.docx", CDSBOT_DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "bao-cao/2027/ket-qua.docx").exists()
    assert (tmp_path / "bao-cao/2027/ket-qua-phu-luc.xlsx").exists()


async def test_a_path_that_cannot_be_a_folder_is_one_line(db, demo_roster, tmp_path):
    url = sqlite_url(tmp_path / "cdsbot.db")
    (tmp_path / "not-a-folder").write_text("x")
    done = cdsbot(tmp_path, "reports", "export", "--unit", "51", "--period", "2026", "--format", "csv",
                  "-o", "not-a-folder/rows.csv", "--quiet", CDSBOT_DATABASE_URL=url)
    assert done.returncode != 0 and "cannot write not-a-folder/rows.csv" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
