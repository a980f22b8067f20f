"""`cdsbot schedule …` and `cdsbot campaign …`: scheduled broadcasts, missed runs, campaign arming."""

from datetime import datetime

from bot.clock import Clock
from bot.config import Settings
from bot.services import arming, schedules
from bot.services import broadcast as bc
from bot.services.campaign_model import CampaignError
from bot.services.campaigns import load_campaign
from bot.services.schedule_rules import WEEKDAYS, BadRule, Policy, Rule

EVERY = ("daily", "weekly", "monthly", "yearly")


def _local(moment: datetime | None, policy: Policy, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(policy.tz).strftime(fmt) if moment else "-"


def _csv(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def rule_from_args(args, policy: Policy) -> Rule:
    """--at "2027-10-10 08:00", or --every with --time and --days / --day / --date."""
    if bool(args.at) == bool(args.every):
        raise BadRule("give either --at or --every")
    if args.at:
        try:
            return Rule("once", at=datetime.fromisoformat(args.at).replace(tzinfo=policy.tz))
        except ValueError:
            raise BadRule(f"--at {args.at!r} is not a time like '2027-10-10 08:00'") from None
    raw = {"every": args.every, "time": args.time or "", "days": _csv(args.days), "day": args.day, "date": args.date}
    return Rule.from_dict(raw, policy.tz)


async def cmd_schedule_add(settings: Settings, args) -> None:
    from bot.cli import CliError, _with_session

    policy = Policy.from_settings(settings)
    audience = bc.Audience(units=_csv(args.unit), levels=_csv(args.level), roles=_csv(args.role))

    async def work(session):
        rule = rule_from_args(args, policy)
        template = schedules.broadcast_template(audience, args.text_vi, args.text_en, guide=args.guide, ack=args.ack)
        name = args.name or args.text_vi.splitlines()[0][:60]
        schedule = await schedules.add(session, name=name, rule=rule, template=template, now=Clock().now())
        await session.commit()
        return schedule

    try:
        schedule = await _with_session(settings, work)
    except (BadRule, bc.BadAudience, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(f"schedule {schedule.id} added: {Rule.from_dict(schedule.rule, policy.tz).describe()}, "
          f"next at {_local(policy.fire_time(schedule.next_at), policy)}")


async def cmd_schedule_list(settings: Settings, args) -> None:
    from bot.cli import _with_session

    policy = Policy.from_settings(settings)
    if args.missed:
        rows = await _with_session(settings, schedules.missed)
        print("run\tschedule\tdue\tname")
        for run, schedule in rows:
            print(f"{run.id}\t{schedule.id}\t{_local(run.fire_at, policy)}\t{schedule.name}")
        if not rows:
            print("no missed runs")
        return
    print("id\tstate\tnext\trule\tname")
    for s in await _with_session(settings, schedules.listing):
        next_at = policy.fire_time(s.next_at) if s.next_at else None
        print(f"{s.id}\t{s.state}\t{_local(next_at, policy)}\t{Rule.from_dict(s.rule, policy.tz).describe()}\t{s.name}")


def _change(operation, label: str):
    async def command(settings: Settings, args) -> None:
        from bot.cli import CliError, _with_session

        async def work(session):
            schedule = await operation(session, args.id)
            await session.commit()
            return schedule

        try:
            schedule = await _with_session(settings, work)
        except LookupError as exc:
            raise CliError(str(exc)) from None
        print(f"schedule {schedule.id} {label} ({schedule.name})")

    return command


async def _resume(session, schedule_id: int):
    return await schedules.resume(session, schedule_id, Clock().now())


async def cmd_schedule_send_missed(settings: Settings, args) -> None:
    from bot.cli import CliError, _with_session

    async def work(session):
        run = await schedules.send_missed(session, args.run, Clock().now())
        await session.commit()
        return run

    try:
        run = await _with_session(settings, work)
    except (LookupError, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(f"run {run.id} sent now: {run.deliveries} deliveries queued (the running cdsbot sends them)")


def _campaign(args):
    from bot.cli import CliError

    try:
        return load_campaign(args.campaign)
    except CampaignError as exc:
        raise CliError(str(exc)) from None


def _theme(args) -> dict | None:
    theme = {"vi": args.theme, "en": args.theme_en}
    return {k: v for k, v in theme.items() if v} or None


async def cmd_campaign_arm(settings: Settings, args) -> None:
    from bot.cli import CliError, _with_session

    campaign, policy = _campaign(args), Policy.from_settings(settings)

    async def work(session):
        outcome = await arming.arm(session, campaign, args.year, _theme(args), Clock().now())
        await session.commit()
        return outcome

    try:
        outcome = await _with_session(settings, work)
    except (ValueError, bc.BadAudience) as exc:
        raise CliError(str(exc)) from None
    for step, result in outcome:
        print(f"{_local(step.when, policy, '%d/%m/%Y %H:%M') if step.when else step.rule.describe()}\t"
              f"{step.key}\t{result}")
    armed = sum(1 for _, result in outcome if result == "armed")
    print(f"{armed} schedule(s) armed, {len(outcome) - armed} unchanged")


async def cmd_campaign_plan(settings: Settings, args) -> None:
    from bot.cli import CliError, _with_session

    campaign, policy = _campaign(args), Policy.from_settings(settings)
    try:
        plan = arming.steps(campaign, args.year, _theme(args))
    except ValueError as exc:
        raise CliError(str(exc)) from None

    async def work(session):
        return [await arming.audience_size(session, step, Clock().now()) for step in plan]

    sizes = await _with_session(settings, work)
    print("date\ttime\tstep\tdeliveries\tmessage")
    for step, size in zip(plan, sizes, strict=True):
        when = policy.fire_time(step.when) if step.when else None
        print(f"{_local(when, policy, '%d/%m/%Y')}\t{_local(when, policy, '%H:%M')}\t{step.key.split(':')[-1]}\t"
              f"{size}\t{_first_line(step)}")


def _first_line(step: arming.Step) -> str:
    if step.action == "reminder":
        text = (step.template.get("text") or {}).get("vi")
        line = text.splitlines()[0] if text else f"[reminder to {step.template['target']} of teams not reported]"
    else:
        line = step.template["messages"][0]["vi"].splitlines()[0]
    return line if len(line) <= 70 else line[:69] + "…"


async def cmd_campaign_disarm(settings: Settings, args) -> None:
    from bot.cli import _with_session

    async def work(session):
        removed = await arming.disarm(session, args.campaign, args.year)
        await session.commit()
        return removed

    print(f"{await _with_session(settings, work)} schedule(s) removed (steps already sent stay)")


def add_commands(commands) -> None:
    schedule = commands.add_parser("schedule", help="scheduled and recurring broadcasts").add_subparsers(
        dest="sub", required=True)
    listing = schedule.add_parser("list", help="schedules with their next send time (local)")
    listing.add_argument("--missed", action="store_true", help="runs missed while cdsbot was down")
    listing.set_defaults(func=cmd_schedule_list)
    add = schedule.add_parser("add", help="schedule a broadcast once (--at) or on a rule (--every)")
    add.add_argument("--at", help='local time, e.g. "2027-10-10 08:00"')
    add.add_argument("--every", choices=EVERY)
    add.add_argument("--time", help='local time of day for --every, e.g. "08:00"')
    add.add_argument("--days", action="append", help=f"weekly: days from {','.join(WEEKDAYS)}")
    add.add_argument("--day", type=int, help="monthly: day of the month")
    add.add_argument("--date", help="yearly: day-month, e.g. 10-10")
    add.add_argument("--name")
    add.add_argument("--unit", action="append", help="unit code(s) whose subtree gets it; default: all")
    add.add_argument("--level", action="append", help="village, commune, district, province")
    add.add_argument("--role", action="append", help="member, leader, officer, admin")
    add.add_argument("--text-vi", required=True)
    add.add_argument("--text-en")
    add.add_argument("--guide", help="guide id for an 'open the guide' button")
    add.add_argument("--ack", action="store_true", help="ask members to confirm they received it")
    add.set_defaults(func=cmd_schedule_add)
    for name, operation, label in (("pause", schedules.pause, "paused"), ("resume", _resume, "resumed"),
                                   ("delete", schedules.remove, "deleted")):
        sub = schedule.add_parser(name, help=f"{name} a schedule")
        sub.add_argument("id", type=int)
        sub.set_defaults(func=_change(operation, label))
    missed = schedule.add_parser("send-missed", help="send a missed run now (see list --missed)")
    missed.add_argument("run", type=int)
    missed.set_defaults(func=cmd_schedule_send_missed)

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
