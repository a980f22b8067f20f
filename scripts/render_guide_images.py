"""Render the guides' diagrams (content/guides/img/*.svg) to the PNGs the bot sends, sized for phones.

The SVGs are the sources, drawn for cdsbot; the PNGs beside them are committed, so neither the bot nor CI
needs a renderer. After editing an SVG run:

    .venv/bin/pip install resvg-py    # pure wheel, no system libraries
    .venv/bin/python scripts/render_guide_images.py          # renders every SVG whose PNG is missing or older
    .venv/bin/python scripts/render_guide_images.py --all    # renders them all

then `cdsbot content check`, which refuses a PNG over 1,280 px or 200 KB. Text is drawn with DejaVu Sans
(Debian's fonts-dejavu-core), which has every Vietnamese letter.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.services.guide_images import IMAGE_MAX_PX, image_problems  # noqa: E402
from bot.services.guides import CONTENT_ROOT  # noqa: E402

IMG_DIR = CONTENT_ROOT / "guides" / "img"
WIDTH = 720  # px: sharp on a phone and a few tens of KB; below IMAGE_MAX_PX


def stale(svg: Path) -> bool:
    """Whether the SVG's PNG is missing or older than the SVG."""
    png = svg.with_suffix(".png")
    return not png.exists() or png.stat().st_mtime < svg.stat().st_mtime


def render(svg: Path) -> list[str]:
    """Write the SVG's PNG beside it; the problems `content check` would report about it."""
    import resvg_py  # only this script needs it

    png = svg.with_suffix(".png")
    png.write_bytes(bytes(resvg_py.svg_to_bytes(svg_path=str(svg), width=min(WIDTH, IMAGE_MAX_PX),
                                                background="#ffffff")))
    return image_problems(png)


def main(argv: list[str] | None = None) -> int:
    """Render the stale (or, with --all, every) diagram; non-zero exit if a PNG is too big."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="render every SVG, not only the changed ones")
    args = parser.parse_args(argv)
    failed = 0
    for svg in sorted(IMG_DIR.glob("*.svg")):
        if not (args.all or stale(svg)):
            continue
        problems = render(svg)
        print(f"{svg.with_suffix('.png').relative_to(ROOT)}: {'; '.join(problems) or 'ok'}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
