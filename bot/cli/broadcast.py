"""`cdsbot broadcast send|status|pause|resume|cancel`: announcements from the command line.

`send` prints the preview, asks before sending (unless --yes), expands the
broadcast and shows a progress bar until it is done. Who sends: when a cdsbot
server (`cdsbot run` or `cdsbot demo`) answers on the configured web address
(its /health), that process sends and this one only enqueues and watches (two
senders on one SQLite file would take each other's rows). Otherwise this
process sends itself as a sending-only app (`create_app(receive=False)`): it
reads no member's message (they wait for the server), and it has no web chat,
whose pages talk only to the server: web rows stay queued for it. Ctrl-C stops
sending; unsent rows stay queued.
"""

import asyncio
import sys
from pathlib import Path

import aiohttp

from bot.app import App, create_app
from bot.channels import registry
from bot.cli.common import CliError, progress, with_session
from bot.clock import Clock
from bot.config import Settings
from bot.db.session import Database
from bot.delivery.states import DONE
from bot.i18n import LOCALES, Translator
from bot.services import agencies, unit_kinds
from bot.services import broadcast as bc
from bot.services.access import Role
from bot.services.broadcast_list import PENDING, recent
from bot.services.guide_library import load_guides
from bot.services.schedule_rules import Policy

PHOTO_LIMIT = bc.PHOTO_LIMIT


def _preview_lines(preview: bc.Preview, rates: dict[str, float]) -> list[str]:
    lines = [f"members: {preview.members:,}"]
    for code, n in preview.deliveries.items():
        seconds = preview.seconds[code]
        rate = rates.get(code, registry.FALLBACK_RATE)
        lines.append(f"  {code}: {n:,} messages at {rate:g}/s ≈ {_duration(seconds)}")
    lines.append(f"estimated time: {_duration(preview.total_seconds)}")
    return lines


def _duration(seconds: float) -> str:
    return bc.duration(Translator("en"), seconds)


async def _server(settings: Settings) -> str | None:
    """The address of a cdsbot server (`run` or `demo`) answering on the configured host and port, if any."""
    url = f"http://{settings.web_host}:{settings.web_port}"
    try:
        timeout = aiohttp.ClientTimeout(total=1.0)
        async with aiohttp.ClientSession(timeout=timeout) as client:
            async with client.get(f"{url}/health") as answer:
                return url if answer.status == 200 and (await answer.json()).get("ok") is True else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


async def cmd_send(settings: Settings, args) -> None:
    """Preview, confirm and queue an announcement; send it from here unless a cdsbot server does."""
    audience = bc.Audience(units=args.unit, levels=args.level, roles=args.role, langs=args.lang)
    photo = _checked_photo(args.photo) if args.photo else None
    if args.guide and args.guide not in load_guides().ids():
        raise CliError(f"no guide {args.guide!r} (the guides are the files in content/guides/)")
    if not args.yes and not sys.stdin.isatty():
        raise CliError("no terminal to confirm on: add --yes to send without asking")
    app = create_app(settings, receive=False)
    try:
        broadcast_id = await _queue(settings, app.channels, audience, photo, args)
        if broadcast_id is not None:
            await _deliver(settings, app, broadcast_id)
    finally:
        await app.db.dispose()


def _checked_photo(name: str) -> str:
    """The photo's absolute path, once it is known to be a JPEG or PNG image (what every messenger takes)."""
    path = Path(name).resolve()
    if not path.is_file():
        raise CliError(f"no photo file {name}")
    if path.stat().st_size > PHOTO_LIMIT:
        raise CliError(f"photo {name} is over {PHOTO_LIMIT // 2**20} MB (Telegram's limit)")
    if bc.photo_kind(path) is None:
        raise CliError(f"photo {name} is not a JPEG or PNG image")
    return str(path)


async def _queue(settings: Settings, channels: dict, audience: bc.Audience, photo: str | None, args) -> int | None:
    """Preview, confirm and queue; the new broadcast's id, or None when the user said no."""
    rates = registry.rates(channels, settings.telegram_paid_broadcast)

    async def show(session):
        if args.agencies:  # every agency group (Sở, unions, press, telecoms), beside any --unit
            groups = [group.code for group in await agencies.groups(session)]
            if not groups:
                raise CliError("no agencies in the tree: import an agencies roster first (content/units/agencies/)")
            audience.units = list(dict.fromkeys([*audience.units, *groups]))
        tree = await unit_kinds.levels(session, None)
        audience.levels = unit_kinds.pick_levels(audience.levels, tree)
        try:
            return await bc.preview(session, await bc.resolve(session, audience, None), rates)
        except bc.BadAudience as exc:
            raise CliError(f"{exc} (this tree's levels: {unit_kinds.describe_levels(tree, 'en')})") from None

    preview = await with_session(settings, show)
    print("\n".join(_preview_lines(preview, rates)))
    if not args.text_vi.strip():
        raise CliError("--text-vi is empty")
    if not preview.members:
        raise CliError("nobody matches this audience; nothing sent")
    if not args.yes and not _confirmed("Send this announcement? [y/N] "):
        print("not sent")
        return None

    async def create(session):
        broadcast = await bc.create(session, sender=None, audience=audience, text_vi=args.text_vi,
                                    text_en=args.text_en, photo=photo, ack=args.ack, guide_id=args.guide,
                                    now=Clock().now(), urgent=args.urgent)
        rows = await bc.expand(session, broadcast, Clock().now())
        await session.commit()
        return broadcast.id, rows

    broadcast_id, rows = await with_session(settings, create)
    print(f"broadcast #{broadcast_id}: {rows:,} messages queued")
    morning = Policy.from_settings(settings).fire_time(Clock().now())
    if not args.urgent and morning > Clock().now():
        print(f"quiet hours: the messages wait until {morning.astimezone(settings.tz):%H:%M} (--urgent sends now)")
    return broadcast_id


