"""Issue 15 item 11: `cdsbot i18n check` finds member text in handlers that no marker translates."""

from bot.services import catalogs

TABLE_OF_LABELS = '''
from bot.i18n import N_

ERRORS = {"too_large": "This photo is too large. Please send a smaller one."}
MARKED = {"not_image": N_("This file is not a photo.")}
NAMES = {"vi": "🇻🇳 Tiếng Việt"}  # i18n: data


async def on_edit(ctx):
    """Docstrings are for developers."""
    rows = [("report:edit:type", "Type"), ("report:edit:date", "Date")]
    log.warning("Could not fetch %s", ctx.payload)
    ctx.reply(ctx.t("What do you want to change?"), [[ctx.button(p, label)] for p, label in rows])
    ctx.reply(f"Done: {ctx.text}")
'''


def test_labels_and_sentences_no_marker_reaches_are_found(tmp_path):
    module = tmp_path / "edit.py"
    module.write_text(TABLE_OF_LABELS)
    assert [text for _line, text in catalogs.unmarked(module)] == [
        "This photo is too large. Please send a smaller one.", "Type", "Date", "Done: "]


def test_the_handlers_have_no_unmarked_text():
    assert [p for p in catalogs.check() if "not marked for translation" in p] == []
