"""How-to guides: what a guide is, and how one Markdown file is read and checked.

A guide is one Markdown file per language, `content/guides/<id>.<lang>.md`,
with YAML front matter between `---` lines and a body made of steps, each a
`## <title>` heading followed by plain text (and at most one image line
`![alt](img/<file>.png)`, a PNG rendered from `img/<file>.svg` by
scripts/render_guide_images.py). A step is sent as one chat message, so it is
kept short (see `STEP_LIMIT`), and its picture is sized for phones.

`Problem`, `CONTENT_ROOT` and `LANGS` live here because every content module
(campaigns, report types, the checks in `content`) builds on them, and this
module imports none of those. Looking guides up and searching them is in
`guide_library`; checking the whole folder is in `content`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot import resources
from bot.clock import LOCAL_TZ
from bot.services.guide_images import image_problems

CONTENT_ROOT = resources.CONTENT
GUIDES_DIR = "guides"

LANGS = ("vi", "en")
CATEGORIES = ("public_services", "identity", "payments", "selling_online", "farming_business", "everyday", "learning",
              "safety", "using_bot")
STEP_LIMIT = 700  # characters of one step (title + text): one message on a small phone
REVIEW_EVERY = timedelta(days=365)  # apps and rules change: a guide not reviewed for a year is stale
REQUIRED_KEYS = ("id", "title", "category", "tags", "summary", "version", "last_reviewed", "sources")
OPTIONAL_KEYS = ("related",)

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FILE_RE = re.compile(r"^(?P<id>[^.]+)\.(?P<lang>[a-z]{2})\.md$")
_STEP_RE = re.compile(r"^##\s+(.*?)\s*#*\s*$")
_IMAGE_RE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)\s*$")


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
    image: str | None = None  # path relative to the guide's folder, e.g. "img/x.vi.png"
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
    sources: tuple[str, ...] = ()

    def image_path(self, step: Step) -> Path | None:
        return self.path.parent / step.image if step.image else None


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


def _listing_problems(meta: dict[Any, Any], stem_id: str) -> Iterator[str]:
    """How a guide is named, listed and found (id, title, summary, category, tags) and its version must be sound."""
    guide_id, title, summary, category, version = map(meta.get, ("id", "title", "summary", "category", "version"))
    if guide_id is not None and (not isinstance(guide_id, str) or not ID_RE.match(guide_id)):
        yield f"id {guide_id!r} must be kebab-case (lower-case letters, digits and '-')"
    elif isinstance(guide_id, str) and guide_id != stem_id:
        yield f"id '{guide_id}' differs from the file name '{stem_id}'"
    if title is not None and (not isinstance(title, str) or not title.strip()):
        yield "'title' must be non-empty text"
    if summary is not None and (not isinstance(summary, str) or not summary.strip()):
        yield "'summary' must be non-empty text"
    elif isinstance(summary, str) and "\n" in summary.strip():
        yield "'summary' must be one line"
    if category is not None and category not in CATEGORIES:
        yield f"unknown category {category!r} (expected one of: {', '.join(CATEGORIES)})"
    if meta.get("tags") is not None and not _str_list(meta["tags"]):
        yield "'tags' must be a non-empty list of words"
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
        yield f"'version' must be a whole number from 1 up, not {version!r}"


def _review_and_link_problems(meta: dict[Any, Any], today: date | None) -> Iterator[str]:
    """Stale guides are found by review date, and related guides become buttons, so both must be sound."""
    reviewed, related = meta.get("last_reviewed"), meta.get("related")
    if reviewed is not None:
        day = _as_date(reviewed)
        if day is None:
            yield f"'last_reviewed' must be a date like 2026-11-23, not {reviewed!r}"
        elif day > (today or datetime.now(LOCAL_TZ).date()):
            yield f"'last_reviewed' {day.isoformat()} is in the future"
        elif day < (today or datetime.now(LOCAL_TZ).date()) - REVIEW_EVERY:
            yield f"'last_reviewed' {day.isoformat()} is over a year ago: check the guide against today's apps"
    if meta.get("sources") is not None and not _str_list(meta["sources"]):
        yield "'sources' must be a list of the official sites or documents the guide rests on (name and address)"
    if related is not None:
        related_ids = _str_list(related)
        if related_ids is None:
            yield "'related' must be a list of guide ids"
        elif isinstance(meta.get("id"), str) and meta["id"] in related_ids:
            yield "'related' lists the guide itself"


def _read_front_matter(path: Path) -> tuple[dict[Any, Any], str] | Problem:
    """The front matter and the body, or the one problem that stops the file being read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(path, f"cannot read the file as UTF-8: {exc}")
    split = _split_front_matter(text)
    if split is None:
        return Problem(path, "no front matter: the file must start with a '---' line and close it with '---'")
    try:
        meta = yaml.safe_load(split[0])
    except yaml.YAMLError as exc:
        return Problem(path, f"front matter is not valid YAML: {exc}")
    if not isinstance(meta, dict):
        return Problem(path, "front matter must be a mapping of keys to values")
    return meta, split[1]


