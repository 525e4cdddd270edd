"""What an incremental crawl knows before it starts, and what it leaves for the next.

The state lives in the archive's own tables (sources, rejects, listings):
deleting the database, and nothing else, resets it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from storage.engine import upsert
from storage.models import Listing, Reject, Source
from storage.records import REJECT_DOWNLOAD
from storage.types import utcnow


@dataclass(frozen=True)
class CrawlState:
    """Known pages and trusted listings of the sites a crawl is about to read."""

    # Canonical URLs archived or rejected by earlier crawls:
    # a refresh does not request them again. A failed download is not known.
    known: frozenset[str] = field(default_factory=frozenset)
    # Known, but published recently, when the ministry still corrects its
    # statements: requested again.
    recheck: frozenset[str] = field(default_factory=frozenset)
    # (site, lang) listings an earlier crawl read to the end, with nothing left
    # to retry: a refresh may stop one page after a page of known items.
    walked: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def load_crawl_state(
    engine: Engine,
    sites: Sequence[str],
    *,
    recheck_since: dt.date | None = None,
    retry_rejects: bool = False,
) -> CrawlState:
    """The state of ``sites`` for an incremental crawl.

    recheck_since: known articles published on or after it are requested again.
    retry_rejects: rejected pages count as unknown, so they are requested again.
    """
    known: set[str] = set()
    recheck: set[str] = set()
    to_retry: set[tuple[str, str]] = set()
    with engine.connect() as connection:
        for url, listed, published_on in connection.execute(
            select(Source.canonical_url, Source.listed_canonical_url, Source.published_on).where(
                Source.site.in_(sites)
            )
        ):
            # a two-language page's second part; the URL listed, if a redirect led here
            urls = {url.partition("#")[0], *([listed] if listed else [])}
            known |= urls
            if recheck_since is not None and published_on >= recheck_since:
                recheck |= urls
        for url, site, lang, kind in connection.execute(
            select(Reject.canonical_url, Reject.site, Reject.lang, Reject.kind).where(
                Reject.site.in_(sites)
            )
        ):
            if kind == REJECT_DOWNLOAD or retry_rejects:
                # Wherever it is listed, the listing is read that far again.
                to_retry.add((site, lang))
            else:
                known.add(url)
        walked = {
            (site, lang)
            for site, lang in connection.execute(
                select(Listing.site, Listing.lang).where(
                    Listing.site.in_(sites), Listing.walked_at.is_not(None)
                )
            )
        }
    return CrawlState(frozenset(known), frozenset(recheck), frozenset(walked - to_retry))


def record_listings(
    engine: Engine, run_id: int | None, outcomes: Mapping[tuple[str, str], bool]
) -> None:
    """Remember which listings this crawl read to the end (True) and which broke
    off at a failed page (False); listings cut short on purpose are left out."""
    if not outcomes:
        return
    now = utcnow()
    rows = [
        {"site": site, "lang": lang, "walked_at": now if walked else None, "run_id": run_id}
        for (site, lang), walked in outcomes.items()
    ]
    statement = upsert(engine, Listing, [Listing.site, Listing.lang], ["walked_at", "run_id"])
    with engine.begin() as connection:
        connection.execute(statement, rows)
