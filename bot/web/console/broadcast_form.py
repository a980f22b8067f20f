"""The composer's form, read into one value: texts, photo, buttons, audience, and when to send.

The same reading serves the live count (a GET with the audience fields), the confirmation step and the
final POST, so what is confirmed is what is checked and sent. Photos are stored on upload (validated
like the CLI's --photo) and carried to the next step by their file name only.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.i18n import N_
from bot.services import broadcast as bc
from bot.services.schedule_rules import EVERY, WEEKDAYS, BadRule, Rule, parse_time

PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")
NO_TEXT = N_("Write the Vietnamese text.")
TOO_LONG = N_("The text is longer than {limit} characters.")
BAD_PHOTO = N_("The photo must be a JPEG or PNG image up to {mb} MB.")
BAD_WHEN = N_("Choose a date and a time in the future for a scheduled send.")
UNKNOWN_GUIDE = N_("Choose a guide from the list.")
MAX_TEXT = 4096  # the broadcast table's column; channels split longer texts themselves


class FormError(ValueError):
    """Something in the form to fix; the message is a message id (with `values`)."""

    def __init__(self, message: str, **values):
        super().__init__(message)
        self.values = values


@dataclass
class Draft:
    """What the composer holds."""

    text_vi: str = ""
    text_en: str = ""
    guide: str = ""
    ack: bool = False
    photo: str = ""  # a stored file's name (see PHOTO_NAME)
    audience: bc.Audience | None = None
    when: str = "now"  # now or later
    day: str = ""
    at: str = ""
    every: str = "once"
    urgent: bool = False

    def hidden(self) -> list[tuple[str, str]]:
        """The draft as hidden form fields, for the confirmation step."""
        fields = [("text_vi", self.text_vi), ("text_en", self.text_en), ("guide", self.guide), ("photo", self.photo),
                  ("when", self.when), ("day", self.day), ("at", self.at), ("every", self.every)]
        fields += [("ack", "1")] * self.ack + [("urgent", "1")] * self.urgent
        audience = self.audience or bc.Audience()
        for name, values in (("unit", audience.units), ("level", audience.levels), ("role", audience.roles),
                             ("lang", audience.langs), ("channel", audience.channels)):
            fields += [(name, value) for value in values]
        return fields


def audience_of(data) -> bc.Audience:
    """The audience fields of a form or query (repeated names: unit, level, role, lang, channel)."""
    def values(name: str, limit: int = 40) -> list[str]:
        return [str(v)[:limit] for v in data.getall(name, []) if str(v).strip()][:500]

    levels = [kind for value in values("level", 400) for kind in value.split(",") if kind]  # a level is its kinds
    return bc.Audience(units=values("unit"), levels=levels, roles=values("role"), langs=values("lang"),
                       channels=values("channel"))


def draft_of(data) -> Draft:
    """Read the whole form (nothing checked yet but lengths)."""
    def text(name: str, limit: int = 40) -> str:
        value = data.get(name, "")
        return value.strip()[:limit] if isinstance(value, str) else ""

    return Draft(text_vi=text("text_vi", MAX_TEXT + 1), text_en=text("text_en", MAX_TEXT + 1), guide=text("guide"),
                 ack=bool(data.get("ack")), photo=text("photo"), audience=audience_of(data),
                 when="later" if data.get("when") == "later" else "now", day=text("day"), at=text("at"),
                 every=text("every") if data.get("every") in EVERY else "once", urgent=bool(data.get("urgent")))


def check(draft: Draft, guides: list[str], media: Path) -> None:
    """Raise FormError for the first thing to fix."""
    if not draft.text_vi:
        raise FormError(NO_TEXT)
    if len(draft.text_vi) > MAX_TEXT or len(draft.text_en) > MAX_TEXT:
        raise FormError(TOO_LONG, limit=MAX_TEXT)
    if draft.guide and draft.guide not in guides:
        raise FormError(UNKNOWN_GUIDE)
    if draft.photo and photo_path(media, draft.photo) is None:
        raise FormError(BAD_PHOTO, mb=bc.PHOTO_LIMIT // 2**20)


def rule_of(draft: Draft, tz) -> Rule:
    """The schedule rule of a send for later: once, or repeating on the chosen date's weekday / day / date."""
    try:
        day, at = date.fromisoformat(draft.day), parse_time(draft.at)
    except (ValueError, BadRule):
        raise FormError(BAD_WHEN) from None
    if draft.every == "once":
        return Rule("once", at=datetime.combine(day, at, tzinfo=tz))
    raw = {"every": draft.every, "time": at.strftime("%H:%M"), "days": [WEEKDAYS[day.weekday()]], "day": day.day,
           "date": f"{day.day:02d}-{day.month:02d}"}
    return Rule.from_dict(raw, tz)


def store_photo(media: Path, data: bytes) -> str:
    """Keep an uploaded photo under media/broadcasts/ once it is known to be a JPEG or PNG; its file name."""
    if not data or len(data) > bc.PHOTO_LIMIT:
        raise FormError(BAD_PHOTO, mb=bc.PHOTO_LIMIT // 2**20)
    folder = media / "broadcasts"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:32]
    upload = folder / f"{digest}.upload"
    upload.write_bytes(data)
    kind = bc.photo_kind(upload)
    if kind is None:
        upload.unlink()
        raise FormError(BAD_PHOTO, mb=bc.PHOTO_LIMIT // 2**20)
    name = f"{digest}.{'jpg' if kind == 'JPEG' else 'png'}"
    upload.replace(folder / name)
    return name


def photo_path(media: Path, name: str) -> Path | None:
    """The stored photo of that name, or None when the name is not one of ours."""
    path = media / "broadcasts" / name
    return path.resolve() if PHOTO_NAME.match(name) and path.is_file() else None
