"""How-to guides: load them from Markdown, check them, and search them.

A guide is one Markdown file per language, `content/guides/<id>.<lang>.md`,
with YAML front matter between `---` lines and a body made of steps, each a
`## <title>` heading followed by plain text (and at most one image line
`![alt](images/<file>.png)`). A step is sent as one chat message, so it is
kept short (see `STEP_LIMIT`).

This module holds no user-facing chat strings: the problems it reports are for
content editors running `cdsbot content check`, and the chat handlers translate
their own words through Babel.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rapidfuzz.distance import OSA

from bot.text import fold

log = logging.getLogger(__name__)

CONTENT_ROOT = Path(__file__).resolve().parents[2] / "content"
GUIDES_DIR = "guides"
CAMPAIGNS_DIR = "campaigns"

LANGS = ("vi", "en")
CATEGORIES = (
    "public_services",
    "identity",
    "payments",
    "selling_online",
    "learning",
    "safety",
    "using_bot",
)
STEP_LIMIT = 700  # characters of one step (title + text): one message on a small phone
REQUIRED_KEYS = ("id", "title", "category", "tags", "summary", "version", "last_reviewed")
OPTIONAL_KEYS = ("related",)
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Guides offered first when a search finds nothing (missing ids are skipped).
SUGGESTED_IDS = ("dich-vu-cong-online", "vneid-level2", "nhan-biet-lua-dao")

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FILE_RE = re.compile(r"^(?P<id>[^.]+)\.(?P<lang>[a-z]{2})\.md$")
_STEP_RE = re.compile(r"^##\s+(.*?)\s*#*\s*$")
_IMAGE_RE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)\s*$")
_WORD_RE = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, for an editor: which file and what."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    image: str | None = None  # path relative to the guide's folder, e.g. "images/x.png"
    image_alt: str = ""

    @property
    def length(self) -> int:
        """Characters this step takes as a message: title line plus text."""
        return len(self.title) + 1 + len(self.text)


@dataclass(frozen=True)
class Guide:
    id: str
    lang: str
    title: str
    category: str
    tags: tuple[str, ...]
    summary: str
    version: int
    last_reviewed: date
    related: tuple[str, ...]
    steps: tuple[Step, ...]
    path: Path

    def image_path(self, step: Step) -> Path | None:
        return self.path.parent / step.image if step.image else None

    @cached_property
    def _index(self) -> _SearchIndex:
        return _SearchIndex.build(self)


# --------------------------------------------------------------------------- parsing


def _split_front_matter(text: str) -> tuple[str, str] | None:
    """Return (front matter, body), or None when the file does not start with one."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :])
    return None


def _parse_body(body: str) -> tuple[list[Step], list[str]]:
    """Split the body into steps; return the steps and the problems met."""
    problems: list[str] = []
    steps: list[Step] = []
    title: str | None = None
    lines: list[str] = []
    preamble: list[str] = []

    def close() -> None:
        if title is None:
            return
        image = alt = None
        kept: list[str] = []
        for line in lines:
            m = _IMAGE_RE.match(line.strip())
            if m:
                if image is not None:
                    problems.append(f"step '{title}' has more than one image")
                image, alt = m["src"], m["alt"]
            else:
                kept.append(line.rstrip())
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
        steps.append(Step(title=title, text=text, image=image, image_alt=alt or ""))

    for line in body.splitlines():
        m = _STEP_RE.match(line) if line.startswith("## ") else None
        if m:
            close()
            title, lines = m.group(1).strip(), []
        elif title is None:
            preamble.append(line)
        else:
            lines.append(line)
    close()
    if any(line.strip() for line in preamble):
        problems.append("text before the first step: every part of the body must be under a '## ' step title")
    return steps, problems


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _str_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return tuple(v.strip() for v in value)


