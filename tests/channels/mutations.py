"""Mutated webhook bodies for the fuzzers: genuine templates, then a few mutations as (operation, place, value).

The same `apply` serves Hypothesis (tests/channels/test_fuzz_webhooks.py draws the mutations) and
bench/fuzz.py (draws them from a seeded `random.Random`), so a case is reproducible from its mutations.
"""

import copy
import json
import random
from pathlib import Path

TESTDATA = Path(__file__).parent
OPERATIONS = ("set", "set", "set", "delete", "add", "wrap", "truncate", "deepen", "junk")
INTERESTING = [
    0, -1, 1, 1e20, -1e20, 2**63, 2**64, -(2**63) - 1, 1.5, 1e-300, True, False, None, "", " ", "0", "1", "12",
    "x" * 3000, "\u0000", "a\u0000b", "\ud800", "x\udfff", "\ud7ff🙂", "<b>x</b>", "/start", "/start ABCD2345",
    "/menu", "/link", "/cancel", "/help", "/language", "#cds:menu:help", "menu:report", "report:confirm",
    "chat:opened:vi", "9" * 500, "1760000000000",
    "https://example.invalid/x.jpg", [], {}, [[[]]], {"id": 1}, {"id": "a" * 100}, [{"file_id": 1}],
]
CHATS = {"telegram": [700000001, 700000002, -1001234567890], "zalo_oa": ["8000000000000000001", "8000000000000000002"],
         "zalo_bot": ["a1b2c3d4e5f6a7b8c9d0", "b1b2c3d4e5f6a7b8c9d1"], "web": ["fuzzchat-0001", "fuzzchat-0002"]}


def _load(channel: str, *names: str) -> list[dict]:
    return [json.loads((TESTDATA / channel / "testdata" / f"{name}.json").read_text("utf-8")) for name in names]


TEMPLATES = {
    "telegram": _load("telegram", "text", "start_code", "callback_query", "photo", "contact_own", "sticker",
                      "my_chat_member_kicked", "my_chat_member_unblocked", "group_text"),
    "zalo_oa": _load("zalo_oa", "user_send_text", "query_tap", "user_send_image", "user_send_sticker", "follow",
                     "unfollow", "user_seen_message"),
    "zalo_bot": [t["result"] for t in _load("zalo_bot", "text", "image_live", "sticker", "unsupported")],
    "web": [{"type": "text", "id": "m0000001", "text": "Xin chào"}, {"type": "button", "id": "m0000002",
            "payload": "menu:report"}, {"type": "photo", "id": "m0000003", "ref": "a" * 24 + ".jpg", "text": "ảnh"},
            {"type": "text", "id": "m0000004", "text": "/start"}],
}


def places(body: object, path: tuple = ()) -> list[tuple]:
    """Every path into a JSON value (the root included), depth first."""
    found = [path]
    if isinstance(body, dict):
        for key, value in body.items():
            found += places(value, path + (key,))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            found += places(value, path + (index,))
    return found


def _holder(body: object, path: tuple) -> object:
    for key in path:
        body = body[key]
    return body


def _mutate(body: object, operation: str, where: int, value: object) -> object:
    """One structural mutation of a parsed body (a copy is changed and returned)."""
    paths = places(body)
    path = paths[where % len(paths)]
    if not path:  # the root itself
        return value if operation == "set" else [body] if operation == "wrap" else body
    parent, key = _holder(body, path[:-1]), path[-1]
    if operation == "set":
        parent[key] = copy.deepcopy(value)
    elif operation == "delete":
        del parent[key]
    elif operation == "wrap":
        parent[key] = {"v": parent[key]} if where % 2 else [parent[key]]
    elif operation == "add" and isinstance(parent, dict):
        parent[str(value)[:12] or "k"] = copy.deepcopy(value)
    return body


def _raw(raw: bytes, operation: str, where: int) -> bytes:
    """Byte-level mutations: a cut body, deep nesting around it, stray bytes inside."""
    if operation == "truncate":
        return raw[: where % max(len(raw), 1)]
    if operation == "deepen":
        depth = [40, 1_000, 100_000][where % 3]
        return b"[" * depth + raw + b"]" * depth
    at = where % max(len(raw), 1)
    return raw[:at] + bytes([where % 256]) + raw[at:]


def apply(template: dict, mutations: list[tuple[str, int, object]]) -> bytes:
    """The template with every mutation applied, as the bytes a platform would post."""
    body: object = copy.deepcopy(template)
    raw_ops = []
    for operation, where, value in mutations:
        if operation in ("truncate", "deepen", "junk"):
            raw_ops.append((operation, where))
        else:
            body = _mutate(body, operation, where, value)
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace")  # lone surrogates: escaped
    for operation, where in raw_ops:
        raw = _raw(raw, operation, where)
    return raw


def random_value(rnd: random.Random, depth: int = 0) -> object:
    """A JSON value for bench/fuzz.py: mostly the interesting ones, sometimes random scalars or containers."""
    kind = rnd.random()
    if kind < 0.5:
        return rnd.choice(INTERESTING)
    if kind < 0.65:
        return rnd.randint(-(2**70), 2**70)
    if kind < 0.8:  # ASCII and other scripts
        codes = (rnd.choice((rnd.randint(32, 126), rnd.randint(0x80, 0x2FFF))) for _ in range(rnd.randint(0, 12)))
        return "".join(map(chr, codes))
    if kind < 0.9 and depth < 3:
        return [random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    if depth < 3:
        return {f"k{n}": random_value(rnd, depth + 1) for n in range(rnd.randint(0, 3))}
    return rnd.random() * 10 ** rnd.randint(-5, 25)


def random_mutations(rnd: random.Random) -> list[tuple[str, int, object]]:
    """One to three mutations for bench/fuzz.py; a tenth of the cases are left genuine."""
    if rnd.random() < 0.1:
        return []
    return [(rnd.choice(OPERATIONS), rnd.randint(0, 10_000), random_value(rnd)) for _ in range(rnd.randint(1, 3))]
