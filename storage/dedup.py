"""When two copies are one document: the rules, in the order they are tried.

1. the same canonical URL (storage.urls) is the same copy;
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
import re
from functools import lru_cache

from rapidfuzz.distance import Indel

RULE_NEW = "new"  # the document's first copy
RULE_URL = "url"  # Archive.match only: a known URL is a known source, never a new one
RULE_DOC_NUMBER = "doc_number"
RULE_CONTENT_HASH = "content_hash"
RULE_SIMILAR = "similar"

NEAR_DAYS = 3
NEAR_THRESHOLD = 0.85

_MAIN_SLUG = re.compile(r"^/(?:az|en|ru)/news/(?P<slug>[^/?#]+)$")


def similarity(body: str, other: str, cutoff: float = 0.0) -> float:
    """How alike two bodies are, 0 to 1, word by word; 0.0 below cutoff.

    Words rather than characters: a 2 KB body is some 300 words, and the
    Indel distance is eight times faster over those; an edited sentence
    costs the same share either way, while unrelated texts score lower.
    """
    return Indel.normalized_similarity(_words(body), _words(other), score_cutoff=cutoff)


@lru_cache(maxsize=4096)
def _words(body: str) -> list[str]:
    # The same candidate bodies are compared with every record of a batch.
    return body.split()


def window(day: dt.date) -> list[dt.date]:
    """The days whose documents a copy published on day may be a near-duplicate of."""
    return [day + dt.timedelta(days=delta) for delta in range(-NEAR_DAYS, NEAR_DAYS + 1)]


def release_key(doc_number: str | None, layout: str, path: str) -> str | None:
    """What a release's translations share: its number, else its main-site slug."""
    if doc_number:
        return f"no:{doc_number}"
    if layout == "main" and (match := _MAIN_SLUG.match(path)):
        return f"slug:{match['slug']}"
    return None


def source_rank(layout: str, published_on: dt.date, canonical: str) -> tuple[bool, dt.date, str]:
    """Lower is more primary: the main site's copy, then the earliest, then by URL,
    so that the primary source does not depend on the order of a crawl."""
    return (layout != "main", published_on, canonical)