def parse_guide(path: Path, today: date | None = None) -> tuple[Guide | None, list[Problem]]:
    """Read one guide file.

    Returns the guide (None when it cannot be built at all) and every problem
    found in the file itself; checks that need other files (both languages,
    `related`, duplicates) are done by `check_content`.
    """
    problems: list[str] = []
    m = _FILE_RE.match(path.name)
    if not m:
        return None, [Problem(path, "file name must be <id>.<lang>.md, e.g. vneid-level2.vi.md")]
    stem_id, lang = m["id"], m["lang"]
    if lang not in LANGS:
        problems.append(f"unknown language '{lang}' in the file name (expected one of: {', '.join(LANGS)})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, f"cannot read the file as UTF-8: {exc}")]
    split = _split_front_matter(text)
    if split is None:
        return None, [Problem(path, "no front matter: the file must start with a '---' line and close it with '---'")]
    raw, body = split
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        return None, [Problem(path, f"front matter is not valid YAML: {exc}")]
    if not isinstance(meta, dict):
        return None, [Problem(path, "front matter must be a mapping of keys to values")]

    missing = [k for k in REQUIRED_KEYS if k not in meta or meta[k] is None]
    for key in missing:
        problems.append(f"front matter is missing '{key}'")
    for key in sorted(set(meta) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS), key=str):
        problems.append(f"unknown front matter key '{key}'")

    guide_id = meta.get("id")
    if "id" not in missing:
        if not isinstance(guide_id, str) or not _ID_RE.match(guide_id):
            problems.append(f"id {guide_id!r} must be kebab-case (lower-case letters, digits and '-')")
        elif guide_id != stem_id:
            problems.append(f"id '{guide_id}' differs from the file name '{stem_id}'")
    for key in ("title", "summary"):
        value = meta.get(key)
        if key not in missing and (not isinstance(value, str) or not value.strip()):
            problems.append(f"'{key}' must be non-empty text")
        elif key == "summary" and isinstance(value, str) and "\n" in value.strip():
            problems.append("'summary' must be one line")
    category = meta.get("category")
    if "category" not in missing and category not in CATEGORIES:
        problems.append(f"unknown category {category!r} (expected one of: {', '.join(CATEGORIES)})")
    tags = _str_list(meta.get("tags"))
    if "tags" not in missing and not tags:
        problems.append("'tags' must be a non-empty list of words")
    version = meta.get("version")
    if "version" not in missing and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
        problems.append(f"'version' must be a whole number from 1 up, not {version!r}")
    reviewed = _as_date(meta.get("last_reviewed"))
    if "last_reviewed" not in missing:
        today = today or datetime.now(LOCAL_TZ).date()
        if reviewed is None:
            problems.append(f"'last_reviewed' must be a date like 2026-11-23, not {meta.get('last_reviewed')!r}")
        elif reviewed > today:
            problems.append(f"'last_reviewed' {reviewed.isoformat()} is in the future")
    related: tuple[str, ...] = ()
    if meta.get("related") is not None:
        related_value = _str_list(meta.get("related"))
        if related_value is None:
            problems.append("'related' must be a list of guide ids")
        else:
            related = related_value
            if isinstance(guide_id, str) and guide_id in related:
                problems.append("'related' lists the guide itself")

    steps, body_problems = _parse_body(body)
    problems.extend(body_problems)
    if not steps:
        problems.append("no steps: the body needs at least one '## <step title>' section")
    for n, step in enumerate(steps, 1):
        if not step.title:
            problems.append(f"step {n} has no title")
        if not step.text and not step.image:
            problems.append(f"step {n} '{step.title}' has no text")
        if step.length > STEP_LIMIT:
            problems.append(f"step {n} '{step.title}' is {step.length} characters, over the {STEP_LIMIT} limit")
        if step.image:
            src = Path(step.image)
            if src.is_absolute() or "://" in step.image or ".." in src.parts:
                problems.append(f"step {n} image '{step.image}' must be a relative path like images/<file>.png")
            elif not (path.parent / src).is_file():
                problems.append(f"step {n} image '{step.image}' does not exist")

    result = [Problem(path, msg) for msg in problems]
    if missing or not isinstance(guide_id, str) or not isinstance(meta.get("title"), str):
        return None, result
    guide = Guide(
        id=guide_id,
        lang=lang,
        title=str(meta["title"]).strip(),
        category=str(category),
        tags=tags or (),
        summary=str(meta.get("summary") or "").strip(),
        version=version if isinstance(version, int) else 0,
        last_reviewed=reviewed or date.min,
        related=related,
        steps=tuple(steps),
        path=path,
    )
    return guide, result


# --------------------------------------------------------------------------- search

_TITLE_W, _TAG_W, _SUMMARY_W, _STEP_W = 3.0, 3.0, 2.0, 1.0
_THRESHOLD = 1.1  # mean per-word score a guide needs to be returned at all


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

    def search(self, query: str, lang: str, limit: int = 5) -> list[Guide]:
        """Guides matching `query`, best first; [] when nothing matches well enough.

        Diacritics and case do not matter, and a one-letter slip in a word of
        four letters or more is forgiven.
        """
        words = _words(query)
        if len(words) > 1:
            words = [w for w in words if len(w) > 1] or words
        if not words or limit <= 0:
            return []
        scored = []
        for guide in self.all(lang):
            score = guide._index.score(words)
            if score >= _THRESHOLD:
                scored.append((score, guide))
        scored.sort(key=lambda sg: (-sg[0], fold(sg[1].title), sg[1].id))
        return [g for _, g in scored[:limit]]

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


