"""The National Digital Transformation Day campaign renders Quảng Ngãi's calendar right for any year."""

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from bot.clock import LOCAL_TZ
from bot.services.campaign_model import CampaignError, ThemeMissing
from bot.services.campaigns import (
    campaign_dates,
    check_campaigns,
    load_campaign,
    render,
)

FIXTURES = Path(__file__).parent / "testdata" / "content"
YEARS = [2026, 2027, 2028, 2029]  # 2028 is a leap year
THEME = {"vi": "Khai thác dữ liệu số để tạo ra giá trị", "en": "Harnessing digital data to create value"}  # 2023


@pytest.fixture(scope="module")
def campaign():
    return load_campaign("national-dx-day")


def by_id(events):
    return {e.event_id: e for e in events}


def test_shipped_campaigns_have_no_problems():
    assert check_campaigns() == []


@pytest.mark.parametrize("year", YEARS)
def test_key_dates(campaign, year):
    dates = campaign_dates(campaign, year)
    assert dates.anchor_date == date(year, 10, 10)
    assert (dates.period_start, dates.period_end) == (date(year, 9, 28), date(year, 10, 31))
    assert (dates.week_start, dates.week_end) == (date(year, 9, 28), date(year, 10, 2))
    assert dates.deadline == date(year, 10, 12) < dates.department_deadline == date(year, 10, 15)
    assert dates.reminder_dates == (date(year, 10, 9), date(year, 10, 11))
    assert dates.escalations == ((date(year, 10, 13), "leader"), (date(year, 10, 14), "officers_above"))


@pytest.mark.parametrize("year", YEARS)
def test_render_dates_and_times(campaign, year):
    events = render(campaign, year, THEME)
    e = by_id(events)
    for event in events:
        assert event.when.tzinfo is LOCAL_TZ
        assert event.when.utcoffset() == timedelta(hours=7)
    day = e["dx-day"].when
    assert day.date() == date(year, 10, 10) and time(6) <= day.time() <= time(9)
    assert e["leaders-plan"].when.date() == date(year, 9, 21)
    assert e["dx-week-start"].when.date() == date(year, 9, 28)
    assert e["dx-week-tip-safety"].when.date() == date(year, 10, 2)
    assert e["consumer-month-start"].when.date() == date(year, 10, 1)
    assert e["launch"].when.date() < date(year, 10, 10)
    assert e["day-before"].when.date() == date(year, 10, 9)
    assert e["deadline-day"].when.date() == date(year, 10, 12)
    assert e["department-deadline"].when.date() == date(year, 10, 14)
    assert e["consumer-month-end"].when.date() == date(year, 10, 31)
    assert e["report-reminder-d3"].when.date() == date(year, 10, 9)
    assert e["report-reminder-d1"].when.date() == date(year, 10, 11)
    assert e["report-reminder-d1"].kind == "reminder" and e["report-reminder-d1"].guide == "bot-gui-bao-cao"
    assert [ev.when for ev in events] == sorted(ev.when for ev in events)


@pytest.mark.parametrize("year", YEARS)
def test_every_text_renders_in_both_languages(campaign, year):
    for event in render(campaign, year, THEME):
        assert set(event.text) == {"vi", "en"}
        for text in event.text.values():
            assert text and "{" not in text and "}" not in text, (event.event_id, text)
    e = by_id(render(campaign, year, THEME))
    assert f"28/09/{year}" in e["dx-week-start"].text["vi"] and f"02/10/{year}" in e["dx-week-start"].text["vi"]
    assert f"12/10/{year}" in e["deadline-day"].text["en"] and f"15/10/{year}" in e["deadline-day"].text["en"]


def test_the_theme_is_the_years_and_never_made_up(campaign):
    with pytest.raises(ThemeMissing):
        render(campaign, 2027)
    with pytest.raises(ThemeMissing):
        render(campaign, 2027, theme={"vi": "  ", "en": "Only English"})
    custom = by_id(render(campaign, 2027, theme={"vi": "Chủ đề riêng {x}"}))["dx-day"].text
    assert "Chủ đề riêng {x}" in custom["vi"]  # a theme is inserted as is, never re-formatted
    assert "Chủ đề riêng {x}" in custom["en"]  # no English theme: the Vietnamese one, not an invented one
    both = by_id(render(campaign, 2027, THEME))["dx-day"].text
    assert THEME["vi"] in both["vi"] and THEME["en"] in both["en"]
    draft = by_id(render(campaign, 2027, stand_in="[theme?]"))["dx-day"].text
    assert "[theme?]" in draft["vi"] and "[theme?]" in draft["en"]


def test_a_campaign_that_never_quotes_the_theme_needs_none():
    campaign = load_campaign("demo", root=FIXTURES / "valid" / "campaigns")
    assert not campaign.uses_theme and render(campaign, 2027)


