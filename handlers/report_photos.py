"""Report steps for proof: one to five photos (or none), then an optional short note."""

import logging

from bot.core.context import Context
from bot.core.router import Router
from bot.db.reports import Photo
from bot.i18n import N_
from bot.services import photos
from handlers import report
from handlers import report_draft as rd
from handlers.report_draft import PROMPTS, advance, draft

log = logging.getLogger(__name__)
PHOTO_ERRORS = {
    "too_large": N_("This photo is too large (over {mb} MB). Please send a smaller one."),
    "not_image": N_("This file is not a photo. Please send a photo (JPEG or PNG)."),
    "too_many_pixels": N_("This picture is too large to open. Please send a normal photo from your phone camera."),
}
LOOSE_PHOTO = "loose_photo"  # a photo sent outside any flow, kept until the member says what it is for


def _photo_buttons(ctx: Context) -> list:
    if draft(ctx).get("photos"):
        return [[ctx.button("report:photos_done", "✅ Done")]]
    return [[ctx.button("report:no_photo", "🚫 No photo")]]


async def ask_photos(ctx: Context) -> None:
    """The photo step; a photo sent before the report began (see `on_loose_photo`) is its first photo."""
    ctx.goto(rd.PHOTOS)
    first = draft(ctx).pop("first_photo", None)
    if first is not None:
        draft(ctx)["photos"] = [first]
        _photo_received(ctx)
        return
    ctx.reply(ctx.tn("Send a photo of the activity as proof (up to {n} photo), or tap No photo.",
                     "Send photos of the activity as proof (up to {n} photos), one by one, or tap No photo.",
                     rd.MAX_PHOTOS), _photo_buttons(ctx))


async def on_photo_step(ctx: Context) -> None:
    """A photo is added; text or a sticker / voice note gets a hint and the step stays."""
    if ctx.inbound.photo:
        await _add_photo(ctx)
    elif ctx.text:
        ctx.reply(ctx.t("Please send a photo, or tap a button below."), _photo_buttons(ctx))
    else:
        ctx.reply(ctx.t("I cannot use that here. Please send a photo (a picture, not a file or sticker), "
                        "or tap a button below."), _photo_buttons(ctx))


