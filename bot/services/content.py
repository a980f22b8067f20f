"""Checks and counts over the whole content folder: guides, campaigns and report types.

This is the facade behind `cdsbot content check` and `cdsbot content stats`;
the guide model and parsing are in `guides`, look-up and search in
`guide_library`, campaigns in `campaigns`, report types in `report_types`.

This module holds no user-facing chat strings: the problems it reports are for
content editors running `cdsbot content check`, and the chat handlers translate
their own words through Babel.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from bot.services.campaigns import check_campaigns
from bot.services.guide_library import load_guides
from bot.services.guides import (
    CATEGORIES,
    CONTENT_ROOT,
    FILE_RE,
    GUIDES_DIR,
    ID_RE,
    LANGS,
    Guide,
    Problem,
    parse_guide,
)
from bot.services.report_types import FILE_NAME as REPORT_TYPES_FILE
from bot.services.report_types import check_report_types
from bot.services.targets import check_targets
from bot.services.unit_kinds import check_kinds

CAMPAIGNS_DIR = "campaigns"


_LANG_NAMES = {"vi": "Vietnamese", "en": "English"}


def _parse_folder(root: Path, today: date | None) -> tuple[list[Guide], list[Problem]]:
    """Parse every guide file in the folder, and flag files that do not belong in it."""
    problems: list[Problem] = []
    guides: list[Guide] = []
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
    return guides, problems


def _stem(path: Path) -> str:
    """The id in a guide's file name (the whole name if it has none), to tell an original from a copy."""
    m = FILE_RE.match(path.name)
    return m["id"] if m else path.name


def _duplicate_problems(guides: list[Guide]) -> list[Problem]:
    """Two guides with one id and language would shadow each other, so the copy is reported."""
    problems: list[Problem] = []
    # A file whose id matches its name is the original; any other with that id is the duplicate.
    seen: dict[tuple[str, str], Guide] = {}
    for guide in sorted(guides, key=lambda g: (g.id != _stem(g.path), g.path.name)):
        key = (guide.id, guide.lang)
        if key in seen:
            problems.append(
                Problem(guide.path, f"duplicate id '{guide.id}' ({guide.lang}): also in {seen[key].path.name}")
            )
        else:
            seen[key] = guide
    return problems


def _files_by_id(root: Path) -> dict[str, dict[str, Path]]:
    """Guide files by id and language, judged by file names, so a broken file still counts as present."""
    files_by_id: dict[str, dict[str, Path]] = defaultdict(dict)
    for path in sorted(root.glob("*.md")):
        m = FILE_RE.match(path.name)
        if m and ID_RE.match(m["id"]):
            files_by_id[m["id"]][m["lang"]] = path
    return files_by_id


def _language_problems(files_by_id: dict[str, dict[str, Path]]) -> list[Problem]:
    """Members read guides in either language, so each guide needs a file for both."""
    problems: list[Problem] = []
    for gid, files in sorted(files_by_id.items()):
        for lang in LANGS:
            if lang not in files:
                path = next(iter(files.values()))
                problems.append(Problem(path, f"no {_LANG_NAMES.get(lang, lang)} version: expected {gid}.{lang}.md"))
    return problems


def _related_problems(guides: list[Guide], known: set[str]) -> list[Problem]:
    """Related guides become buttons, so each must name a guide that exists."""
    return [
        Problem(guide.path, f"related guide '{rid}' does not exist")
        for guide in guides
        for rid in guide.related
        if rid not in known
    ]


def _parity_problems(guides: list[Guide]) -> list[Problem]:
    """A member who switches language lands on the same step, picture and related guides, so the versions match."""
    by_id: dict[str, dict[str, Guide]] = defaultdict(dict)
    for guide in guides:
        by_id[guide.id].setdefault(guide.lang, guide)
    problems: list[Problem] = []
    for versions in by_id.values():
        first, *others = [versions[lang] for lang in LANGS if lang in versions]
        for other in others:
            if len(other.steps) != len(first.steps):
                problems.append(Problem(other.path, f"{len(other.steps)} steps, but {first.path.name} has "
                                                    f"{len(first.steps)}: both languages need the same steps"))
            elif [bool(s.image) for s in other.steps] != [bool(s.image) for s in first.steps]:
                problems.append(Problem(other.path, f"pictures are on other steps than in {first.path.name}"))
            if set(other.related) != set(first.related):
                problems.append(Problem(other.path, f"'related' differs from {first.path.name}"))
    return problems


def check_guides(root: Path, today: date | None = None) -> tuple[list[Guide], list[Problem]]:
    """Check every guide file under `root` (the `guides/` folder)."""
    root = Path(root)
    if not root.is_dir():
        return [], [Problem(root, "guides folder not found")]
    guides, problems = _parse_folder(root, today)
    files_by_id = _files_by_id(root)
    problems += _duplicate_problems(guides)
    problems += _language_problems(files_by_id)
    problems += _related_problems(guides, set(files_by_id) | {g.id for g in guides})
    problems += _parity_problems(guides)
    return guides, problems


def check_content(root: Path = CONTENT_ROOT, today: date | None = None) -> list[Problem]:
    """Every problem in the guides, campaigns and report types under `root` (the content folder)."""

    root = Path(root)
    guides, problems = check_guides(root / GUIDES_DIR, today=today)
    campaigns_dir = root / CAMPAIGNS_DIR
    if campaigns_dir.is_dir():
        problems.extend(check_campaigns(campaigns_dir, guide_ids={g.id for g in guides}))
    if (root / REPORT_TYPES_FILE).exists():
        problems.extend(check_report_types(root))
        problems.extend(check_targets(root))
    if (root / "units" / "kinds.yaml").exists():
        problems.extend(check_kinds(root / "units" / "kinds.yaml"))
    return problems


def content_stats(root: Path = CONTENT_ROOT) -> dict[str, Any]:
    """Counts for `cdsbot content stats`: guides by language and category, steps, illustrated guides, campaigns."""
    root = Path(root)
    library = load_guides(root / GUIDES_DIR)
    by_lang: Counter[str] = Counter()
    by_category: dict[str, dict[str, int]] = {c: dict.fromkeys(LANGS, 0) for c in CATEGORIES}
    steps: Counter[str] = Counter()
    illustrated: Counter[str] = Counter()
    images: Counter[str] = Counter()
    for guide in library:
        by_lang[guide.lang] += 1
        pictures = sum(1 for step in guide.steps if step.image)
        illustrated[guide.lang] += pictures > 0
        images[guide.lang] += pictures
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
        "illustrated": {lang: illustrated.get(lang, 0) for lang in LANGS},
        "images": {lang: images.get(lang, 0) for lang in LANGS},
        "campaigns": campaigns,
    }
