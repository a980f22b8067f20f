"""`cdsbot deadletters list|show|retry|drop`: stored events and messages set aside after failing again and again."""

from bot.cli.common import CliError, with_session, write_csv
from bot.config import Settings
from bot.db.deadletters import DeadLetter
from bot.services import deadletters

WHEN = "%Y-%m-%d %H:%M:%S UTC"


async def cmd_list(settings: Settings, args) -> None:
    """Every dead letter, newest first, as CSV."""
    letters = await with_session(settings, deadletters.listing)
    write_csv(["id", "source", "ref", "what", "failures", "set_aside", "error"],
              ([d.id, d.source, d.ref, d.summary, d.failures, f"{d.dead_at:{WHEN}}", d.error] for d in letters))


async def _one(settings: Settings, letter_id: int, action) -> DeadLetter:
    """Run `action(session, id)` and commit; an unknown id is the user's error."""

    async def work(session):
        try:
            letter = await action(session, letter_id)
        except LookupError as exc:
            raise CliError(str(exc)) from None
        await session.commit()
        return letter

    return await with_session(settings, work)


async def cmd_show(settings: Settings, args) -> None:
    """One dead letter in full: what it is, how often and when it failed, and the last error."""
    letter = await _one(settings, args.id, deadletters.get)
    print(f"dead letter {letter.id}: {letter.summary} ({letter.source} #{letter.ref})")
    first, last = f"{letter.first_failed_at:{WHEN}}", f"{letter.last_failed_at:{WHEN}}"
    print(f"failures:     {letter.failures}, first {first}, last {last}")
    print(f"set aside at: {letter.dead_at:{WHEN}}" if letter.dead_at else "set aside:    no, still being retried")
    print(f"last error:   {letter.error}")


async def cmd_retry(settings: Settings, args) -> None:
    """Put the item back: a message is sent again at once, an event is processed at the bot's next start."""
    letter = await _one(settings, args.id, deadletters.retry)
    when = "at the bot's next start" if letter.source == deadletters.ZALO_OA else "by the running bot"
    print(f"dead letter {letter.id} ({letter.summary}) put back; it will be processed {when}")


async def cmd_drop(settings: Settings, args) -> None:
    """Forget the item for good."""
    letter = await _one(settings, args.id, deadletters.drop)
    print(f"dead letter {letter.id} ({letter.summary}) dropped; it will never be processed")


def add_commands(commands) -> None:
    """Register `deadletters …`."""
    group = commands.add_parser("deadletters", help="stored events and messages set aside after repeated failures")
    sub = group.add_subparsers(dest="sub", required=True)
    sub.add_parser("list", help="dead letters, newest first, as CSV").set_defaults(func=cmd_list)
    for name, func, text in (("show", cmd_show, "one dead letter with its last error"),
                             ("retry", cmd_retry, "put it back to be processed again"),
                             ("drop", cmd_drop, "forget it; it is never processed")):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("id", type=int, help="dead letter id (see `cdsbot deadletters list`)")
        parser.set_defaults(func=func)
