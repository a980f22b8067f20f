"""The loaded guides: look them up by id, language and category, and search them.

Search forgives missing diacritics, case and small typing slips, because
members type on phones, often without Vietnamese accents.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import OSA

from bot.services.guides import CATEGORIES, CONTENT_ROOT, GUIDES_DIR, LANGS, Guide, parse_guide
from bot.text import fold

log = logging.getLogger(__name__)

# Guides offered first when a search finds nothing (missing ids are skipped).
SUGGESTED_IDS = ("dich-vu-cong-online", "vneid-level2", "nhan-biet-lua-dao")

_WORD_RE = re.compile(r"[a-z0-9]+")


# --------------------------------------------------------------------------- search

_TITLE_W, _TAG_W, _SUMMARY_W, _STEP_W = 3.0, 3.0, 2.0, 1.0
LENIENT = 1.1  # mean per-word score a guide needs to be returned at all
STRICT = 2.0  # for text typed outside the guides: a word only in some step's text is not enough


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


def _word_similarity(q: str, vocab: frozenset[str]) -> float:
    """How well one query word matches the best word of a field (0..1).

    Exact match 1; a word typed in part (3+ letters) 0.9; one slip (a wrong,
    missing, extra or swapped letter) in a word of 4+ letters 0.8; two slips in
    a long word 0.6.
    """
    if q in vocab:
        return 1.0
    best = 0.0
    for w in vocab:
        if len(q) >= 3 and w.startswith(q):
            best = max(best, 0.9)
        elif len(q) >= 4 and abs(len(q) - len(w)) <= 2:
            d = OSA.distance(q, w, score_cutoff=2)
            if d == 1:
                best = max(best, 0.8)
            elif d == 2 and len(q) >= 8:
                best = max(best, 0.6)
    return best


@dataclass(frozen=True)
class _SearchIndex:
    title: frozenset[str]
    tags: frozenset[str]
    summary: frozenset[str]
    steps: frozenset[str]
    title_text: str
    tag_texts: tuple[str, ...]
    summary_text: str
    id_text: str

    @classmethod
    def build(cls, guide: Guide) -> _SearchIndex:
        tag_words = [w for t in guide.tags for w in _words(t)]
        step_words = [w for s in guide.steps for w in _words(f"{s.title} {s.text}")]
        return cls(
            title=frozenset(_words(guide.title)),
            tags=frozenset(tag_words + _words(guide.id.replace("-", " "))),
            summary=frozenset(_words(guide.summary)),
            steps=frozenset(step_words),
            title_text=" ".join(_words(guide.title)),
            tag_texts=tuple(" ".join(_words(t)) for t in guide.tags),
            summary_text=" ".join(_words(guide.summary)),
            id_text=" ".join(_words(guide.id.replace("-", " "))),
        )

    def score(self, words: list[str]) -> float:
        total = 0.0
        for q in words:
            total += max(
                _TITLE_W * _word_similarity(q, self.title),
                _TAG_W * _word_similarity(q, self.tags),
                _SUMMARY_W * _word_similarity(q, self.summary),
                _STEP_W * _word_similarity(q, self.steps),
            )
        score = total / len(words)
        phrase = " ".join(words)
        if len(words) >= 2 or len(phrase) >= 4:
            # The words typed together, in order: a strong sign of the right guide.
            if phrase in self.tag_texts or phrase == self.id_text:
                score += 1.5
            elif any(f" {phrase} " in f" {t} " for t in self.tag_texts):
                score += 1.0
            if f" {phrase} " in f" {self.title_text} ":
                score += 1.0
            elif f" {phrase} " in f" {self.summary_text} ":
                score += 0.5
        return score


# --------------------------------------------------------------------------- library


class GuideLibrary:
    """All loaded guides, by id and language."""

    def __init__(self, guides: Iterable[Guide] = ()) -> None:
        self._by_lang: dict[str, dict[str, Guide]] = defaultdict(dict)
        self._indexes: dict[tuple[str, str], _SearchIndex] = {}  # (lang, id), built at first search
        for guide in guides:
            self._by_lang[guide.lang][guide.id] = guide

    def __len__(self) -> int:
        return len(self.ids())

    def __iter__(self) -> Iterator[Guide]:
        for lang in sorted(self._by_lang):
            yield from self._by_lang[lang].values()

    def ids(self) -> list[str]:
        return sorted({gid for by_id in self._by_lang.values() for gid in by_id})

    def get(self, guide_id: str, lang: str) -> Guide | None:
        """The guide in `lang`, else in another language, else None."""
        guide = self._by_lang.get(lang, {}).get(guide_id)
        if guide is not None:
            return guide
        for other in (*LANGS, *sorted(self._by_lang)):
            guide = self._by_lang.get(other, {}).get(guide_id)
            if guide is not None:
                return guide
        return None

    def all(self, lang: str) -> list[Guide]:
        """One guide per id, in `lang` where it exists, sorted by title."""
        guides = [g for gid in self.ids() if (g := self.get(gid, lang)) is not None]
        return sorted(guides, key=lambda g: (fold(g.title), g.id))

    def categories(self, lang: str) -> list[str]:
        present = {g.category for g in self.all(lang)}
        return [c for c in CATEGORIES if c in present]

    def in_category(self, category: str, lang: str) -> list[Guide]:
        return [g for g in self.all(lang) if g.category == category]

    def search(self, query: str, lang: str, limit: int = 5, threshold: float = LENIENT) -> list[Guide]:
        """Guides matching `query`, best first; [] when nothing scores `threshold`.

        Diacritics and case do not matter, and a one-letter slip in a word of
        four letters or more is forgiven. A higher threshold (`STRICT`) keeps
        only matches in titles, tags and summaries.
        """
        words = _words(query)
        if len(words) > 1:
            words = [w for w in words if len(w) > 1] or words
        if not words or limit <= 0:
            return []
        scored = []
        for guide in self.all(lang):
            score = self._index(guide).score(words)
            if score >= threshold:
                scored.append((score, guide))
        scored.sort(key=lambda sg: (-sg[0], fold(sg[1].title), sg[1].id))
        return [g for _, g in scored[:limit]]

    def _index(self, guide: Guide) -> _SearchIndex:
        """The guide's search words, built once so each search only scores."""
        key = (guide.lang, guide.id)
        if key not in self._indexes:
            self._indexes[key] = _SearchIndex.build(guide)
        return self._indexes[key]

    def suggest(self, lang: str, n: int = 3) -> list[Guide]:
        """A few guides to offer when a search finds nothing."""
        picked: list[Guide] = []
        for gid in SUGGESTED_IDS:
            guide = self.get(gid, lang)
            if guide is not None:
                picked.append(guide)
        for category in self.categories(lang):  # then one per category
            for guide in self.in_category(category, lang):
                if guide not in picked:
                    picked.append(guide)
                    break
        return picked[:n]


def load_guides(root: Path = CONTENT_ROOT / GUIDES_DIR) -> GuideLibrary:
    """Load every guide under `root`; a file that cannot be read is logged and skipped.

    Run `check_content` to see every problem; loading stays lenient so one bad
    file never takes the bot down.
    """
    guides: list[Guide] = []
    for path in sorted(Path(root).glob("*.md")):
        guide, problems = parse_guide(path)
        for problem in problems:
            log.warning("guide problem: %s", problem)
        if guide is not None and guide.lang in LANGS:
            guides.append(guide)
    return GuideLibrary(guides)


__all__ = ["SUGGESTED_IDS", "GuideLibrary", "load_guides"]
