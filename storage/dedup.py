"""When two copies are one document: the rules, in the order they are tried.

1. the same canonical URL (computed by the crawler's layouts) is the same copy;
2. the same release number ("438/20", the year included) in the same language;
3. the same normalized title and body (content hash) in the same language;
4. near-duplicates: the same language, published within NEAR_DAYS of each
   other, a near-duplicate score of at least NEAR_THRESHOLD: the bodies'
   similarity (rapidfuzz's normalized Indel similarity over their words:
   edits over length, 1.0 for equal texts), less NAME_PENALTY for each name
   or number that each body has and the other lacks.

The penalty keeps apart statements written on a template: condolences that
share a long opening and differ in one sentence (the country, the disaster),
"the Minister received the Ambassador of ..." items, anniversaries. Their
words are mostly the same; what they are about is not, and that shows in the
names and numbers that differ on both sides. A true copy differs on one side
at most (a mission adds "the Middle Corridor", or the date it republished on)
or not at all (new title, whitespace, quotes, ё/е). The threshold and the
penalty come from the replica's pairs of both kinds (bench/dedup_quality.py,
docs/deduplication.md).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

RULE_NEW = "new"  # the document's first copy
RULE_URL = "url"  # a known URL is a known source, never a new one
RULE_DOC_NUMBER = "doc_number"
RULE_CONTENT_HASH = "content_hash"
RULE_SIMILAR = "similar"

NEAR_DAYS = 3
NEAR_THRESHOLD = 0.85
# What one name or number that each of two bodies has and the other lacks
# takes off their score: one such pair puts any two bodies below the threshold.
NAME_PENALTY = 0.3
# Two spellings of one name ("Khojaly", "Khojali") are one name from this
# likeness on (rapidfuzz ratio, 0-100); two names ("Iran", "Iraq": 75) are two.
NAME_LIKENESS = 80

_WORD = re.compile(r"\w+")
# Letters folded to their base: Latin letters with diacritics (ç ş ğ ö ü ä é ...),
# Azerbaijani ə, Russian ё, and the dot that casefolding leaves of İ.
_FOLD = str.maketrans(
    {
        char: "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        for char in map(chr, range(0xC0, 0x250))
        if unicodedata.normalize("NFKD", char) != char
    }
    | {"ə": "e", "ё": "е", "\u0307": None}
)
# What may stand between a sentence's end and its first word.
_OPENING = frozenset(" \t\u00a0\"'“”„«»‘’([—–-")


def near_duplicate(body: str, other: str, cutoff: float = 0.0) -> float:
    """The near-duplicate score of two bodies: their similarity less
    NAME_PENALTY for each name or number both sides lack of the other's
    (the smaller of the two counts); 0.0 below cutoff."""
    score = similarity(body, other, cutoff=cutoff)
    if not score:
        return 0.0
    differing = min(len(unmatched_names(body, other)), len(unmatched_names(other, body)))
    score = max(0.0, score - NAME_PENALTY * differing)
    return score if score >= cutoff else 0.0


def unmatched_names(body: str, other: str) -> list[str]:
    """The names and numbers of body that other does not have, in any spelling
    close enough (NAME_LIKENESS); numbers must be equal."""
    words = _folded_words(other)
    missing = []
    for name in _names(body) - words:
        if any(char.isdigit() for char in name) or not process.extractOne(
            name, words, scorer=fuzz.ratio, score_cutoff=NAME_LIKENESS
        ):
            missing.append(name)
    return sorted(missing)


def similarity(body: str, other: str, cutoff: float = 0.0) -> float:
    """How alike two bodies are, 0 to 1, word by word; 0.0 below cutoff.

    Words rather than characters: a 2 KB body is some 300 words, and the
    Indel distance is many times faster over those; an edited sentence costs
    the same share either way, while unrelated texts score lower.
    """
    # The rough codes merge some words, which can only lengthen the common
    # subsequence: below the cutoff there, below it exactly. Rapidfuzz is
    # fastest on one-byte characters, and most pairs stop here.
    if cutoff and not Indel.normalized_similarity(
        _rough_words(body), _rough_words(other), score_cutoff=cutoff
    ):
        return 0.0
    return Indel.normalized_similarity(_words(body), _words(other), score_cutoff=cutoff)


@lru_cache(maxsize=8192)
def _rough_words(body: str) -> str:
    """The body's words, each one of 255 one-byte characters (from its hash).
    Flat strings, which rapidfuzz compares without hashing element by element;
    cached, because a batch compares the same candidates again and again."""
    return bytes([1 + hash(word) % 255 for word in body.split()]).decode("latin-1")


@lru_cache(maxsize=1024)
def _words(body: str) -> str:
    """The body's words, one character each: two words share one once in a
    million, no measurable effect on a score. Made only for the few pairs
    that pass the rough comparison."""
    return "".join([chr(0x1000 + hash(word) % 0x10E000) for word in body.split()])


def _fold(text: str) -> str:
    """Case, Latin diacritics and ё/е folded: "Türkiyə" and "turkiye" are one word."""
    return text.casefold().translate(_FOLD)


@lru_cache(maxsize=1024)
def _folded_words(body: str) -> frozenset[str]:
    """The body's words, folded, without the punctuation and quotes around them.
    Made only for the pairs that pass the similarity cutoff: folding costs
    ten times what splitting does."""
    return frozenset(_WORD.findall(_fold(body)))


@lru_cache(maxsize=1024)
def _names(body: str) -> frozenset[str]:
    """What a body names, folded: its capitalised words but those that open a
    sentence (capitalised whatever they are), and every word with a digit."""
    names = set()
    for match in _WORD.finditer(body):
        word = match[0]
        if any(char.isdigit() for char in word) or (
            word[0].isupper() and not _opens_sentence(body, match.start())
        ):
            names.add(_fold(word))
    return frozenset(names)


def _opens_sentence(text: str, start: int) -> bool:
    """Whether the word at start is a sentence's (or a paragraph's) first."""
    at = start - 1
    while at >= 0 and text[at] in _OPENING:
        at -= 1
    return at < 0 or text[at] in ".!?:;\n"


def window(day: dt.date) -> list[dt.date]:
    """The days whose documents a copy published on day may be a near-duplicate of."""
    return [day + dt.timedelta(days=delta) for delta in range(-NEAR_DAYS, NEAR_DAYS + 1)]


Rank = tuple[bool, dt.date, str]


def source_rank(authoritative: bool, published_on: dt.date, canonical: str) -> Rank:
    """Lower is more primary: the ministry's own site's copy, then the earliest,
    then by URL, so that the primary source does not depend on the order of a crawl."""
    return (not authoritative, published_on, canonical)
