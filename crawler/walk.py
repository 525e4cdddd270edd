"""The walk of one listing (a site's news in one language), page by page.

The rules of where a listing ends and which of its links to request live
here, apart from Scrapy, so that each is tested case by case
(tests/test_walk.py); the press spider feeds each page to its walk and
requests what the walk says.

A listing ends at a page with no items, a 404, or a page that leads back to
one already read (a redirect to page 1, or the same items again). A page
that fails after retries is skipped (the walk goes on to the next one, and
the listing is not trusted as walked) unless MAX_FAILED_IN_A_ROW fail in a
row. Links to another host are never requested. An
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
from crawler.settings import MFA_RECHECK_DAYS
from crawler.sites import Site, SitesConfig
from storage.state import CrawlState

# Why a walk ended, for the log.
END_404 = "answered 404: end of listing"
END_FIRST_404 = "answered 404: has the listing moved?"
END_LEADS_BACK = "leads back to page {shown}: end of listing"
END_EMPTY = "has no items: end of listing"
END_FIRST_EMPTY = "has no items: has the layout changed?"
END_REPEATS = "repeats an earlier page: end of listing"
END_SINCE = "is all older than {since}: end of this crawl"
END_OVERLAP = "was the overlap page: caught up with earlier crawls"
END_FAILING = "failed, and the {n} pages before it: the listing is left for the next crawl"

# Failed listing pages in a row after which a walk stops: one failed page is a
# glitch worth stepping over; several in a row, a site in trouble.
MAX_FAILED_IN_A_ROW = 3


@dataclass(frozen=True)
class PageVerdict:
    """What to do after a listing page: the links to request, the next page
    to read (None: the walk ends here), and why it ends."""

    articles: list[ListingEntry]
    next_page: int | None
    end: str | None = None
    alarm: bool = False  # an end that means something is wrong (an empty first page)
    offsite: list[ListingEntry] = field(default_factory=list)  # links to another host


@dataclass
class ListingWalk:
    """The state of one listing's walk in one crawl.

    known, recheck: canonical URLs archived or rejected before, and those of
    them to request again; walked: an earlier crawl read this listing to its
    end; since: skip links the listing dates before that day; max_pages: read
    no further. identity and read_date are the site layout's rules; serves
    says whether a URL is on the site's own host.
    """

    site: str
    lang: str
    identity: Callable[[str], str]
    read_date: Callable[[str | None, str], dt.date | None]
    serves: Callable[[str], bool] = lambda url: True
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
    failures: list[str] = field(default_factory=list)  # why pages failed, in order
    pages_read: set[int] = field(default_factory=set)  # pages the site answered
    known_skipped: int = 0
    # Identities of the links this crawl requests (shared by a CrawlPlan's walks):
    # a page listed under two spellings (/index.php/en/news/x, /en/news/x) is
    # requested once, under the first.
    requested: set[str] = field(default_factory=set)
    _failed_in_a_row: int = 0
    _pages_seen: set[int] = field(default_factory=set)
    _item_sets_seen: set[frozenset[str]] = field(default_factory=set)
    _caught_up: bool = False  # the first page was all known: the next is the overlap
    _news_seen: bool = False  # a page read so far had new items

    def _ended(self, walked: bool = True) -> None:
        # Once broken off, the listing stays untrusted for this crawl.
        self.outcome = walked and self.outcome is not False

    @property
    def reached(self) -> bool:
        """Whether the site answered any page of this listing."""
        return bool(self.pages_read)

    def not_found(self, page: int) -> PageVerdict:
        """The page answered 404: past the last page, the end of the listing;
        on the first, the listing has moved (the run fails, as for an empty one)."""
        self.pages_read.add(page)
        self._failed_in_a_row = 0
        if page == 1:
            self.first_page_empty = True
            self._ended(walked=False)
            return PageVerdict([], None, END_FIRST_404, alarm=True)
        self._ended()
        return PageVerdict([], None, END_404)

    def failed(self, page: int, reason: str) -> PageVerdict:
        """The page could not be fetched (after retries): the listing is not
        trusted as walked, so the next crawl reads it whole; this one goes on
        to the next page, unless too many failed in a row."""
        self.failed_pages += 1
        self.failures.append(reason)
        self._failed_in_a_row += 1
        self._ended(walked=False)
        if self._failed_in_a_row >= MAX_FAILED_IN_A_ROW:
            return PageVerdict([], None, END_FAILING.format(n=self._failed_in_a_row - 1), True)
        if self.max_pages is not None and page >= self.max_pages:
            return PageVerdict([], None)
        return PageVerdict([], page + 1)

    def read(self, page: int, shown: int, entries: list[ListingEntry]) -> PageVerdict:
        """Listing page ``page``, which says it is page ``shown`` (a redirect may
        have led elsewhere), with its entries (URLs absolute, tracking removed)."""
        self.pages_read.add(page)
        self._failed_in_a_row = 0
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
        articles, offsite, all_known, all_older = [], [], True, True
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
            elif not self.serves(entry.url):
                offsite.append(entry)
            elif not self._first_spelling(entry):
                continue
            else:
                articles.append(entry)
        if self.since and all_older:
            return PageVerdict(articles, None, END_SINCE.format(since=self.since), offsite=offsite)
        if self.walked:
            if (all_known and self._news_seen) or self._caught_up:
                self._ended()
                return PageVerdict(articles, None, END_OVERLAP, offsite=offsite)
            if all_known:
                self._caught_up = True
            else:
                self._news_seen = True
        if self.max_pages is not None and page >= self.max_pages:
            return PageVerdict(articles, None, offsite=offsite)
        return PageVerdict(articles, page + 1, offsite=offsite)

    def _first_spelling(self, entry: ListingEntry) -> bool:
        """Whether no link of this crawl so far had the entry's identity."""
        identity = self.identity(entry.url)
        if identity in self.requested:
            return False
        self.requested.add(identity)
        return True

    def _listed_before(self, entry: ListingEntry, day: dt.date) -> bool:
        """Whether the listing dates the entry before day (an unreadable date is not)."""
        listed = self.read_date(entry.date_text, self.lang)
        return listed is not None and listed < day


