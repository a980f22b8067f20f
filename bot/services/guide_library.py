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

_WORD_RE = re.compile(r"[a-z0-9]+")


# --------------------------------------------------------------------------- search

_TITLE_W, _TAG_W, _SUMMARY_W, _STEP_W = 3.0, 3.0, 2.0, 1.0
LENIENT = 1.1  # mean per-word score a guide needs to be returned at all
STRICT = 2.0  # for text typed outside the guides: a word only in some step's text is not enough
MIN_COVERAGE = 0.7  # how much of the query's meaningful words a guide's title, tags or summary must hold
_IN_TITLE_BONUS = 0.3  # of two guides matching alike, the one whose title holds the words comes first
MAX_QUERY_WORDS = 12  # a search is a few words; scoring every word of a pasted page took a second of CPU
# Words said around a question ("tôi không biết … thì làm sao", "how do I …"): they carry no topic.
STOP_WORDS = frozenset("""
    toi minh em anh chi ba ong co chu bac con ban oi a a nhe nha di vay the thi la gi sao nao lam khong chua duoc
    bi cho de cua va voi tren o dau nay do ma roi hay hoac nhu biet muon can phai giup cach ra vao len xuong
    i me my we you your a an the is are was what how why where when to do does dont not can could please
    on in at for of and or with it this that there know want need get
""".split())
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


def _held(q: str, similarity: float) -> float:
    """How surely a field holds query word `q`: a slip in a short syllable is often another word (tiền, kiến)."""
    if similarity >= 0.9:
        return 1.0
    if similarity >= 0.8:
        return 0.8 if len(q) >= 5 else 0.5
    return 0.0


def _coverage(words: list[str], held: list[float]) -> float:
    """Share of the words held; a stray one- or two-letter token ("qe" for "qr") beside words all held is a typo."""
    stray = [not h and len(q) <= 2 for q, h in zip(words, held, strict=True)]
    kept = [h for h, s in zip(held, stray, strict=True) if not s]
    if kept and any(stray) and all(h == 1.0 for h in kept):
        return 1.0
    return sum(held) / len(held)


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

    def score(self, words: list[str]) -> tuple[float, float]:
        """(how well the guide matches, share of the meaningful words its title, tags or summary hold)."""
        meaningful = [q for q in words if q not in STOP_WORDS] or words
        total = in_title = 0.0
        held: list[float] = []  # per meaningful word: how surely the title, tags or summary hold it
        for q in meaningful:
            title, tags, summary = (_word_similarity(q, f) for f in (self.title, self.tags, self.summary))
            total += max(_TITLE_W * title, _TAG_W * tags, _SUMMARY_W * summary,
                         _STEP_W * _word_similarity(q, self.steps))
            held.append(_held(q, max(title, tags, summary)))
            in_title += title >= 0.8
        score = total / len(meaningful) + _IN_TITLE_BONUS * in_title / len(meaningful)
        return score + self._phrase_bonus(words), _coverage(meaningful, held)

    def _phrase_bonus(self, words: list[str]) -> float:
        """The words typed together, in order, as a tag, the id, or part of the title or summary: a strong sign."""
        phrase = " ".join(words)
        if len(words) < 2 and len(phrase) < 4:
            return 0.0
        bonus = 0.0
        if phrase in self.tag_texts or phrase == self.id_text:
            bonus += 1.5
        elif any(f" {phrase} " in f" {t} " for t in self.tag_texts):
            bonus += 1.0
        if f" {phrase} " in f" {self.title_text} ":
            bonus += 1.0
        elif f" {phrase} " in f" {self.summary_text} ":
            bonus += 0.5
        return bonus


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
        """Guides matching `query`, best first; [] when no guide is a good match.

        Diacritics and case do not matter, and a one-letter slip in a word of
        four letters or more is forgiven. A good match scores `threshold` and
        holds most of the query's meaningful words (not "tôi", "làm sao" …) in its
        title, tags or summary, so a topic no guide covers finds nothing rather
        than guides that share a word or two. A higher threshold (`STRICT`)
        keeps only matches in titles, tags and summaries.
        """
        words = list(dict.fromkeys(_words(query)))[:MAX_QUERY_WORDS]
        if len(words) > 1:
            words = [w for w in words if len(w) > 1] or words
        if not words or limit <= 0:
            return []
        scored = []
        for guide in self.all(lang):
            score, coverage = self._index(guide).score(words)
            if score >= threshold and coverage >= MIN_COVERAGE:
                scored.append((score, guide))
        scored.sort(key=lambda sg: (-sg[0], fold(sg[1].title), sg[1].id))
        return [g for _, g in scored[:limit]]

    def _index(self, guide: Guide) -> _SearchIndex:
        """The guide's search words, built once so each search only scores."""
        key = (guide.lang, guide.id)
        if key not in self._indexes:
            self._indexes[key] = _SearchIndex.build(guide)
        return self._indexes[key]


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


__all__ = ["GuideLibrary", "load_guides"]
