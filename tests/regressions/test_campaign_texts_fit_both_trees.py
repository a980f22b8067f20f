"""Campaign messages are right on the 2023 tree (districts) and the 2025 tree (no districts): none is addressed to
"commune and district officers" — escalation and the officers' notes go to the officers of the level above, whatever
the tree's levels are."""

import re
from pathlib import Path

import pytest
import yaml

CAMPAIGNS = sorted((Path(__file__).resolve().parents[2] / "content" / "campaigns").glob("*.yaml"))
NAMED_LEVEL = {"vi": re.compile(r"\bhuyện\b", re.I), "en": re.compile(r"\bdistricts?\b", re.I)}


def _texts(node, found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(language, text) of every message (`text:` in both languages) in a campaign file."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, dict):
                found += [(lang, str(text)) for lang, text in value.items()]
            else:
                _texts(value, found)
    elif isinstance(node, list):
        for item in node:
            _texts(item, found)
    return found


@pytest.mark.parametrize("path", CAMPAIGNS, ids=[p.stem for p in CAMPAIGNS])
def test_no_message_names_a_level_the_2025_tree_lacks(path):
    texts = _texts(yaml.safe_load(path.read_text(encoding="utf-8")), [])
    assert texts
    assert [text for lang, text in texts if NAMED_LEVEL[lang].search(text)] == []
