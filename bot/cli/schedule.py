"""`cdsbot schedule …`: scheduled and recurring broadcasts, and runs missed while cdsbot was down."""

from datetime import datetime

from bot.cli.common import CliError, with_session
from bot.clock import Clock
from bot.config import Settings
from bot.services import broadcast as bc
from bot.services import schedules
from bot.services.schedule_rules import WEEKDAYS, BadRule, Policy, Rule

EVERY = ("daily", "weekly", "monthly", "yearly")


def local_time(moment: datetime | None, policy: Policy, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC moment as the department's local time ('-' for none)."""
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
    """Schedule a broadcast once or on a rule."""
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
        schedule = await with_session(settings, work)
    except (BadRule, bc.BadAudience, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(f"schedule {schedule.id} added: {Rule.from_dict(schedule.rule, policy.tz).describe()}, "
          f"next at {local_time(policy.fire_time(schedule.next_at), policy)}")


async def cmd_schedule_list(settings: Settings, args) -> None:
    """Schedules with their next send time, or the missed runs."""
    policy = Policy.from_settings(settings)
    if args.missed:
        rows = await with_session(settings, schedules.missed)
        print("run\tschedule\tdue\tname")
        for run, schedule in rows:
            print(f"{run.id}\t{schedule.id}\t{local_time(run.fire_at, policy)}\t{schedule.name}")
        if not rows:
            print("no missed runs")
        return
    print("id\tstate\tnext\trule\tname")
    for s in await with_session(settings, schedules.listing):
        next_at = policy.fire_time(s.next_at) if s.next_at else None
        rule = Rule.from_dict(s.rule, policy.tz).describe()
        print(f"{s.id}\t{s.state}\t{local_time(next_at, policy)}\t{rule}\t{s.name}")


def _change(operation, label: str):
    async def command(settings: Settings, args) -> None:
        async def work(session):
            schedule = await operation(session, args.id)
            await session.commit()
            return schedule

        try:
            schedule = await with_session(settings, work)
        except LookupError as exc:
            raise CliError(str(exc)) from None
        print(f"schedule {schedule.id} {label} ({schedule.name})")

    return command


async def _resume(session, schedule_id: int):
    return await schedules.resume(session, schedule_id, Clock().now())


async def cmd_schedule_send_missed(settings: Settings, args) -> None:
    """Send a missed run now; the running cdsbot delivers it."""
    async def work(session):
        run = await schedules.send_missed(session, args.run, Clock().now())
        await session.commit()
        return run

    try:
        run = await with_session(settings, work)
    except (LookupError, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(f"run {run.id} sent now: {run.deliveries} deliveries queued (the running cdsbot sends them)")


def add_commands(commands) -> None:
    """Register `schedule …`."""
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
    add.add_argument("--level", action="append", help="a unit kind of the roster (commune, ward, village …)")
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