# --------------------------------------------------------------------------- checks


def check_guides(root: Path, today: date | None = None) -> tuple[list[Guide], list[Problem]]:
    """Check every guide file under `root` (the `guides/` folder)."""
    problems: list[Problem] = []
    guides: list[Guide] = []
    root = Path(root)
    if not root.is_dir():
        return [], [Problem(root, "guides folder not found")]
    for path in sorted(root.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        if path.suffix != ".md":
            problems.append(Problem(path, "unexpected file in the guides folder (guides end in .<lang>.md)"))
            continue
        guide, found = parse_guide(path, today=today)
        problems.extend(found)
        if guide is not None:
            guides.append(guide)

    def stem(path: Path) -> str:
        m = _FILE_RE.match(path.name)
        return m["id"] if m else path.name

    # A file whose id matches its name is the original; any other with that id is the duplicate.
    seen: dict[tuple[str, str], Guide] = {}
    for guide in sorted(guides, key=lambda g: (g.id != stem(g.path), g.path.name)):
        key = (guide.id, guide.lang)
        if key in seen:
            problems.append(
                Problem(guide.path, f"duplicate id '{guide.id}' ({guide.lang}): also in {seen[key].path.name}")
            )
        else:
            seen[key] = guide

    # Both languages: judged by file names, so a broken file still counts as present.
    files_by_id: dict[str, dict[str, Path]] = defaultdict(dict)
    for path in sorted(root.glob("*.md")):
        m = _FILE_RE.match(path.name)
        if m and _ID_RE.match(m["id"]):
            files_by_id[m["id"]][m["lang"]] = path
    names = {"vi": "Vietnamese", "en": "English"}
    for gid, files in sorted(files_by_id.items()):
        for lang in LANGS:
            if lang not in files:
                path = next(iter(files.values()))
                problems.append(Problem(path, f"no {names.get(lang, lang)} version: expected {gid}.{lang}.md"))

    known = set(files_by_id) | {g.id for g in guides}
    for guide in guides:
        for rid in guide.related:
            if rid not in known:
                problems.append(Problem(guide.path, f"related guide '{rid}' does not exist"))
    return guides, problems


def check_content(root: Path = CONTENT_ROOT, today: date | None = None) -> list[Problem]:
    """Every problem in the guides and campaigns under `root` (which holds `guides/` and `campaigns/`)."""
    from bot.services.campaigns import check_campaigns  # imported here: campaigns imports this module

    root = Path(root)
    guides, problems = check_guides(root / GUIDES_DIR, today=today)
    campaigns_dir = root / CAMPAIGNS_DIR
    if campaigns_dir.is_dir():
        problems.extend(check_campaigns(campaigns_dir, guide_ids={g.id for g in guides}))
    return problems


def content_stats(root: Path = CONTENT_ROOT) -> dict[str, Any]:
    """Counts for `cdsbot content stats`: guides by language and category, steps, campaigns."""
    root = Path(root)
    library = load_guides(root / GUIDES_DIR)
    by_lang: Counter[str] = Counter()
    by_category: dict[str, dict[str, int]] = {c: dict.fromkeys(LANGS, 0) for c in CATEGORIES}
    steps: Counter[str] = Counter()
    for guide in library:
        by_lang[guide.lang] += 1
        by_category.setdefault(guide.category, dict.fromkeys(LANGS, 0))
        by_category[guide.category][guide.lang] = by_category[guide.category].get(guide.lang, 0) + 1
        steps[guide.lang] += len(guide.steps)
    campaigns_dir = root / CAMPAIGNS_DIR
    campaigns = sorted(p.stem for p in campaigns_dir.glob("*.yaml")) if campaigns_dir.is_dir() else []
    return {
        "guides": len(library),
        "by_lang": {lang: by_lang.get(lang, 0) for lang in LANGS},
        "by_category": by_category,
        "steps": {lang: steps.get(lang, 0) for lang in LANGS},
        "campaigns": campaigns,
    }


__all__ = [
    "CATEGORIES",
    "CONTENT_ROOT",
    "LANGS",
    "STEP_LIMIT",
    "Guide",
    "GuideLibrary",
    "Problem",
    "Step",
    "check_content",
    "check_guides",
    "content_stats",
    "load_guides",
    "parse_guide",
]
