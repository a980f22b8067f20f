"""The broadcast benchmark in a short configuration, so it keeps working: 300 members at 300/s."""

from bench.broadcast import run


async def test_short_benchmark_delivers_each_message_once():
    figures = await run(members=300, limit=300, expand_rows=0)
    assert figures["recipients"] == 300
    assert (figures["duplicates"], figures["missing"]) == (0, 0)
    assert (figures["unlimited_duplicates"], figures["unlimited_missing"]) == (0, 0)
    assert figures["throttled_429"] <= 3
    assert figures["rate_fraction"] > 0.5
    assert figures["sender_peak_rss_mb"] <= 150  # the sending process (issue 16: a province-wide broadcast too)
