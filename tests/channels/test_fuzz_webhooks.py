"""Hypothesis fuzzer: mutated Telegram, Zalo OA, Zalo Bot and web chat payloads at one running cdsbot.

Each example is a genuine update made current, then mutated (tests/channels/mutations.py) and delivered over
real HTTP or the chat's WebSocket. No answer may be a 5xx, nothing may log a traceback, and afterwards every
fuzzed chat still answers a genuine message. 500 examples a channel, derandomized, so a run is repeatable;
bench/fuzz.py runs 10,000 a channel.
"""

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.mutations import CHATS, INTERESTING, OPERATIONS, TEMPLATES, apply
from tests.channels.webhook_harness import WebChat, fuzz_once, refreshed, running, stuck

EXAMPLES = 500  # per channel: 2,000 in all
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(INTERESTING)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=6), inner, max_size=3), max_leaves=6)
MUTATIONS = st.lists(st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 10_000), VALUES), max_size=3)


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    """One cdsbot for every example, on an event loop of its own (Hypothesis drives plain functions)."""
    loop = asyncio.new_event_loop()
    app = running(tmp_path_factory.mktemp("fuzz"))
    started = loop.run_until_complete(app.__aenter__())
    web = {chat: WebChat(started, chat) for chat in CHATS["web"]}
    yield loop, started, web
    for chat in web.values():
        loop.run_until_complete(chat.close())
    loop.run_until_complete(app.__aexit__(None, None, None))
    loop.close()


@pytest.mark.parametrize("channel", ["telegram", "zalo_oa", "zalo_bot", "web"])
def test_fuzzed_payloads_get_no_5xx_no_traceback_and_leave_no_chat_stuck(bot, channel):
    loop, running_bot, web = bot

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(template=st.sampled_from(TEMPLATES[channel]), chat=st.sampled_from(CHATS[channel]), mutations=MUTATIONS)
    def deliver(template, chat, mutations):
        before = len(running_bot.tracebacks.records)
        raw = apply(refreshed(channel, template, chat), mutations)
        status = loop.run_until_complete(fuzz_once(running_bot, channel, raw, web))
        assert status < 500, f"HTTP {status} for {mutations!r}"
        assert running_bot.tracebacks.lines()[before:] == [], f"traceback for {mutations!r}"

    deliver()
    assert loop.run_until_complete(stuck(running_bot, channel, CHATS[channel], web)) == []
