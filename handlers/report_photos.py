"""Report steps for proof: one to five photos (or none), then an optional short note."""

import logging

from bot.core.context import Context
from bot.core.router import Router
from bot.services import photos
from handlers import report_draft as rd
from handlers.report_draft import PROMPTS, advance, draft

log = logging.getLogger(__name__)
PHOTO_ERRORS = {
    "too_large": "This photo is too large (over 20 MB). Please send a smaller one.",
    "not_image": "This file is not a photo I can read. Please send a photo (JPEG or PNG).",
    "too_many_pixels": "This picture is too large to open. Please send a normal photo from your phone camera.",
}


def _photo_buttons(ctx: Context) -> list:
    if draft(ctx).get("photos"):
        return [[ctx.button("report:photos_done", "✅ Done")]]
    return [[ctx.button("report:no_photo", "🚫 No photo")]]


async def ask_photos(ctx: Context) -> None:
    ctx.goto(rd.PHOTOS)
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


async def _add_photo(ctx: Context) -> None:
    taken = draft(ctx).setdefault("photos", [])
    if len(taken) >= rd.MAX_PHOTOS:
        ctx.reply(ctx.tn("A report can have at most {n} photo. This one was not added; tap Done to go on.",
                         "A report can have at most {n} photos. This one was not added; tap Done to go on.",
                         rd.MAX_PHOTOS), _photo_buttons(ctx))
        return
    channel = ctx.core.channels.get(ctx.inbound.channel)
    try:
        data = await channel.fetch_photo(ctx.inbound.photo)
    except Exception:  # any channel failure: the member just sends it again
        log.warning("could not fetch a photo on %s", ctx.inbound.channel, exc_info=True)
        ctx.reply(ctx.t("I could not download this photo. Please send it again."), _photo_buttons(ctx))
        return
    media_dir = ctx.core.media_dir
    try:
        photo = await photos.store(ctx.session, media_dir, data, ctx.now)
    except photos.PhotoError as exc:
        ctx.reply(ctx.t(PHOTO_ERRORS[exc.reason]), _photo_buttons(ctx))
        return
    if photo.id in taken:
        ctx.reply(ctx.t("You already added this photo."), _photo_buttons(ctx))
        return
    taken.append(photo.id)
    ctx.reply(ctx.tn("Photo {n} received. Send another one, or tap Done.",
                     "Photo {n} received. Send another one, or tap Done.", len(taken)), _photo_buttons(ctx))


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


async def ask_note(ctx: Context) -> None:
    ctx.goto(rd.NOTE)
    kind = rd.report_type(ctx)
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
    router.state(rd.PHOTOS)(on_photo_step)
    router.state(rd.NOTE)(on_note)
