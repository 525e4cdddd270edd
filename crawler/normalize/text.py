"""Text cleaning shared by titles and bodies."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters CMS editors paste in: zero-width space/joiners, word
# joiner, soft hyphen, byte-order mark. Removed outright.
INVISIBLE = "\u200b\u200c\u200d\u2060\u00ad\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# "No:438/20, " and its variants: "No: 438/20 -", "No.072/26:".
_RELEASE_NUMBER = re.compile(
    r"^\s*No\s*[:.]?\s*(?P<number>\d{1,4})\s*/\s*(?P<year>\d{2})\s*[,.:;\u2013\u2014-]?\s*",
    re.IGNORECASE,
)


def collapse_spaces(text: str) -> str:
    """No invisible characters, every run of whitespace (NBSP included) one space, stripped."""
    if any(char in text for char in INVISIBLE):  # rare: skip the regex pass when absent
        text = _INVISIBLE.sub("", text)
    return " ".join(text.split())  # str.split() knows every Unicode space


def clean_text(text: str) -> str:
    """NFC, no invisible characters, every run of whitespace one space, stripped."""
    return collapse_spaces(unicodedata.normalize("NFC", text))


def split_release_number(title: str) -> tuple[str | None, str]:
    """``"No:438/20, Title"`` -> ``("438/20", "Title")``; no number -> ``(None, title)``."""
    title = clean_text(title)
    match = _RELEASE_NUMBER.match(title)
    if not match:
        return None, title
    number = f"{int(match['number']):03d}/{match['year']}"
    return number, title[match.end() :]
