"""`cdsbot broadcast send|status|pause|resume|cancel`: announcements from the command line.

`send` prints the preview, asks before sending (unless --yes), expands the
broadcast and shows a progress bar until it is done. Who sends: when a
`cdsbot run` answers on the configured web address (its /health), that
process sends and this one only enqueues and watches (two senders on one
SQLite file would take each other's rows). Otherwise this process runs an
outbox with the configured channels itself — except the web chat, whose
messages live in the serving process's memory: web rows stay queued for
`cdsbot run`. Ctrl-C stops sending; unsent rows stay queued.
"""

import asyncio
import sys
from pathlib import Path

import aiohttp
from tqdm import tqdm

import bot.cli as cli  # bot.cli imports this module at its top: names are looked up at call time
from bot.app import configured_channels
from bot.clock import Clock
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.models import ROLES, UNIT_KINDS
from bot.db.session import Database
from bot.i18n import LOCALES
from bot.outbox import Outbox
from bot.services import broadcast as bc

IN_MEMORY_CHANNELS = ("web",)  # delivered by the serving process only
DONE = ("sent", "failed", "unreachable", "cancelled")


def _preview_lines(preview: bc.Preview, rates: dict[str, float]) -> list[str]:
    lines = [f"members: {preview.members:,}"]
    for code, n in preview.deliveries.items():
        seconds = preview.seconds[code]
        lines.append(f"  {code}: {n:,} messages at {rates.get(code, bc.FALLBACK_RATE):g}/s ≈ {_duration(seconds)}")
    lines.append(f"estimated time: {_duration(preview.total_seconds)}")
    return lines


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


async def _serving(settings: Settings) -> bool:
    """Is a `cdsbot run` answering on the configured address?"""
    try:
        timeout = aiohttp.ClientTimeout(total=1.0)
        async with aiohttp.ClientSession(timeout=timeout) as client:
            async with client.get(f"http://{settings.web_host}:{settings.web_port}/health") as answer:
                return answer.status == 200 and (await answer.json()).get("ok") is True
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return False


async def cmd_send(settings: Settings, args) -> None:
    audience = bc.Audience(units=args.unit, levels=args.level, roles=args.role, langs=args.lang)
    photo = str(Path(args.photo).resolve()) if args.photo else None
    if photo and not Path(photo).is_file():
        raise cli.CliError(f"no photo file {args.photo}")
    db = Database(settings.database_url)
    try:
        await _send(settings, db, configured_channels(settings, db, Clock()), audience, photo, args)
    finally:
        await db.dispose()


async def _send(settings: Settings, db: Database, channels: dict, audience: bc.Audience, photo: str | None,
                args) -> None:
    """Preview, confirm, queue, then send from here unless a serving process does."""
    rates = bc.rates_for(channels, settings.telegram_paid_broadcast)

    async def show(session):
        try:
            return await bc.preview(session, await bc.resolve(session, audience, None), rates)
        except bc.BadAudience as exc:
            raise cli.CliError(str(exc)) from None

    preview = await cli._with_session(settings, show)
    print("\n".join(_preview_lines(preview, rates)))
    if not args.text_vi.strip():
        raise cli.CliError("--text-vi is empty")
    if not preview.members:
        raise cli.CliError("nobody matches this audience; nothing sent")
    if not args.yes and input("Send this announcement? [y/N] ").strip().lower() not in ("y", "yes", "c", "co", "có"):
        print("not sent")
        return

    async def create(session):
        broadcast = await bc.create(session, sender=None, audience=audience, text_vi=args.text_vi,
                                    text_en=args.text_en, photo=photo, ack=args.ack, guide_id=args.guide,
                                    now=Clock().now())
        rows = await bc.expand(session, broadcast, Clock().now())
        await session.commit()
        return broadcast.id, rows

    broadcast_id, rows = await cli._with_session(settings, create)
    print(f"broadcast #{broadcast_id}: {rows:,} messages queued")
    if await _serving(settings):
        print("a `cdsbot run` is serving: it sends; watching progress (Ctrl-C stops watching, not sending)")
        senders: dict = {}
    else:
        senders = {code: ch for code, ch in channels.items() if code not in IN_MEMORY_CHANNELS}
        if not senders:
            print("no messenger is configured here: the messages stay queued for `cdsbot run`")
            return
        print(f"sending from this process on: {', '.join(senders)}")
    await _send_and_watch(db, broadcast_id, senders)


