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

CAMPAIGNS_DIR = "campaigns"


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
        m = FILE_RE.match(path.name)
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
        m = FILE_RE.match(path.name)
        if m and ID_RE.match(m["id"]):
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
    """Every problem in the guides, campaigns and report types under `root` (the content folder)."""

    root = Path(root)
    guides, problems = check_guides(root / GUIDES_DIR, today=today)
    campaigns_dir = root / CAMPAIGNS_DIR
    if campaigns_dir.is_dir():
        problems.extend(check_campaigns(campaigns_dir, guide_ids={g.id for g in guides}))
    if (root / REPORT_TYPES_FILE).exists():
        problems.extend(check_report_types(root))
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