@dataclass(frozen=True)
class CrawlOptions:
    """What a crawl was asked to do: the spider's arguments, parsed and checked."""

    sites: SitesConfig
    max_pages: int | None = None
    full: bool = False
    since: dt.date | None = None
    recheck_days: int = MFA_RECHECK_DAYS
    retry_rejects: bool = False

    @property
    def mode(self) -> str:
        return "full" if self.full else "incremental"

    def listings(self) -> list[tuple[Site, str]]:
        """Every (site, language) listing to walk, in the sites file's order."""
        return [(site, lang) for site in self.sites.sites for lang in site.languages]


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
        listings = list(listings)  # read twice
        self.walks: dict[tuple[str, str], ListingWalk] = {}
        for site, lang in listings:
            layout = LAYOUTS[site.layout]
            self.walks[site.name, lang] = ListingWalk(
                site.name, lang, identity=layout.canonical_url, read_date=layout.read_date,
                serves=site.serves, known=state.known, recheck=state.recheck,
                walked=(site.name, lang) in state.walked, since=since, max_pages=max_pages,
            )  # fmt: skip
        self.sites = {site.name: site for site, _ in listings}
        self.requested: set[str] = set()  # one for every walk (ListingWalk.requested)
        for listing_walk in self.walks.values():
            listing_walk.requested = self.requested

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

    def unreachable(self) -> dict[str, str]:
        """Sites no page of which could be fetched, with the first failure's reason."""
        by_site: dict[str, list[ListingWalk]] = {}
        for walk in self.walks.values():
            by_site.setdefault(walk.site, []).append(walk)
        return {
            site: walks[0].failures[0]
            for site, walks in by_site.items()
            if not any(walk.reached for walk in walks) and walks[0].failures
        }

    def listing_pages_read(self) -> list[tuple[ListingWalk, str]]:
        """The listing pages the sites answered in this crawl: (walk, URL)."""
        pages = []
        for walk in self.walks.values():
            site = self.sites[walk.site]
            for page in sorted(walk.pages_read):
                pages.append(
                    (walk, LAYOUTS[site.layout].listing_url(site.base_url, walk.lang, page))
                )
        return pages