def _confirmed(question: str) -> bool:
    """Yes from the terminal; an end of input (Ctrl-D) is a no."""
    try:
        return input(question).strip().lower() in ("y", "yes", "c", "co", "có")
    except EOFError:
        return False


async def _deliver(settings: Settings, app: App, broadcast_id: int) -> None:
    """Watch a running server send, or send from this sending-only app; then (even after Ctrl-C) the summary."""
    server = await _server(settings)
    if not server and not app.channels:
        print("no messenger is configured here: the messages stay queued for a cdsbot server (`cdsbot run`)")
        return
    try:
        if server:
            print(f"a cdsbot server is running at {server}: it sends; watching progress "
                  "(Ctrl-C stops watching, not sending)")
            await _watch(app.db, broadcast_id, {})
        else:
            print(f"sending from this process on: {', '.join(app.channels)} (it reads no member's message)")
            await app.start()
            elsewhere = sorted(set(app.channels) - set(app.outbox.sending))
            if elsewhere:  # several processes on PostgreSQL: each channel has one sender at a time
                print(f"another cdsbot process is the sender on {', '.join(elsewhere)}: it sends those; watching")
            try:
                await _watch(app.db, broadcast_id, app.channels)
            finally:
                await app.stop()
    finally:
        print(_summary(await with_session(settings, lambda session: bc.status(session, broadcast_id))))


async def _watch(db: Database, broadcast_id: int, senders: dict) -> None:
    """A progress bar until the rows of `senders`' channels (all rows when none) are settled, paused or cancelled."""
    with progress(f"broadcast #{broadcast_id}", " msg") as bar:
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
    """One broadcast's progress in detail, or (no id) the list of broadcasts."""
    if args.id is None:
        await _list(settings, args.limit)
        return

    async def work(session):
        try:
            return await bc.status(session, args.id)
        except LookupError as exc:
            raise CliError(str(exc)) from None

    print(_summary(await with_session(settings, work)))


async def _list(settings: Settings, limit: int) -> None:
    """Newest first: id, local date, sender, state and counts, then the first line of the text."""
    lines = await with_session(settings, lambda session: recent(session, limit))
    if not lines:
        print("no broadcasts yet")
        return
    print("id\tdate\tsender\tstate\tmessages\tsent\tfailed\tunreachable\twaiting\treceived\tneed help\ttext")
    for b in lines:
        first = b.text.splitlines()[0] if b.text else ""
        print(f"{b.id}\t{b.created_at.astimezone(settings.tz):%Y-%m-%d %H:%M}\t{b.sender or '-'}\t{b.state}\t"
              f"{sum(b.by_state.values())}\t{b.count('sent')}\t{b.count('failed')}\t{b.count('unreachable')}\t"
              f"{b.count(*PENDING)}\t{b.received}\t{b.need_help}\t{first[:60]}")


def _steer(action, verb: str):
    async def command(settings: Settings, args) -> None:
        async def work(session):
            try:
                moved = await action(session, args.id)
            except LookupError as exc:
                raise CliError(str(exc)) from None
            await session.commit()
            return moved

        print(f"broadcast #{args.id}: {await with_session(settings, work):,} messages {verb}")

    return command


def add_commands(commands) -> None:
    """`cdsbot broadcast …` subcommands."""
    group = commands.add_parser("broadcast", help="announcements").add_subparsers(dest="sub", required=True)
    send = group.add_parser("send", help="preview, confirm and send an announcement")
    send.add_argument("--unit", nargs="+", default=[], metavar="CODE", help="subtrees (default: everything)")
    send.add_argument("--agencies", action="store_true",
                      help="the agencies (departments, unions, press, telecoms): every agency group, as --unit CQ")
    send.add_argument("--level", nargs="+", default=[],
                      help="only teams at these levels: a level's number (1 is the top) or unit kinds from the roster "
                           "(province, commune, ward …)")
    send.add_argument("--role", nargs="+", default=[], choices=[role.value for role in Role],
                      help="only members with these roles")
    send.add_argument("--lang", nargs="+", default=[], choices=LOCALES, help="only members reading these")
    send.add_argument("--text-vi", required=True, help="the Vietnamese text")
    send.add_argument("--text-en", help="the English text (default: English readers get the Vietnamese)")
    send.add_argument("--photo", help="an image file sent with the text")
    send.add_argument("--ack", action="store_true", help="add ✅ Received / ❓ I need help buttons")
    send.add_argument("--guide", metavar="ID", help="add a button opening this guide")
    send.add_argument("--urgent", action="store_true", help="send through the quiet hours (default: wait for morning)")
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.set_defaults(func=cmd_send)
    status = group.add_parser("status", help="one broadcast's progress and answers; without an id, the list")
    status.add_argument("id", type=int, nargs="?", help="broadcast id (default: list the latest broadcasts)")
    status.add_argument("--limit", type=int, default=50, help="how many broadcasts to list (default: 50)")
    status.set_defaults(func=cmd_status)
    for name, action, verb in (("pause", bc.pause, "paused"), ("resume", bc.resume, "queued again"),
                               ("cancel", bc.cancel, "cancelled")):
        sub = group.add_parser(name, help=f"{name} a broadcast")
        sub.add_argument("id", type=int)
        sub.set_defaults(func=_steer(action, verb))
