"""Two-language pages: "Joint statement (En/Ru)" holds the English text, then the
Russian text under its own Russian title (SITE_FACTS.md). Each language becomes
a document of its own.

The page decides, not its URL: the slug ("-enru") is shared by the release's
pages in every language, so the /az/ and /ru/ pages of such a release end in
"-enru" too while they hold one language only. A page is two-language when it
is the first language's page (the English one) and either its title says so
("(En/Ru)") or its slug does and its text holds the second language's script
after the first's.
"""

from __future__ import annotations

import re

# "(En/Ru)" at the end of a title; "-enru" at the end of a URL's slug.
_TITLE_MARK = re.compile(r"\s*\((?P<first>En|Ru)\s*/\s*(?P<second>En|Ru)\)\s*$", re.IGNORECASE)
_SLUG_MARK = re.compile(r"-(?P<first>en|ru)(?P<second>en|ru)/?$")


def languages_of(
    title: str, path: str, lang: str, paragraphs: tuple[str, ...]
) -> tuple[str, str] | None:
    """(first, second) language of a two-language page, or None for an ordinary one.

    lang is the page's language (its listing's); paragraphs its body's. A title
    mark is a claim the body must keep (the caller rejects a page without its
    second part); a slug mark alone counts only if the text bears it out.
    """
    title_mark = _TITLE_MARK.search(title)
    match = title_mark or _SLUG_MARK.search(path)
    if not match:
        return None
    first, second = match["first"].lower(), match["second"].lower()
    if first == second or lang != first:
        return None  # the release's page in another language: an ordinary page
    if title_mark is None and second_part_start(paragraphs, second) is None:
        return None
    return first, second


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
