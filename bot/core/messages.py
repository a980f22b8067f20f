"""The only message types handlers and channels share: Inbound, Outbound, Button."""

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

MAX_TEXT = 4000  # the longest text or caption a member may send; a longer message is refused at the door
MAX_PAYLOAD = 256  # our button payload ids are short: a longer one was not made by us


@dataclass(frozen=True)
class Button:
    """A choice the member can tap; `payload` is a stable id, never the translated label."""

    payload: str
    label: str


@dataclass(frozen=True)
class Inbound:
    """One thing a member did on a channel, already translated from the platform's shape."""

    channel: str
    external_id: str
    text: str | None = None
    payload: str | None = None
    photo: str | None = None
    contact_phone: str | None = None
    message_id: str | None = None
    display_name: str | None = None
    username: str | None = None  # the sender's public @name where the platform has one (Telegram)
    event: str | None = None  # "blocked" (member blocked the bot / unfollowed), "unblocked"
    source: str | None = None  # the client's address where the channel knows it (web chat): for guessing limits
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def oversized(self) -> bool:
        """Too long to handle: every step after the door (folding, searching, storing) grows with the text."""
        return len(self.text or "") > MAX_TEXT or len(self.payload or "") > MAX_PAYLOAD


@dataclass
class Outbound:
    """One message to send: text, rows of buttons, an optional photo, an optional contact request."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    photo: str | None = None
    request_contact: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Outbound":
        rows = [[Button(**b) for b in row] for row in data.get("buttons", [])]
        return cls(data["text"], rows, data.get("photo"), data.get("request_contact"))

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]

    def numbered(self) -> tuple["Outbound", dict[str, str]]:
        """Buttons as numbered lines ("1. Hướng dẫn") for channels that have none, and number → payload."""
        options = {str(n): b.payload for n, b in enumerate(self.all_buttons(), 1)}
        lines = [f"{n}. {b.label}" for n, b in enumerate(self.all_buttons(), 1)]
        text = self.text + ("\n\n" + "\n".join(lines) if lines else "")
        return Outbound(text, [], self.photo, self.request_contact), options