async def stored_photo(ctx: Context, buttons: list) -> Photo | None:
    """The member's photo fetched from the channel and stored; None after telling them what was wrong."""
    channel = ctx.core.channels.get(ctx.inbound.channel)
    try:
        data = await channel.fetch_photo(ctx.inbound.photo)
    except Exception:  # any channel failure: the member just sends it again
        log.warning("could not fetch a photo on %s", ctx.inbound.channel, exc_info=True)
        ctx.reply(ctx.t("I could not download this photo. Please send it again."), buttons)
        return None
    try:
        return await photos.store(ctx.session, ctx.core.media_dir, data, ctx.now)
    except photos.PhotoError as exc:
        ctx.reply(ctx.t(PHOTO_ERRORS[exc.reason], mb=ctx.tr.number(photos.MAX_BYTES // 2**20)), buttons)
        return None


async def _add_photo(ctx: Context) -> None:
    taken = draft(ctx).setdefault("photos", [])
    if len(taken) >= rd.MAX_PHOTOS:
        ctx.reply(ctx.tn("A report can have at most {n} photo. This one was not added; tap Done to go on.",
                         "A report can have at most {n} photos. This one was not added; tap Done to go on.",
                         rd.MAX_PHOTOS), _photo_buttons(ctx))
        return
    photo = await stored_photo(ctx, _photo_buttons(ctx))
    if photo is None:
        return
    if photo.id in taken:
        ctx.reply(ctx.t("You already added this photo."), _photo_buttons(ctx))
        return
    taken.append(photo.id)
    _photo_received(ctx)


def _photo_received(ctx: Context) -> None:
    """Thanks for photo n; another one is invited only while the report has room for it."""
    taken = len(draft(ctx)["photos"])
    if taken >= rd.MAX_PHOTOS:
        ctx.reply(ctx.tn("Photo {n} received. That is the most a report can have; tap Done to go on.",
                         "Photo {n} received. That is the most a report can have; tap Done to go on.", taken),
                  _photo_buttons(ctx))
        return
    ctx.reply(ctx.tn("Photo {n} received. Send another one, or tap Done.",
                     "Photo {n} received. Send another one, or tap Done.", taken), _photo_buttons(ctx))


async def on_loose_photo(ctx: Context) -> None:
    """A member's photo outside any flow: kept, with the offer to start a report with it."""
    menu = [[ctx.button("menu:main", "🏠 Menu")]]
    photo = await stored_photo(ctx, menu)
    if photo is None:
        return
    ctx.finish()
    ctx.data[LOOSE_PHOTO] = photo.id
    ctx.reply(ctx.t("Thanks for the photo. Do you want to send a report with it?"),
              [[ctx.button("report:with_photo", "📝 Send a report with this photo")], *menu])


async def on_report_with_photo(ctx: Context) -> None:
    """The offer accepted: a new report whose first photo is the one sent."""
    photo_id = ctx.data.get(LOOSE_PHOTO)
    if photo_id is None or ctx.member is None or rd.has_draft(ctx):
        await _not_now(ctx)
        return
    await report.on_start(ctx)
    draft(ctx)["first_photo"] = photo_id


async def on_photos_done(ctx: Context) -> None:
    if ctx.state != rd.PHOTOS or not draft(ctx).get("photos"):
        await _not_now(ctx)
        return
    draft(ctx).pop("no_photo", None)
    await advance(ctx)


async def on_no_photo(ctx: Context) -> None:
    if ctx.state != rd.PHOTOS:
        await _not_now(ctx)
        return
    draft(ctx).update(no_photo=True, photos=[])
    await advance(ctx)


# what the text of a written report type is, asked instead of a note
WRITTEN_PROMPTS = {
    "practice": N_("Describe the good practice in a few sentences (at most {limit} characters): what was done, "
                   "how, and what it achieved."),
    "difficulties": N_("Type the difficulties and obstacles your unit met in this period (at most {limit} "
                       "characters)."),
    "recommendations": N_("Type your recommendations and proposals for this period (at most {limit} characters)."),
}


async def ask_note(ctx: Context) -> None:
    ctx.goto(rd.NOTE)
    kind = rd.report_type(ctx)
    if kind.kind in WRITTEN_PROMPTS:
        ctx.reply(ctx.t(WRITTEN_PROMPTS[kind.kind], limit=ctx.tr.number(rd.NOTE_LIMIT)))
        return
    if kind.note_required:
        ctx.reply(ctx.t("Describe in a few words what you did (required for this type)."))
        return
    ctx.reply(ctx.t("Add a short note if you like (for example the place), or tap Skip."),
              [[ctx.button("report:skip_note", "⏭️ Skip")]])


async def on_note(ctx: Context) -> None:
    text = ctx.text
    if not text:
        ctx.reply(ctx.t("Please type the note as text."))
        await ask_note(ctx)
        return
    if len(text) > rd.NOTE_LIMIT:
        ctx.reply(ctx.t("The note is {n} characters long; please keep it under {limit}.",
                        n=ctx.tr.number(len(text)), limit=ctx.tr.number(rd.NOTE_LIMIT)))
        return
    draft(ctx).update(note=text, note_done=True)
    await advance(ctx)


async def on_skip_note(ctx: Context) -> None:
    if ctx.state != rd.NOTE:
        await _not_now(ctx)
        return
    if rd.report_type(ctx).note_required:
        await ask_note(ctx)
        return
    draft(ctx).update(note=None, note_done=True)
    await advance(ctx)


async def _not_now(ctx: Context) -> None:
    """An old button tapped outside its step: carry on with the draft, or show the menu."""
    if rd.has_draft(ctx):
        await advance(ctx)
    else:
        await ctx.show_menu()


PROMPTS.update(photos=ask_photos, note=ask_note)


def register(router: Router) -> None:
    router.payload("report:photos_done")(on_photos_done)
    router.payload("report:no_photo")(on_no_photo)
    router.payload("report:skip_note")(on_skip_note)
    router.payload("report:with_photo")(on_report_with_photo)
    router.state(rd.PHOTOS)(on_photo_step)
    router.state(rd.NOTE)(on_note)
