"""`cdsbot campaign arm|plan|disarm`: the campaigns under content/campaigns, as schedules."""

from bot.cli.common import CliError, with_session
from bot.cli.schedule import local_time
from bot.clock import Clock
from bot.config import Settings
from bot.services import arming, schedules
from bot.services import broadcast as bc
from bot.services.campaign_model import CampaignError, ThemeMissing
from bot.services.campaigns import load_campaign
from bot.services.schedule_rules import Policy


def _campaign(args):
    try:
        return load_campaign(args.campaign)
    except CampaignError as exc:
        raise CliError(str(exc)) from None


# 2023's national theme, quoted as an example only: every year has its own, and none is ever made up.
THEME_EXAMPLE = "Khai thác dữ liệu số để tạo ra giá trị"
STAND_IN = "[this year's theme: give it with --theme when arming]"


def _theme(args) -> dict | None:
    theme = {"vi": args.theme, "en": args.theme_en}
    return {k: v for k, v in theme.items() if v} or None


def _theme_refusal(exc: ThemeMissing) -> CliError:
    """Arming without the year's theme is refused, naming the option that gives it."""
    return CliError(f"{exc.campaign_id} quotes this year's national theme, and no theme was given: add "
                    f"--theme \"<the theme in Vietnamese>\" (and --theme-en \"<in English>\"), "
                    f"e.g. --theme \"{THEME_EXAMPLE}\" (2023's). Nothing was armed.")


async def cmd_campaign_arm(settings: Settings, args) -> None:
    """Schedule a campaign's messages; arming twice changes nothing."""
    campaign, policy = _campaign(args), Policy.from_settings(settings)

    async def work(session):
        outcome = await arming.arm(session, campaign, args.year, _theme(args), Clock().now())
        await session.commit()
        return outcome

    try:
        outcome = await with_session(settings, work)
    except ThemeMissing as exc:
        raise _theme_refusal(exc) from None
    except (ValueError, bc.BadAudience) as exc:
        raise CliError(str(exc)) from None
    for step, result in outcome:
        print(f"{local_time(step.when, policy, '%d/%m/%Y %H:%M') if step.when else step.rule.describe()}\t"
              f"{step.key}\t{result}")
    armed = sum(1 for _, result in outcome if result == "armed")
    print(f"{armed} schedule(s) armed, {len(outcome) - armed} unchanged")


async def cmd_campaign_plan(settings: Settings, args) -> None:
    """Print a campaign's timeline, audience sizes and every message in full, without arming."""
    campaign, policy = _campaign(args), Policy.from_settings(settings)

    async def work(session):  # the year's calendar set in the console applies, as when arming
        plan = await arming.planned(session, campaign, args.year, _theme(args), stand_in=STAND_IN)
        return plan, [await arming.audience_size(session, step, Clock().now()) for step in plan]

    try:
        plan, sizes = await with_session(settings, work)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print("date\ttime\tstep\tdeliveries\tmessage (vi)\tmessage (en)")
    for step, size in zip(plan, sizes, strict=True):
        due = step.when or step.rule.next_after(Clock().now())  # a recurring step: its next time
        when = policy.fire_time(due) if due else None
        print(f"{local_time(when, policy, '%d/%m/%Y')}\t{local_time(when, policy, '%H:%M')}\t"
              f"{step.key.split(':')[-1]}\t{size}\t{_message(step, 'vi', due)}\t{_message(step, 'en', due)}")


def _message(step: arming.Step, lang: str, due=None) -> str:
    """The step's whole message in `lang`, on one line (line breaks shown as ⏎) so the table stays a table;
    a reporting period's reminder names the period it chases when next due."""
    if step.action == "reminder":
        spec = schedules.reminder_spec(step.template, due) if due else step.template
        text = (spec.get("text") or {}).get(lang)
        text = text or f"[reminder to {step.template['target']} of teams not reported]"
    else:
        text = step.template["messages"][0].get(lang) or ""
    return " ⏎ ".join(line.strip() for line in text.splitlines() if line.strip())


async def cmd_campaign_disarm(settings: Settings, args) -> None:
    """Remove a campaign's schedules not yet sent."""
    async def work(session):
        removed = await arming.disarm(session, args.campaign, args.year)
        await session.commit()
        return removed

    print(f"{await with_session(settings, work)} schedule(s) removed (steps already sent stay)")


def add_commands(commands) -> None:
    """Register `campaign …`."""
    campaign = commands.add_parser("campaign", help="campaigns from content/campaigns").add_subparsers(
        dest="sub", required=True)
    for name, func, text in (("arm", cmd_campaign_arm, "schedule a campaign's messages (twice changes nothing)"),
                             ("plan", cmd_campaign_plan, "print the timeline without arming"),
                             ("disarm", cmd_campaign_disarm, "remove a campaign's schedules not yet sent")):
        sub = campaign.add_parser(name, help=text)
        sub.add_argument("campaign", help="campaign id, e.g. national-dx-day")
        sub.add_argument("--year", type=int, help="for yearly campaigns")
        if name != "disarm":
            sub.add_argument("--theme", help="this year's theme (Vietnamese)")
            sub.add_argument("--theme-en", help="this year's theme in English")
        sub.set_defaults(func=func)
