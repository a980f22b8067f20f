"""Text helpers shared by the conversation core and the content search."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics and collapse spaces.

    Members type with or without diacritics ("báo cáo" / "bao cao"); every
    keyword comparison goes through this so both match the same.
    """
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", text).strip()
