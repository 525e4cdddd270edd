"""Text cleaning shared by titles and bodies."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters CMS editors paste in: zero-width space/joiners, word
# joiner, soft hyphen, byte-order mark. Removed outright.
INVISIBLE = "\u200b\u200c\u200d\u2060\u00ad\ufeff"
# Control characters (C0 but the whitespace str.split() removes, DEL, C1) and
# bidi embeddings, overrides and isolates never belong in a statement; a page
# that carries them (a terminal's ESC sequences, a BEL, an RLO that shows text
# reversed) is broken or hostile. Bidi marks (LRM, RLM, ALM) are kept: Arabic
# and Persian mission pages use them; readers escape them on a terminal.
_CONTROLS = "\x1b\\[[0-?]*[ -/]*[@-~]|[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
# Every character either rule removes; none of them is printable.
_NONPRINTING = re.compile(f"{_CONTROLS}|[{INVISIBLE}]")
# "No:438/20, " and its variants: "No: 438/20 -", "No.072/26:".
_RELEASE_NUMBER = re.compile(
    r"^\s*No\s*[:.]?\s*(?P<number>\d{1,4})\s*/\s*(?P<year>\d{2})\s*[,.:;\u2013\u2014-]?\s*",
    re.IGNORECASE,
)


def collapse_spaces(text: str) -> str:
    """No invisible or control characters, every run of whitespace (NBSP included)
    one space, stripped."""
    text = " ".join(text.split())  # str.split() knows every Unicode space
    # Rare: invisible, control or format characters (bidi marks, which stay): one
    # C-level test skips the regex pass for nearly every paragraph.
    if not text.isprintable():
        text = " ".join(_NONPRINTING.sub("", text).split())
    return text


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
