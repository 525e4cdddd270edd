"""The walk of one listing (a site's news in one language), page by page.

The rules of where a listing ends and which of its links to request live
here, apart from Scrapy, so that each is tested case by case
(tests/test_walk.py); the press spider feeds each page to its walk and
requests what the walk says.

A listing ends at a page with no items, a 404, or a page that leads back to
one already read (a redirect to page 1, or the same items again). An
incremental crawl skips known links (unless published recently: ``recheck``)
and, on a listing an earlier crawl read to the end (``walked``), stops at the
overlap page: the first page of known items after pages with new ones, or the
page after a first page that held nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from crawler.items import ListingEntry
from crawler.pages import LAYOUTS
from crawler.sites import Site
from storage.state import CrawlState

# Why a walk ended, for the log.
END_404 = "answered 404: end of listing"
END_LEADS_BACK = "leads back to page {shown}: end of listing"
END_EMPTY = "has no items: end of listing"
END_FIRST_EMPTY = "has no items: has the layout changed?"
END_REPEATS = "repeats an earlier page: end of listing"
END_SINCE = "is all older than {since}: end of this crawl"
END_OVERLAP = "was the overlap page: caught up with earlier crawls"


@dataclass(frozen=True)
class PageVerdict:
    """What to do after a listing page: the links to request, the next page
    to read (None: the walk ends here), and why it ends."""

    articles: list[ListingEntry]
    next_page: int | None
    end: str | None = None
    alarm: bool = False  # an end that means something is wrong (an empty first page)


@dataclass
class ListingWalk:
    """The state of one listing's walk in one crawl.

    known, recheck: canonical URLs archived or rejected before, and those of
    them to request again; walked: an earlier crawl read this listing to its
    end; since: skip links the listing dates before that day; max_pages: read
    no further. identity and read_date are the site layout's rules.
    """

    site: str
    lang: str
    identity: Callable[[str], str]
    read_date: Callable[[str | None, str], dt.date | None]
    known: frozenset[str] = frozenset()
    recheck: frozenset[str] = frozenset()
    walked: bool = False
    since: dt.date | None = None
    max_pages: int | None = None
    # True: read to its end, or caught up; False: broken off by a failed page;
    # None: not ended (still running, or cut short by --max-pages or --since).
    outcome: bool | None = None
    first_page_empty: bool = False  # the layout may have changed
    failed_pages: int = 0
    known_skipped: int = 0
    _pages_seen: set[int] = field(default_factory=set)
    _item_sets_seen: set[frozenset[str]] = field(default_factory=set)
    _caught_up: bool = False  # the first page was all known: the next is the overlap
    _news_seen: bool = False  # a page read so far had new items

    def _ended(self, walked: bool = True) -> None:
        # Once broken off, the listing stays untrusted for this crawl.
        self.outcome = walked and self.outcome is not False

    def not_found(self) -> PageVerdict:
        """The page answered 404."""
        self._ended()
        return PageVerdict([], None, END_404)

    def failed(self) -> None:
        """The page could not be fetched (after retries): the listing is not
        trusted as walked, so the next crawl reads it whole."""
        self.failed_pages += 1
        self._ended(walked=False)

    def read(self, page: int, shown: int, entries: list[ListingEntry]) -> PageVerdict:
        """Listing page ``page``, which says it is page ``shown`` (a redirect may
        have led elsewhere), with its entries (URLs absolute, tracking removed)."""
        if shown in self._pages_seen:
            self._ended()
            return PageVerdict([], None, END_LEADS_BACK.format(shown=shown))
        self._pages_seen.add(shown)
        if not entries:
            if page == 1:
                # The first page of a listing is never empty on a working site.
                self.first_page_empty = True
                self._ended(walked=False)
                return PageVerdict([], None, END_FIRST_EMPTY, alarm=True)
            self._ended()
            return PageVerdict([], None, END_EMPTY)
        urls = frozenset(entry.url for entry in entries)
        if urls in self._item_sets_seen:
            self._ended()
            return PageVerdict([], None, END_REPEATS)
        self._item_sets_seen.add(urls)
        articles, all_known, all_older = [], True, True
        for entry in entries:
            # A first or --full crawl knows nothing: no identity to work out.
            identity = self.identity(entry.url) if self.known else ""
            known = identity in self.known
            all_known = all_known and known
            if self.since and self._listed_before(entry, self.since):
                continue
            all_older = False
            if known and identity not in self.recheck:
                self.known_skipped += 1
                continue
            articles.append(entry)
        if self.since and all_older:
            return PageVerdict(articles, None, END_SINCE.format(since=self.since))
        if self.walked:
            if (all_known and self._news_seen) or self._caught_up:
                self._ended()
                return PageVerdict(articles, None, END_OVERLAP)
            if all_known:
                self._caught_up = True
            else:
                self._news_seen = True
        if self.max_pages is not None and page >= self.max_pages:
            return PageVerdict(articles, None)
        return PageVerdict(articles, page + 1)

    def _listed_before(self, entry: ListingEntry, day: dt.date) -> bool:
        """Whether the listing dates the entry before day (an unreadable date is not)."""
        listed = self.read_date(entry.date_text, self.lang)
        return listed is not None and listed < day


class CrawlPlan:
    """Every listing a crawl walks, one ListingWalk each, from what earlier
    crawls left (storage.state.CrawlState; empty for a first or --full crawl)."""

    def __init__(
        self,
        listings: Iterable[tuple[Site, str]],
        state: CrawlState | None = None,
        *,
        since: dt.date | None = None,
        max_pages: int | None = None,
    ) -> None:
        state = state or CrawlState()
        self.walks: dict[tuple[str, str], ListingWalk] = {}
        for site, lang in listings:
            layout = LAYOUTS[site.layout]
            self.walks[site.name, lang] = ListingWalk(
                site.name, lang, identity=layout.canonical_url, read_date=layout.read_date,
                known=state.known, recheck=state.recheck, walked=(site.name, lang) in state.walked,
                since=since, max_pages=max_pages,
            )  # fmt: skip

    def walk(self, site: str, lang: str) -> ListingWalk:
        return self.walks[site, lang]

    def outcomes(self) -> dict[tuple[str, str], bool]:
        """The listings this crawl ended: read to the end (True) or broken off (False)."""
        return {key: walk.outcome for key, walk in self.walks.items() if walk.outcome is not None}

    @property
    def first_page_empty(self) -> bool:
        return any(walk.first_page_empty for walk in self.walks.values())

    @property
    def failed_pages(self) -> int:
        return sum(walk.failed_pages for walk in self.walks.values())
