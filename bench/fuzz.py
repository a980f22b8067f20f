"""Webhook fuzzer: mutated updates at Telegram, Zalo OA, Zalo Bot and the web chat of one running cdsbot.

Run from the repository root: `python -m bench.fuzz [--cases N] [--seed S] [--channels telegram,zalo_oa,...]`.
Each case is a genuine update (tests/channels/*/testdata), made current, then mutated one to three times
(tests/channels/mutations.py) and delivered over real HTTP (Zalo OA bodies are signed after mutating, so
they reach the parser, the shape checks and the core). Counted per channel: server errors (5xx),
tracebacks logged, and stuck conversations (a fuzzed chat that no longer answers a genuine message).
The last line is one JSON object with the figures; the target is 0 / 0 / 0.
"""

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.channels.mutations import CHATS, TEMPLATES, apply, random_mutations
from tests.channels.webhook_harness import WebChat, fuzz_once, refreshed, running, stuck

CHANNELS = ("telegram", "zalo_oa", "zalo_bot", "web")


async def fuzz_channel(bot, channel: str, cases: int, rnd: random.Random, web: dict) -> dict:
    """`cases` mutated deliveries on one channel; its 5xx, tracebacks, stuck chats and statuses."""
    before = len(bot.tracebacks.records)
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    started = time.monotonic()
    for n in range(cases):
        chat = rnd.choice(CHATS[channel])
        body = refreshed(channel, rnd.choice(TEMPLATES[channel]), chat)
        mutations = random_mutations(rnd)
        status = await fuzz_once(bot, channel, apply(body, mutations), web)
        statuses[status] += 1
        if status >= 500 and len(server_errors) < 5:
            server_errors.append(repr(mutations)[:300])
        if (n + 1) % 2000 == 0:
            print(f"  {channel}: {n + 1} cases, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    unanswered = await stuck(bot, channel, CHATS[channel], web)
    new = bot.tracebacks.records[before:]
    return {"cases": cases, "5xx": sum(n for s, n in statuses.items() if s >= 500), "tracebacks": len(new),
            "stuck": len(unanswered), "statuses": dict(sorted(statuses.items())),
            "seconds": round(time.monotonic() - started, 1), "examples_5xx": server_errors,
            "examples_tracebacks": [_described(r) for r in new[:5]], "stuck_chats": unanswered}


def _described(record: logging.LogRecord) -> str:
    """A logged traceback in one line: where, what was said, and the exception."""
    exc = record.exc_info[1] if record.exc_info else None
    return f"{record.name}: {record.getMessage()[:120]}" + (f" ({type(exc).__name__}: {exc})"[:160] if exc else "")


async def main(cases: int, seed: int, channels: list[str]) -> dict:
    """Start cdsbot against fake platforms, fuzz each channel in turn, report per channel and in total."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    rnd = random.Random(seed)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        async with running(Path(folder)) as bot:
            web = {chat: WebChat(bot, chat) for chat in CHATS["web"]}
            for channel in channels:
                results[channel] = await fuzz_channel(bot, channel, cases, rnd, web)
                row = results[channel]
                print(f"{channel:9} {row['cases']:6} cases  5xx {row['5xx']}  tracebacks {row['tracebacks']}  "
                      f"stuck {row['stuck']}  statuses {row['statuses']}  {row['seconds']} s", flush=True)
            for chat in web.values():
                await chat.close()
    total = {key: sum(row[key] for row in results.values()) for key in ("cases", "5xx", "tracebacks", "stuck")}
    return {"seed": seed, "per_channel": {c: {k: r[k] for k in ("cases", "5xx", "tracebacks", "stuck")}
                                          for c, r in results.items()}, **total, "details": results}


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per channel (default 10,000)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--channels", default=",".join(CHANNELS))
    args = parser.parse_args()
    report = asyncio.run(main(args.cases, args.seed, [c for c in args.channels.split(",") if c]))
    for channel, row in report["details"].items():
        for example in row["examples_5xx"] + row["examples_tracebacks"] + row["stuck_chats"]:
            print(f"  {channel}: {example}")
    summary = {key: report[key] for key in ("seed", "cases", "5xx", "tracebacks", "stuck", "per_channel")}
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    run()
