"""When two copies are one document: the rules, in the order they are tried.

1. the same canonical URL (computed by the crawler's layouts) is the same copy;
2. the same release number ("438/20", the year included) in the same language;
3. the same normalized title and body (content hash) in the same language;
4. near-duplicates: the same language, published within NEAR_DAYS of each
   other, bodies at least NEAR_THRESHOLD similar (rapidfuzz's normalized
   Indel similarity over their words: edits over length, 1.0 for equal texts).

The threshold comes from the replica's cases (bench/dedup_quality.py,
docs/deduplication.md): its republications with a new title or a sentence
edited score 0.96 and more; distinct statements of the same days 0.41 at most.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from rapidfuzz.distance import Indel

RULE_NEW = "new"  # the document's first copy
RULE_URL = "url"  # a known URL is a known source, never a new one
RULE_DOC_NUMBER = "doc_number"
RULE_CONTENT_HASH = "content_hash"
RULE_SIMILAR = "similar"

NEAR_DAYS = 3
NEAR_THRESHOLD = 0.85


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


def window(day: dt.date) -> list[dt.date]:
    """The days whose documents a copy published on day may be a near-duplicate of."""
    return [day + dt.timedelta(days=delta) for delta in range(-NEAR_DAYS, NEAR_DAYS + 1)]


Rank = tuple[bool, dt.date, str]


def source_rank(authoritative: bool, published_on: dt.date, canonical: str) -> Rank:
    """Lower is more primary: the ministry's own site's copy, then the earliest,
    then by URL, so that the primary source does not depend on the order of a crawl."""
    return (not authoritative, published_on, canonical)
