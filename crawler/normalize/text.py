"""Text cleaning shared by titles and bodies."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters CMS editors paste in: zero-width space/joiners, word
# joiner, soft hyphen, byte-order mark. Removed outright.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u00ad\ufeff"))
# Every Unicode space (NBSP, narrow NBSP, thin space, ...), tabs and newlines.
_SPACES = re.compile(r"\s+")
# "No:438/20, " and its variants: "No: 438/20 -", "No.072/26:".
_RELEASE_NUMBER = re.compile(
    r"^\s*No\s*[:.]?\s*(?P<number>\d{1,4})\s*/\s*(?P<year>\d{2})\s*[,.:;\u2013\u2014-]?\s*",
    re.IGNORECASE,
)


def clean_text(text: str) -> str:
    """NFC, no invisible characters, every run of whitespace one space, stripped."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def split_release_number(title: str) -> tuple[str | None, str]:
    """``"No:438/20, Title"`` -> ``("438/20", "Title")``; no number -> ``(None, title)``."""
    title = clean_text(title)
    match = _RELEASE_NUMBER.match(title)
    if not match:
        return None, title
    number = f"{int(match['number']):03d}/{match['year']}"
    return number, title[match.end() :]
