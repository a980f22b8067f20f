"""Plans a report can count towards: the dated campaigns (e.g. DX Day 2027) running on a given day.

A plan is named by its key `<campaign id>:<year>`, the same words as the period key
`campaign:<id>:<year>` (bot/services/periods.py), and stored on the report (`Report.plan`).
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import calendar_overrides
from bot.services.campaign_model import Campaign, CampaignError
from bot.services.campaigns import campaign_dates, load_campaign
from bot.services.guides import CONTENT_ROOT

CAMPAIGNS = CONTENT_ROOT / "campaigns"


@dataclass(frozen=True)
class Plan:
    """One year of a dated campaign: its key, its name in each language and its key day."""

    key: str
    campaign: Campaign
    year: int

    def name_in(self, lang: str) -> str:
        """"Ngày Chuyển đổi số quốc gia 10/10/2027": the name and the key day, as plans are quoted."""
        day = campaign_dates(self.campaign, self.year).anchor_date.strftime("%d/%m/%Y")
        return f"{self.campaign.name.get(lang) or self.campaign.name['vi']} {day}"


def _campaigns(root: Path) -> list[Campaign]:
    """The dated campaigns in the folder (recurring ones, like the monthly report, are no plan)."""
    found = []
    for path in sorted(Path(root).glob("*.yaml")):
        try:
            campaign = load_campaign(path.stem, root)
        except CampaignError:
            continue
        if isinstance(campaign, Campaign):
            found.append(campaign)
    return found


async def running(session: AsyncSession, day: date, root: Path = CAMPAIGNS) -> list[Plan]:
    """The plans whose period holds `day` (with the dates the department stored for that year, if any), so a
    report dated that day can be tied to one in a tap."""
    plans = []
    for campaign in _campaigns(root):
        for year in (day.year, day.year + 1):
            cal = await calendar_overrides.year_calendar(session, campaign, year)
            if cal.period_start <= day <= cal.period_end:
                plans.append(Plan(f"{campaign.id}:{year}", campaign, year))
    return plans


def by_key(key: str | None, root: Path = CAMPAIGNS) -> Plan | None:
    """The plan a key names (`national-dx-day:2027`), or None when it names no dated campaign."""
    campaign_id, _, year = (key or "").rpartition(":")
    if not campaign_id or not year.isdigit():
        return None
    try:
        campaign = load_campaign(campaign_id, root)
    except CampaignError:
        return None
    return Plan(key, campaign, int(year)) if isinstance(campaign, Campaign) else None
