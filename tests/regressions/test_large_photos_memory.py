"""Issue 19 item 4: a 186 KB PNG of 7,999 × 7,999 pixels took the server from 224 MB to 951 MB; four reached 1.49 GB.

Four such photos at once must stay under 400 MB peak and memory must return afterwards. Each measurement
runs in a fresh Python process (bench/photos.py), so the peak resident size is this work's alone; the
figures are printed (`pytest -s`).
"""

import pytest

from bench.photos import big_jpeg, big_png, measure

SIDE = 7999
PEAK_LIMIT_MB = 400
SETTLED_ABOVE_START_MB = 100  # after the work, memory has gone back to near where it started


def check(result: dict, what: str) -> None:
    print(f"\nfour {what} at once: peak RSS {result['peak']:.0f} MB (start {result['start']:.0f} MB, "
          f"after {result['after']:.0f} MB), outcomes {result['outcomes']}")
    assert result["peak"] < PEAK_LIMIT_MB
    assert result["after"] < result["start"] + SETTLED_ABOVE_START_MB


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_four_huge_photos_at_once_stay_under_400_mb(tmp_path, kind):
    path = tmp_path / f"big.{kind}"
    (big_png if kind == "png" else big_jpeg)(path, SIDE)
    result = measure([path] * 4)
    check(result, f"{SIDE}x{SIDE} {kind.upper()} photos ({path.stat().st_size // 1024} KB each)")
    if kind == "jpeg":  # a camera-sized JPEG is still accepted: it is decoded at a fraction of its size
        assert result["outcomes"] == ["1600x1600"] * 4
    else:  # a lossless picture of this many pixels would be decoded whole: refused before decoding
        assert result["outcomes"] == ["too_many_pixels"] * 4


def test_four_lossless_pictures_just_under_the_limit_are_processed_within_400_mb(tmp_path):
    path = tmp_path / "limit.png"
    big_png(path, 3999)  # 16 megapixels: the largest PNG still accepted
    result = measure([path] * 4)
    check(result, "3999x3999 PNG photos")
    assert result["outcomes"] == ["1600x1600"] * 4