def test_events_open_known_guides(campaign):
    from bot.services.guide_library import load_guides

    library = load_guides()
    for event in render(campaign, 2026, THEME):
        if event.guide:
            assert library.get(event.guide, "vi") is not None


def test_leap_day_falls_back_in_common_years(tmp_path):
    text = (FIXTURES / "valid" / "campaigns" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("anchor: {month: 10, day: 10}", "anchor: {month: 2, day: 29}")
    text = text.replace(
        "period: {start: {month: 9, day: 15}, end: {month: 10, day: 15}}",
        "period: {start: {month: 2, day: 1}, end: {month: 3, day: 15}}",
    )
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    campaign = load_campaign("demo", root=tmp_path)
    assert campaign_dates(campaign, 2028).anchor_date == date(2028, 2, 29)
    assert campaign_dates(campaign, 2027).anchor_date == date(2027, 2, 28)
    assert campaign_dates(campaign, 2027).deadline == date(2027, 3, 10)


def test_period_may_cross_new_year(tmp_path):
    text = (FIXTURES / "valid" / "campaigns" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("anchor: {month: 10, day: 10}", "anchor: {month: 1, day: 5}")
    text = text.replace("{start: {month: 9, day: 15}", "{start: {month: 12, day: 20}")
    text = text.replace("end: {month: 10, day: 15}}", "end: {month: 1, day: 20}}")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    dates = campaign_dates(load_campaign("demo", root=tmp_path), 2027)
    assert dates.period_start == date(2026, 12, 20) and dates.period_end == date(2027, 1, 20)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('time: "08:00"', 'time: "25:00"', "not a time of day"),
        ("levels: [village]", "levels: [hamlets]", "unknown level 'hamlets'"),  # kinds are kinds.yaml's
        ("levels: [village]", "levels: village", "levels must be a non-empty list or 'all'"),
        ("roles: [member]", "roles: [boss]", "unknown role 'boss'"),
        ("guide: alpha", "guide: nowhere", "unknown guide 'nowhere'"),
        ('en: "Today is {anchor_date}"', 'xx: "?"', "missing the 'en' text"),
        ("    offset_days: 0\n", "", "neither 'at' nor 'offset_days'"),
        ("report_deadline: {offset_days: 10}", "report_deadline: {offset_days: 10}\ndefaults: {theme: {vi: a, en: b}}",
         "no plan uses a made-up theme"),
        ("report_deadline: {offset_days: 10}", "report_deadline: {offset_days: 10}\n"
         "department_deadline: {month: 10, day: 15}", "must come before the department's deadline (15/10)"),
        ("reminders: {before_deadline_days: [1],", "department_deadline: {month: 10, day: 25}\n"
         "reminders: {escalate_after_days: [1, 5], escalate_to: [leader, officers_above], before_deadline_days: [1],",
         "escalations on or after the department's deadline (25/10): 25/10 (officers_above)"),
        ("reminders: {before_deadline_days: [1],",  # targets are levels above a team, never named kinds
         "reminders: {escalate_after_days: [1], escalate_to: [commune_officer], before_deadline_days: [1],",
         "unknown target 'commune_officer' (expected one of: leader, officers_above"),
        ("report_deadline: {offset_days: 10}", "report_deadline: {offset_days: 10}\n"
         "dx_week: {start: {month: 10, day: 2}, end: {month: 9, day: 28}}", "dx_week ends (28/09) before it starts"),
    ],
)
def test_check_campaigns_catches(tmp_path, old, new, words):
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "guides").mkdir()
    for name in ("alpha.vi.md", "alpha.en.md"):
        (tmp_path / "guides" / name).write_bytes((FIXTURES / "valid" / "guides" / name).read_bytes())
    text = (FIXTURES / "valid" / "campaigns" / "demo.yaml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "campaigns" / "demo.yaml").write_text(text.replace(old, new), encoding="utf-8")
    problems = check_campaigns(tmp_path / "campaigns")
    assert any(p.path.name == "demo.yaml" and words in p.message for p in problems), [str(p) for p in problems]
    if "unknown guide" not in words:  # guide ids are only known to the content check
        with pytest.raises(CampaignError):
            load_campaign("demo", root=tmp_path / "campaigns")


def test_duplicate_event_id(tmp_path):
    text = (FIXTURES / "valid" / "campaigns" / "demo.yaml").read_text(encoding="utf-8")
    event = text[text.index("  - id: the-day") :]
    (tmp_path / "demo.yaml").write_text(text + event, encoding="utf-8")
    problems = check_campaigns(tmp_path, guide_ids={"alpha"})
    assert any("duplicate event id 'the-day'" in p.message for p in problems)


def test_missing_campaign_raises(tmp_path):
    with pytest.raises(CampaignError):
        load_campaign("nope", root=tmp_path)