def _meta_problems(meta: dict[Any, Any], stem_id: str, today: date | None) -> list[str]:
    """Missing and unknown keys first, then the checks of the keys given, so the shape is fixed first."""
    problems = [f"front matter is missing '{key}'" for key in REQUIRED_KEYS if meta.get(key) is None]
    unknown = sorted(set(meta) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS), key=str)
    problems += [f"unknown front matter key '{key}'" for key in unknown]
    return [*problems, *_listing_problems(meta, stem_id), *_review_and_link_problems(meta, today)]


def _step_problems(n: int, step: Step, folder: Path) -> Iterator[str]:
    """A step is one chat message: it needs a title, some content, a short length and a real image."""
    if not step.title:
        yield f"step {n} has no title"
    if not step.text and not step.image:
        yield f"step {n} '{step.title}' has no text"
    if step.length > STEP_LIMIT:
        yield f"step {n} '{step.title}' is {step.length} characters, over the {STEP_LIMIT} limit"
    if step.image:
        src = Path(step.image)
        if src.is_absolute() or "://" in step.image or ".." in src.parts:
            yield f"step {n} image '{step.image}' must be a relative path like img/<file>.png"
        elif not (folder / src).is_file():
            yield f"step {n} image '{step.image}' does not exist"
        else:
            yield from (f"step {n} image '{step.image}' {p}" for p in image_problems(folder / src))


def _build_guide(meta: dict[Any, Any], lang: str, steps: list[Step], path: Path) -> Guide | None:
    """The guide, when the front matter has what one needs; its problems are reported apart."""
    guide_id, version = meta.get("id"), meta.get("version")
    missing = any(meta.get(key) is None for key in REQUIRED_KEYS)
    if missing or not isinstance(guide_id, str) or not isinstance(meta.get("title"), str):
        return None
    return Guide(
        id=guide_id,
        lang=lang,
        title=str(meta["title"]).strip(),
        category=str(meta.get("category")),
        tags=_str_list(meta.get("tags")) or (),
        summary=str(meta.get("summary") or "").strip(),
        version=version if isinstance(version, int) else 0,
        last_reviewed=_as_date(meta.get("last_reviewed")) or date.min,
        related=_str_list(meta.get("related")) or (),
        steps=tuple(steps),
        path=path,
        sources=_str_list(meta.get("sources")) or (),
    )


def parse_guide(path: Path, today: date | None = None) -> tuple[Guide | None, list[Problem]]:
    """Read one guide file: the guide (None when it cannot be built) and the problems in the file itself.

    Checks that need other files (both languages, `related`, duplicates) are done by `check_content`.
    """
    m = FILE_RE.match(path.name)
    if not m:
        return None, [Problem(path, "file name must be <id>.<lang>.md, e.g. vneid-level2.vi.md")]
    loaded = _read_front_matter(path)
    if isinstance(loaded, Problem):
        return None, [loaded]
    (meta, body), lang = loaded, m["lang"]
    problems: list[str] = []
    if lang not in LANGS:
        problems.append(f"unknown language '{lang}' in the file name (expected one of: {', '.join(LANGS)})")
    problems += _meta_problems(meta, m["id"], today)
    steps, body_problems = _parse_body(body)
    problems += body_problems
    if not steps:
        problems.append("no steps: the body needs at least one '## <step title>' section")
    for n, step in enumerate(steps, 1):
        problems.extend(_step_problems(n, step, path.parent))
    return _build_guide(meta, lang, steps, path), [Problem(path, message) for message in problems]


__all__ = [
    "CATEGORIES",
    "CONTENT_ROOT",
    "GUIDES_DIR",
    "LANGS",
    "STEP_LIMIT",
    "Guide",
    "Problem",
    "Step",
    "parse_guide",
]
