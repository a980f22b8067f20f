"""Issue 18 item 1: the DX Day calendar is Quảng Ngãi's, its team deadline comes before the department's,
no theme is made up, and `campaign plan` shows each message in full.

Before: a 15/9–15/10 comms month and a DX week fixed at 4–10/10 from another province's plan, the teams'
deadline 20/10 after the department's 15/10, a default theme no plan uses, and messages cut at 70 characters.
"""

from datetime import date
from types import SimpleNamespace

import pytest

from bot.cli.campaign import _message
from bot.services import arming
from bot.services.campaign_model import ThemeMissing
from bot.services.campaigns import campaign_dates, load_campaign

YEAR = 2027


@pytest.fixture(scope="module")
def campaign():
    return load_campaign("national-dx-day")


def test_the_teams_deadline_and_every_escalation_come_before_the_departments(campaign):
    dates = campaign_dates(campaign, YEAR)
    assert dates.department_deadline == date(YEAR, 10, 15)
    assert dates.deadline < dates.department_deadline
    assert all(day < dates.department_deadline for day, _ in dates.escalations)


def test_the_dx_week_is_the_provinces_not_the_seven_days_before_10_10(campaign):
    dates = campaign_dates(campaign, YEAR)
    assert (dates.week_start, dates.week_end) == (date(YEAR, 9, 28), date(YEAR, 10, 2))
    assert dates.period_end == date(YEAR, 10, 31)  # October, the digital consumer month


def test_no_default_theme_is_sent(campaign):
    assert not hasattr(campaign, "default_theme")
    with pytest.raises(ThemeMissing):
        arming.steps(campaign, YEAR, None)


def test_plan_shows_a_long_message_in_full():
    text = "Một câu rất dài " * 20
    step = SimpleNamespace(action="broadcast", template={"messages": [{"vi": text.strip(), "en": None}]})
    assert _message(step, "vi") == text.strip() and "…" not in _message(step, "vi")