async def _send_and_watch(db: Database, broadcast_id: int, senders: dict) -> None:
    """Run an outbox for `senders` (if any) and show progress until their rows are done."""
    outbox = Outbox(db, senders)
    try:
        await upgrade(db.engine)
        await outbox.start()
        for channel in senders.values():
            await channel.start(_ignore)
        await _watch(db, broadcast_id, senders)
    finally:
        for channel in senders.values():
            await channel.stop()
        await outbox.stop()
        async with db.session() as session:
            status = await bc.status(session, broadcast_id)
        print(_summary(status))


async def _ignore(_inbound) -> None:
    """This process only sends; members' messages are answered by `cdsbot run`."""


async def _watch(db: Database, broadcast_id: int, senders: dict) -> None:
    with tqdm(desc=f"broadcast #{broadcast_id}", unit=" msg", file=sys.stderr) as bar:
        while True:
            async with db.session() as session:
                status = await bc.status(session, broadcast_id)
            watched = {code: states for code, states in status.by_channel.items() if not senders or code in senders}
            total = sum(sum(states.values()) for states in watched.values())
            done = sum(states.get(state, 0) for states in watched.values() for state in DONE)
            bar.total = total
            bar.update(done - bar.n)
            if done >= total or status.broadcast.status in ("paused", "cancelled"):
                return
            await asyncio.sleep(0.5)


def _summary(status: bc.Status) -> str:
    state = "done" if status.finished and status.broadcast.status == "sending" else status.broadcast.status
    lines = [f"broadcast #{status.broadcast.id} ({state})"]
    for code, states in sorted(status.by_channel.items()):
        lines.append(f"  {code}: " + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items())))
    lines.append(f"acknowledged: {status.acks['ok']:,} received, {status.acks['help']:,} need help")
    if status.unreachable:
        lines.append(f"unreachable members: {len(status.unreachable):,}")
        unit = None
        for code, name, member, channel in status.unreachable:
            if code != unit:
                lines.append(f"  {name} [{code}]")
                unit = code
            lines.append(f"    {member} ({channel})")
    return "\n".join(lines)


async def cmd_status(settings: Settings, args) -> None:
    async def work(session):
        try:
            return await bc.status(session, args.id)
        except LookupError as exc:
            raise cli.CliError(str(exc)) from None

    print(_summary(await cli._with_session(settings, work)))


def _steer(action, verb: str):
    async def command(settings: Settings, args) -> None:
        async def work(session):
            try:
                moved = await action(session, args.id)
            except LookupError as exc:
                raise cli.CliError(str(exc)) from None
            await session.commit()
            return moved

        print(f"broadcast #{args.id}: {await cli._with_session(settings, work):,} messages {verb}")

    return command


def add_commands(commands) -> None:
    """`cdsbot broadcast …` subcommands."""
    group = commands.add_parser("broadcast", help="announcements").add_subparsers(dest="sub", required=True)
    send = group.add_parser("send", help="preview, confirm and send an announcement")
    send.add_argument("--unit", nargs="+", default=[], metavar="CODE", help="subtrees (default: everything)")
    send.add_argument("--level", nargs="+", default=[], choices=UNIT_KINDS, help="only teams of these kinds")
    send.add_argument("--role", nargs="+", default=[], choices=ROLES, help="only members with these roles")
    send.add_argument("--lang", nargs="+", default=[], choices=LOCALES, help="only members reading these")
    send.add_argument("--text-vi", required=True, help="the Vietnamese text")
    send.add_argument("--text-en", help="the English text (default: English readers get the Vietnamese)")
    send.add_argument("--photo", help="an image file sent with the text")
    send.add_argument("--ack", action="store_true", help="add ✅ Received / ❓ I need help buttons")
    send.add_argument("--guide", metavar="ID", help="add a button opening this guide")
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.set_defaults(func=cmd_send)
    status = group.add_parser("status", help="progress, acknowledgements, unreachable members")
    status.add_argument("id", type=int)
    status.set_defaults(func=cmd_status)
    for name, action, verb in (("pause", bc.pause, "paused"), ("resume", bc.resume, "queued again"),
                               ("cancel", bc.cancel, "cancelled")):
        sub = group.add_parser(name, help=f"{name} a broadcast")
        sub.add_argument("id", type=int)
        sub.set_defaults(func=_steer(action, verb))
