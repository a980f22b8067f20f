"""The audit log: who did what, when, from where. Services and views call `record`; the console reads `entries`.

Each entry carries the unit path it concerns, so officers read the entries of their subtree
(`access.scope_clause`) and admins read everything, including entries about no unit (settings).
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import LOCAL_TZ
from bot.db.console import AuditEntry
from bot.i18n import N_
from bot.services import access

PAGE_SIZE = 100
MAX_EXPORT = 100_000


class AuditAction(StrEnum):
    """What was done; stored as its value in `AuditEntry.action`."""

    SIGNIN = "signin"
    SIGNIN_FAILED = "signin_failed"
    SIGNOUT = "signout"
    SIGNOUT_EVERYWHERE = "signout_everywhere"
    ACCOUNT_ADDED = "account_added"
    MEMBER_PROMOTED = "member_promoted"
    ROSTER_IMPORTED = "roster_imported"
    UNITS_REMAPPED = "units_remapped"
    EXPORT_DOWNLOADED = "export_downloaded"
    SETTINGS_CHANGED = "settings_changed"
    BROADCAST_CREATED = "broadcast_created"
    BROADCAST_PAUSED = "broadcast_paused"
    BROADCAST_CANCELLED = "broadcast_cancelled"
    BROADCAST_RESUMED = "broadcast_resumed"
    BROADCAST_RESENT = "broadcast_resent"
    REPORT_APPROVED = "report_approved"
    REPORT_RETURNED = "report_returned"
    REPORT_FEATURED = "report_featured"
    CAMPAIGN_ARMED = "campaign_armed"
    CAMPAIGN_DISARMED = "campaign_disarmed"
    CALENDAR_CHANGED = "calendar_changed"
    MISSED_SENT = "missed_sent"
    MISSED_DROPPED = "missed_dropped"
    BASES_CHANGED = "bases_changed"
    WRITTEN_PART_SAVED = "written_part_saved"


# What the console shows for each action (translated where shown).
ACTION_LABELS = {
    AuditAction.SIGNIN: N_("Signed in"),
    AuditAction.SIGNIN_FAILED: N_("Sign-in failed"),
    AuditAction.SIGNOUT: N_("Signed out"),
    AuditAction.SIGNOUT_EVERYWHERE: N_("Signed out everywhere"),
    AuditAction.ACCOUNT_ADDED: N_("Console account added"),
    AuditAction.MEMBER_PROMOTED: N_("Member promoted"),
    AuditAction.ROSTER_IMPORTED: N_("Roster imported"),
    AuditAction.UNITS_REMAPPED: N_("Tree re-mapped"),
    AuditAction.EXPORT_DOWNLOADED: N_("Export downloaded"),
    AuditAction.SETTINGS_CHANGED: N_("Settings changed"),
    AuditAction.BROADCAST_CREATED: N_("Broadcast created"),
    AuditAction.BROADCAST_PAUSED: N_("Broadcast paused"),
    AuditAction.BROADCAST_CANCELLED: N_("Broadcast cancelled"),
    AuditAction.BROADCAST_RESUMED: N_("Broadcast resumed"),
    AuditAction.BROADCAST_RESENT: N_("Broadcast sent again to those who did not receive it"),
    AuditAction.REPORT_APPROVED: N_("Report approved"),
    AuditAction.REPORT_RETURNED: N_("Report returned"),
    AuditAction.REPORT_FEATURED: N_("Good practice marked exemplary or unmarked"),
    AuditAction.CAMPAIGN_ARMED: N_("Campaign armed"),
    AuditAction.CAMPAIGN_DISARMED: N_("Campaign disarmed"),
    AuditAction.CALENDAR_CHANGED: N_("Campaign calendar changed"),
    AuditAction.MISSED_SENT: N_("Missed send sent late"),
    AuditAction.MISSED_DROPPED: N_("Missed send dropped"),
    AuditAction.BASES_CHANGED: N_("Base figures changed"),
    AuditAction.WRITTEN_PART_SAVED: N_("Difficulties or recommendations saved"),
}


async def record(session: AsyncSession, *, actor_account_id: int | None, actor_name: str, action: AuditAction,
                 target: str = "", unit_path: str | None = None, address: str = "", detail: dict | None = None,
                 at: datetime | None = None) -> AuditEntry:
    """Add one entry to the caller's transaction (the caller commits); never put tokens or phones in it."""
    entry = AuditEntry(at=at or datetime.now(UTC), actor_account_id=actor_account_id, actor_name=actor_name[:80],
                       action=AuditAction(action).value, target=target[:200], unit_path=unit_path,
                       address=address[:64], detail=detail)
    session.add(entry)
    return entry


COMMAND_LINE = "cdsbot (command line)"  # the actor of changes made on the server's command line


async def record_command(session: AsyncSession, action: AuditAction, *, target: str = "",
                         unit_path: str | None = None, detail: dict | None = None) -> AuditEntry:
    """`record` for a change made with the `cdsbot` command line (no account, no address)."""
    return await record(session, actor_account_id=None, actor_name=COMMAND_LINE, action=action, target=target,
                        unit_path=unit_path, address="cli", detail=detail)


@dataclass(frozen=True)
class AuditFilter:
    """The console's filters: part of the actor's name, one action, a date range (local days, inclusive)."""

    who: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, query) -> "AuditFilter":
        """Read the filters from a query string, ignoring values that do not parse."""
        action = query.get("action", "")
        return cls(who=query.get("who", "").strip()[:80],
                   action=action if action in AuditAction._value2member_map_ else "",
                   since=_day(query.get("since")), until=_day(query.get("until")))

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for the CSV link), leaving out the empty ones."""
        values = {"who": self.who, "action": self.action, "since": self.since, "until": self.until}
        return {key: str(value) for key, value in values.items() if value}


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC)


def _query(actor: access.Actor, filters: AuditFilter):
    """Entries the actor may read, newest first, narrowed by the filters."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if not actor.whole_tree:
        query = query.where(AuditEntry.unit_path.is_not(None), access.scope_clause(actor, AuditEntry.unit_path))
    if filters.who:
        query = query.where(AuditEntry.actor_name.icontains(filters.who, autoescape=True))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since:
        query = query.where(AuditEntry.at >= _local_midnight(filters.since))
    if filters.until:
        query = query.where(AuditEntry.at < _local_midnight(filters.until + timedelta(days=1)))
    return query


async def entries(session: AsyncSession, actor: access.Actor, filters: AuditFilter, *, page: int = 0,
                  limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """One page of entries for the console (admins: all; officers: their subtree)."""
    query = _query(actor, filters).offset(max(0, page) * limit).limit(limit)
    return list((await session.execute(query)).scalars())


async def export_csv(session: AsyncSession, actor: access.Actor, filters: AuditFilter) -> str:
    """The filtered entries as CSV (UTC ISO times), for a spreadsheet."""
    rows = (await session.execute(_query(actor, filters).limit(MAX_EXPORT))).scalars()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["at_utc", "actor", "action", "target", "unit_path", "address"])
    for entry in rows:
        writer.writerow([entry.at.astimezone(UTC).isoformat(timespec="seconds"), _cell(entry.actor_name),
                         entry.action, _cell(entry.target), entry.unit_path or "", entry.address])
    return out.getvalue()


def _cell(value: str) -> str:
    """Defuse spreadsheet formulas in free text (a name starting with '=' must not run)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
