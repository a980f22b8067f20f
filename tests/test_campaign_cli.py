"""`cdsbot campaign plan | arm` and `cdsbot schedule …` as staff run them (subprocesses on a fresh database)."""

import re
import shutil

import pytest

from tests.test_cli import cdsbot, sqlite_url

PLAN = [  # (date, time, step): Quảng Ngãi's 2027 timeline, from the leaders' planning to the consumer month's end
    ("21/09/2027", "09:00", "leaders-plan"), ("28/09/2027", "08:00", "dx-week-start"),
    ("30/09/2027", "19:00", "dx-week-tip-payments"), ("01/10/2027", "08:00", "consumer-month-start"),
    ("02/10/2027", "19:00", "dx-week-tip-safety"), ("05/10/2027", "08:00", "launch"),
    ("09/10/2027", "08:00", "report-reminder-d3"), ("09/10/2027", "16:00", "day-before"),
    ("10/10/2027", "07:30", "dx-day"), ("11/10/2027", "08:00", "report-reminder-d1"),
    ("12/10/2027", "08:00", "deadline-day"), ("12/10/2027", "14:00", "officers-feedback"),
    ("13/10/2027", "08:00", "escalate-d1-leader"),
    ("14/10/2027", "08:00", "escalate-d2-officers-above"), ("14/10/2027", "09:00", "department-deadline"),
    ("31/10/2027", "08:00", "consumer-month-end"),
]
THEME = ("--theme", "Khai thác dữ liệu số để tạo ra giá trị", "--theme-en", "Harnessing digital data to create value")


@pytest.fixture
def workdir(tmp_path, db):
    """A working directory with a copy of an empty migrated database."""
    shutil.copyfile(db.url.removeprefix("sqlite+aiosqlite:///"), tmp_path / "cli.db")
    return tmp_path


def run(workdir, *args):
    done = cdsbot(workdir, *args, CDSBOT_DATABASE_URL=sqlite_url(workdir / "cli.db"))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_plan_prints_the_2027_timeline_without_arming(workdir):
    out = run(workdir, "campaign", "plan", "national-dx-day", "--year", "2027")
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    assert [tuple(row[:3]) for row in rows] == PLAN
    assert all(row[3] == "0" for row in rows)  # nobody registered yet
    steps = {row[2]: row for row in rows}
    assert steps["deadline-day"][4].endswith("Cảm ơn các tổ đã gửi đúng hạn!")  # in full, not cut at 70 characters
    assert "by 15/10/2027" in steps["deadline-day"][5]
    assert "[this year's theme: give it with --theme when arming]" in steps["dx-day"][4]  # no made-up theme
    assert steps["escalate-d1-leader"][4].startswith("[reminder to leader")
    assert run(workdir, "schedule", "list").splitlines()[1:] == []  # planning armed nothing


def test_arming_twice_changes_nothing_and_schedules_can_be_managed(workdir):
    first = run(workdir, "campaign", "arm", "national-dx-day", "--year", "2030", *THEME)
    assert first.splitlines()[-1] == "16 schedule(s) armed, 0 unchanged"
    assert run(workdir, "campaign", "arm", "national-dx-day", "--year", "2030", *THEME).splitlines()[-1] == \
        "0 schedule(s) armed, 16 unchanged"
    added = run(workdir, "schedule", "add", "--every", "weekly", "--days", "mon,thu", "--time", "22:30",
                "--text-vi", "Họp tổ", "--role", "leader")
    schedule_id = re.match(r"schedule (\d+) added: weekly mon,thu 22:30, next at .* 07:00$", added.strip())[1]
    assert "paused" in run(workdir, "schedule", "pause", schedule_id)
    listing = run(workdir, "schedule", "list").splitlines()[1:]
    assert len(listing) == 17 and f"{schedule_id}\tpaused\t" in "\n".join(listing)
    run(workdir, "schedule", "delete", schedule_id)
    bad = cdsbot(workdir, "schedule", "add", "--at", "2020-01-01 08:00", "--text-vi", "x",
                 CDSBOT_DATABASE_URL=sqlite_url(workdir / "cli.db"))
    assert bad.returncode == 2 and "in the past" in bad.stderr
    assert "16 schedule(s) removed" in run(workdir, "campaign", "disarm", "national-dx-day", "--year", "2030")


def test_arming_without_the_years_theme_asks_for_it_and_arms_nothing(workdir):
    refused = cdsbot(workdir, "campaign", "arm", "national-dx-day", "--year", "2030",
                     CDSBOT_DATABASE_URL=sqlite_url(workdir / "cli.db"))
    assert refused.returncode != 0 and "--theme" in refused.stderr and "Nothing was armed" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run(workdir, "schedule", "list").splitlines()[1:] == []
