"""Two-language pages: "Joint statement (En/Ru)" holds the English text, then the
Russian text under its own Russian title (SITE_FACTS.md). Each language becomes
a document of its own."""

from __future__ import annotations

import re

# "(En/Ru)" at the end of a title; "-enru" at the end of a URL's slug.
_TITLE_MARK = re.compile(r"\s*\((?P<first>En|Ru)\s*/\s*(?P<second>En|Ru)\)\s*$", re.IGNORECASE)
_SLUG_MARK = re.compile(r"-(?P<first>en|ru)(?P<second>en|ru)/?$")


def languages_of(title: str, path: str) -> tuple[str, str] | None:
    """(first, second) language of a two-language page, or None for an ordinary one."""
    match = _TITLE_MARK.search(title) or _SLUG_MARK.search(path)
    if not match or match["first"].lower() == match["second"].lower():
        return None
    return match["first"].lower(), match["second"].lower()


def without_mark(title: str) -> str:
    return _TITLE_MARK.sub("", title)


def is_cyrillic(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    cyrillic = sum("\u0400" <= char <= "\u04ff" for char in letters)
    return bool(letters) and cyrillic > len(letters) / 2


def second_part_start(paragraphs: tuple[str, ...], second: str) -> int | None:
    """Where the second language's title stands: the first paragraph, after at least
    one of the first language, written in the second language's script."""
    for index, paragraph in enumerate(paragraphs[1:], start=1):
        if is_cyrillic(paragraph) == (second == "ru"):
            return index
    return None
