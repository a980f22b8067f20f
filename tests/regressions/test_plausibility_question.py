"""Issue 15 item 15: the "more than usual" question names its real buttons, and a typed number corrects the count."""

import pytest

from tests.chat import Harness
from tests.handlers.test_report import join, stored_reports, to_count


@pytest.fixture
async def harness(demo_roster):
    return Harness(demo_roster)


async def _at_question(harness, chat_id: str, locale: str, channel: str = "fake"):
    chat = await join(harness, chat_id, f"Người Thử {chat_id.upper()}", channel=channel)
    await chat.send(payload=f"lang:{locale}")
    await to_count(chat)
    await chat.send("250")
    return chat


@pytest.mark.parametrize("locale", ["vi", "en"])
async def test_the_question_and_its_reminder_quote_the_buttons_as_labelled(harness, locale):
    chat = await _at_question(harness, f"q-{locale}", locale)
    [question] = chat.last
    labels = [b.label for b in question.all_buttons()]
    assert len(labels) == 2 and all(label in question.text for label in labels), question.text
    await chat.send("không")  # "no" (also the word for zero): neither a button nor a corrected number
    [reminder] = chat.last
    assert [b.label for b in reminder.all_buttons()] == labels
    assert all(label in reminder.text for label in labels), reminder.text


async def test_a_typed_number_at_the_question_is_the_corrected_count(harness):
    chat = await _at_question(harness, "q-fix", "vi")
    await chat.send("25")
    assert "report:no_photo" in chat.payloads  # the count step is done: on to photos
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    assert "25" in chat.text and "250" not in chat.text
    await chat.tap("report:send")
    [report] = await stored_reports(harness.db)
    assert report.people == 25


async def test_a_small_corrected_number_is_a_count_not_a_button(harness):
    chat = await _at_question(harness, "q-two", "en")
    await chat.send("2")  # buttons show no numbers here: 2 people, not the second button
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    assert "People helped: 2" in chat.text


async def test_a_corrected_number_still_too_big_is_asked_again(harness):
    chat = await _at_question(harness, "q-again", "en")
    await chat.send("300")
    assert "300 for “People helped” is more than usual" in chat.text
    await chat.tap("report:big:yes")
    await chat.tap("report:no_photo")
    await chat.tap("report:skip_note")
    assert "People helped: 300" in chat.text


async def test_without_buttons_the_shown_numbers_still_answer_the_question(harness):
    chat = await join(harness, "q-plain", "Người Thử Plain", channel="plain")
    await chat.send("/report")
    await chat.send(chat.number_of("Online public services"))
    await chat.send(chat.number_of("Today"))
    await chat.send("250")
    await chat.send(chat.number_of("Yes, it is right"))
    await chat.send(chat.number_of("No photo"))
    await chat.send(chat.number_of("Skip"))
    assert "People helped: 250" in chat.text
