"""A guide step's picture: a PNG rendered from its SVG, small enough for a phone on a slow line.

The SVG sources and their PNGs live in content/guides/img/; scripts/render_guide_images.py renders
them, and `cdsbot content check` refuses a picture that is not a PNG or is too big.
"""

from __future__ import annotations

import struct
from pathlib import Path

IMAGE_MAX_PX = 1280  # the longer side: sharp on a phone, quick on a slow line
IMAGE_MAX_BYTES = 200 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_problems(path: Path) -> list[str]:
    """A step's picture is a PNG small enough for a phone on a slow line: what is wrong with it, if anything."""
    data = path.read_bytes()
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return ["must be a PNG (render it from its SVG with scripts/render_guide_images.py)"]
    width, height = struct.unpack(">II", data[16:24])
    problems = []
    if max(width, height) > IMAGE_MAX_PX:
        problems.append(f"is {width}×{height} px, over {IMAGE_MAX_PX} px")
    if len(data) > IMAGE_MAX_BYTES:
        problems.append(f"is {len(data) // 1024} KB, over {IMAGE_MAX_BYTES // 1024} KB")
    return problems
