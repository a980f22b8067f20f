"""Zalo OA webhook events as data: the MAC, the replay window, and the translation into `Inbound`.

Every field is read with `typed`/`ident` (bot/channels/http.py), so an event of the wrong shape is one
`Malformed` error at the door, never a crash halfway through processing it.
"""

import hashlib
from datetime import datetime, timedelta

from bot.channels.http import Malformed, epoch, ident, typed
from bot.channels.zalo_oa_send import PAYLOAD_PREFIX
from bot.core.messages import Inbound

CODE = "zalo_oa"
# Zalo re-delivers an event it got no 200 for, with its first timestamp, for up to 12 hours (docs/zalo-api.md,
# Uncertain 3): events signed longer ago are refused, and so are events stamped ahead of our clock by more than
# a clock's drift. Stored events are kept past both, so a replay inside the window is always caught as a duplicate.
REPLAY_WINDOW = timedelta(hours=12)
FUTURE_SKEW = timedelta(minutes=10)
KEEP_MARGIN = FUTURE_SKEW + timedelta(hours=1)  # processed events are kept this long past the window


def mac(app_or_oa_id: str, raw_body: bytes, timestamp: str, secret: str) -> str:
    """Zalo's webhook MAC: plain SHA-256 (not HMAC) of id + exact body bytes + timestamp + secret.

    The timestamp comes from the body or a header before anything is verified, so any text must encode
    (JSON can carry half a surrogate pair)."""
    stamp = timestamp.encode("utf-8", "surrogatepass")
    return hashlib.sha256(app_or_oa_id.encode() + raw_body + stamp + secret.encode()).hexdigest()


def event_key(event: dict, raw_body: bytes) -> str:
    """Re-deliveries share the key: the event name and msg_id when there is one, else the body's hash."""
    msg_id = (event.get("message") or {}).get("msg_id") if isinstance(event.get("message"), dict) else None
    if msg_id:
        return f"{event['event_name']}:{msg_id}"[:160]
    return "sha256:" + hashlib.sha256(raw_body).hexdigest()


def user_id(event: dict) -> str | None:
    """The member's OA-scoped id, wherever this kind of event keeps it (Malformed when it is not an id)."""
    for holder in ("sender", "follower"):
        if isinstance(event.get(holder), dict) and (found := ident(event, f"{holder}.id", None)):
            return found
    return ident(event, "user_id", None)


def event_time(event: dict) -> datetime | None:
    """Zalo's event time (epoch milliseconds, usually a string), or None when absent or unreadable."""
    try:
        return epoch(event["timestamp"], 1000)
    except (KeyError, Malformed):
        return None


def stale(timestamp: str, now: datetime, window: timedelta = REPLAY_WINDOW) -> str | None:
    """Why a signed event's timestamp (epoch ms) is outside the replay window, else None."""
    try:
        at = epoch(timestamp, 1000)
    except Malformed:
        return "no readable timestamp"
    if at < now - window:
        return f"signed {now - at} ago, outside the {window} replay window"
    if at > now + FUTURE_SKEW:
        return f"stamped {at - now} ahead of this server's clock"
    return None


def to_inbound(event: dict, key: str) -> Inbound | None:
    """Translate one stored event; None for events the core does not handle (echoes, seen receipts…).

    Raises Malformed when a field has the wrong type or an id is too long for the database."""
    name, uid = typed(event, "event_name", str), user_id(event)
    message = typed(event, "message", dict, {})
    msg_id = ident(message, "msg_id", None)
    at = epoch(event["timestamp"], 1000) if event.get("timestamp") is not None else None
    if uid is None or not (name.startswith("user_send_") or name in ("follow", "unfollow")):
        return None
    common = {"channel": CODE, "external_id": uid, "message_id": msg_id or key}
    if at is not None:
        common["received_at"] = at
    if name in ("follow", "unfollow"):
        return Inbound(**common, event="unblocked" if name == "follow" else "blocked")
    text = typed(message, "text", str, "")
    if name == "user_send_text":
        if text.startswith(PAYLOAD_PREFIX):  # a tap on one of our oa.query buttons
            return Inbound(**common, payload=text.removeprefix(PAYLOAD_PREFIX))
        return Inbound(**common, text=text)
    if name == "user_send_image":
        return Inbound(**common, photo=_image_url(message), text=text or None)
    return Inbound(**common)  # sticker, file, voice…: the core answers that it reads text and photos


def _image_url(message: dict) -> str | None:
    """The first image attachment's URL."""
    for attachment in typed(message, "attachments", list, []):
        if not isinstance(attachment, dict):
            raise Malformed("attachment is not an object")
        if attachment.get("type") == "image":
            return typed(attachment, "payload.url", str, None)
    return None
