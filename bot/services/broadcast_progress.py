"""A broadcast's progress for the console: counts per channel and state, answers, and who may see or steer it.

A broadcast concerns the units its audience names (else the sender's subtree, else the whole tree); a person
sees it when they may view every one of them, and steers it when they may broadcast to every one of them.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.broadcasts import Broadcast
from bot.db.models import OrgUnit
from bot.delivery.states import State
from bot.services import access
from bot.services import broadcast as bc
from bot.services.access import Action, Actor
from bot.services.broadcast_list import BroadcastLine, recent

# The columns of the progress table: "queued" also counts rows being sent right now.
COLUMNS = (State.SENT, State.QUEUED, State.HELD, State.REROUTED, State.FAILED, State.UNREACHABLE, State.PAUSED,
           State.CANCELLED)
STILL_TO_SEND = (State.QUEUED, State.SENDING, State.PAUSED)  # what keeps a broadcast below 100 %
LIST_LIMIT = 500


def _codes(audience: dict) -> list[str]:
    return audience.get("units") or ([audience["scope"]] if audience.get("scope") else [])


async def _paths_by_code(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    return dict((await session.execute(select(OrgUnit.code, OrgUnit.path).where(OrgUnit.code.in_(codes)))).all())


def _paths(audience: dict, paths_by_code: dict[str, str]) -> list[str]:
    """The paths of the units a broadcast's audience concerns (the whole tree when it names none)."""
    return [paths_by_code[code] for code in _codes(audience) if code in paths_by_code] or [access.WHOLE_TREE]


async def unit_paths(session: AsyncSession, audience: dict) -> list[str]:
    """The paths of the units a broadcast's audience concerns (the whole tree when it names none)."""
    return _paths(audience, await _paths_by_code(session, set(_codes(audience))))


async def allowed(session: AsyncSession, actor: Actor, broadcast: Broadcast, action: Action) -> bool:
    """Whether the actor may do `action` (VIEW or BROADCAST) on every unit the broadcast concerns."""
    return all(access.may(actor, action, path) for path in await unit_paths(session, broadcast.audience))


async def require(session: AsyncSession, actor: Actor, broadcast_id: int, action: Action) -> Broadcast:
    """The broadcast, when the actor may do `action` on it; LookupError or access.Denied otherwise."""
    broadcast = await bc.get(session, broadcast_id)
    if not await allowed(session, actor, broadcast, action):
        raise access.Denied(f"{action.value} broadcast {broadcast_id}")
    return broadcast


@dataclass(frozen=True)
class Progress:
    """What the progress page shows and the event stream pushes."""

    broadcast_id: int
    state: str  # draft, sending, paused, cancelled or done
    by_channel: dict[str, dict[str, int]]  # channel → column → count
    received: int
    need_help: int

    @property
    def total(self) -> int:
        """Every message of the broadcast, whatever its state."""
        return sum(sum(row.values()) for row in self.by_channel.values())

    @property
    def percent(self) -> int:
        """Share of the messages settled (sent, given up, held for the member or cancelled), rounded down."""
        waiting = sum(row.get(State.QUEUED, 0) + row.get(State.PAUSED, 0) for row in self.by_channel.values())
        return 100 if not self.total else (self.total - waiting) * 100 // self.total

    def column(self, state: str) -> int:
        """One column's count over all channels (the table's last row)."""
        return sum(row.get(state, 0) for row in self.by_channel.values())

    def to_dict(self) -> dict:
        """For the event stream (the page's script fills the table from it)."""
        return {"id": self.broadcast_id, "state": self.state, "percent": self.percent, "total": self.total,
                "channels": self.by_channel, "totals": {str(s): self.column(s) for s in COLUMNS},
                "received": self.received, "need_help": self.need_help}


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    """The broadcast's rows by channel and column, and its answers."""
    status = await bc.status(session, broadcast_id)
    by_channel: dict[str, dict[str, int]] = {}
    for code, states in sorted(status.by_channel.items()):
        row = {str(column): states.get(column, 0) for column in COLUMNS}
        row[State.QUEUED] += states.get(State.SENDING, 0)
        by_channel[code] = row
    waiting = any(status.by_channel[c].get(s, 0) for c in status.by_channel for s in STILL_TO_SEND)
    state = "done" if status.broadcast.status == "sending" and not waiting else status.broadcast.status
    return Progress(broadcast_id, state, by_channel, status.acks["ok"], status.acks["help"])


@dataclass(frozen=True)
class ListFilter:
    """The list's filters: one state, part of the sender's name, one local day of creation."""

    state: str = ""
    sender: str = ""
    day: date | None = None

    @classmethod
    def from_query(cls, query) -> "ListFilter":
        """Read the filters from a query string, ignoring values that do not parse."""
        try:
            day = date.fromisoformat(query.get("day", "")) if query.get("day") else None
        except ValueError:
            day = None
        return cls(str(query.get("state", ""))[:16], str(query.get("sender", "")).strip()[:80], day)

    def keeps(self, line: BroadcastLine, tz) -> bool:
        """Whether a broadcast passes every filter set."""
        return ((not self.state or line.state == self.state)
                and (not self.sender or self.sender.casefold() in (line.sender or "").casefold())
                and (self.day is None or _local_day(line.created_at, tz) == self.day))


def _local_day(moment: datetime, tz) -> date:
    return moment.astimezone(tz).date()


async def listing(session: AsyncSession, actor: Actor, filters: ListFilter, tz) -> list[BroadcastLine]:
    """The broadcasts the actor may see, newest first, narrowed by the filters."""
    lines = await recent(session, LIST_LIMIT)
    audiences = dict((await session.execute(select(Broadcast.id, Broadcast.audience)
                                            .where(Broadcast.id.in_([line.id for line in lines])))).all())
    paths_by_code = await _paths_by_code(session, {code for a in audiences.values() for code in _codes(a or {})})
    kept = []
    for line in lines:
        paths = _paths(audiences.get(line.id) or {}, paths_by_code)
        if all(access.may(actor, Action.VIEW, path) for path in paths) and filters.keeps(line, tz):
            kept.append(line)
    return kept
