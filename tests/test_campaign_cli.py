"""`cdsbot campaign plan | arm` and `cdsbot schedule …` as staff run them (subprocesses on a fresh database)."""

import re
import shutil

import pytest

from tests.test_cli import cdsbot, sqlite_url

PLAN = [  # (date, time, step): the 2027 timeline from the start of the comms month to the escalations
    ("15/09/2027", "08:00", "comms-month-start"), ("15/09/2027", "09:00", "leaders-plan"),
    ("04/10/2027", "08:00", "dx-week-start"), ("06/10/2027", "19:00", "dx-week-tip-payments"),
    ("08/10/2027", "19:00", "dx-week-tip-safety"), ("09/10/2027", "16:00", "day-before"),
    ("10/10/2027", "07:30", "dx-day"), ("15/10/2027", "08:00", "comms-month-end"),
    ("17/10/2027", "08:00", "report-reminder-d3"), ("19/10/2027", "08:00", "report-reminder-d1"),
    ("20/10/2027", "08:00", "deadline-day"), ("21/10/2027", "08:00", "escalate-d1-leader"),
    ("23/10/2027", "08:00", "escalate-d3-commune-officer"), ("25/10/2027", "08:00", "escalate-d5-district-officer"),
]


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
    assert rows[0][4].startswith("Chào cả tổ! Hôm nay 15/09/2027") and rows[-1][4].startswith("[reminder to")
    assert run(workdir, "schedule", "list").splitlines()[1:] == []  # planning armed nothing


def test_arming_twice_changes_nothing_and_schedules_can_be_managed(workdir):
    first = run(workdir, "campaign", "arm", "national-dx-day", "--year", "2030")
    assert first.splitlines()[-1] == "14 schedule(s) armed, 0 unchanged"
    assert run(workdir, "campaign", "arm", "national-dx-day", "--year", "2030").splitlines()[-1] == \
        "0 schedule(s) armed, 14 unchanged"
    added = run(workdir, "schedule", "add", "--every", "weekly", "--days", "mon,thu", "--time", "22:30",
                "--text-vi", "Họp tổ", "--role", "leader")
    schedule_id = re.match(r"schedule (\d+) added: weekly mon,thu 22:30, next at .* 07:00$", added.strip())[1]
    assert "paused" in run(workdir, "schedule", "pause", schedule_id)
    listing = run(workdir, "schedule", "list").splitlines()[1:]
    assert len(listing) == 15 and f"{schedule_id}\tpaused\t" in "\n".join(listing)
    run(workdir, "schedule", "delete", schedule_id)
    bad = cdsbot(workdir, "schedule", "add", "--at", "2020-01-01 08:00", "--text-vi", "x",
                 CDSBOT_DATABASE_URL=sqlite_url(workdir / "cli.db"))
    assert bad.returncode == 2 and "in the past" in bad.stderr
    assert "14 schedule(s) removed" in run(workdir, "campaign", "disarm", "national-dx-day", "--year", "2030")
