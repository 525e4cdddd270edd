"""The press spider: every listing page of every site and language, every article."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import url_query_parameter

from crawler.items import (
    REJECT_DOWNLOAD,
    REJECT_HTTP,
    REJECT_PARSE,
    REJECT_ROBOTS,
    FetchedPage,
    ListingEntry,
    RejectedPage,
)
from crawler.normalize.dates import parse_site_date
from crawler.pages import LAYOUTS
from crawler.sites import Site
from crawler.spiders.base import ArchiveSpider
from storage.engine import make_engine
from storage.state import CrawlState, load_crawl_state, record_listings
from storage.types import utcnow
from storage.urls import canonical_url, strip_tracking

# Articles before further listing pages: the queue stays short, and a crawl
# stopped early has whole pages behind it rather than a long list of links.
ARTICLE_PRIORITY = 10


class PressSpider(ArchiveSpider):
    """Walks each news listing page by page and requests every article once.

    A listing ends at a page with no items, a 404, or a page that leads back
    to one already seen (a redirect to page 1, or the same items again).
    What a listing says of a link (date, category) travels with its request.

    Incremental (the default): articles archived or rejected by earlier
    crawls are not requested again, except those published in the last
    recheck_days; and on a listing an earlier crawl read to the end, the
    crawl stops at an overlap page: the first page of known items after pages
    with new ones, or, when the first page holds nothing new, the page after
    it. So a refresh reads the pages with new items plus one, and two when
    nothing is new. A listing broken off by a failed page, a kill or
    --max-pages is read whole next time.
    """

    name = "press"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (site, lang) -> pages read, and the item sets they showed
        self._pages_seen: dict[tuple[str, str], set[int]] = {}
        self._item_sets_seen: dict[tuple[str, str], set[frozenset[str]]] = {}
        self.state = CrawlState()
        # (site, lang) listings whose first page was all known: the next is the overlap
        self._caught_up: set[tuple[str, str]] = set()
        # (site, lang) listings with new items on a page read so far
        self._news_seen: set[tuple[str, str]] = set()
        # (site, lang) -> read to the end (or caught up) / broken off at a failed page;
        # the archive pipeline records them once the last documents are stored
        self.listing_outcomes: dict[tuple[str, str], bool] = {}

    async def start(self) -> AsyncIterator[Request]:
        if self.crawler.stats.get_value("mfa/locked"):
            return  # another crawl holds the archive: this one touches nothing
        self._load_state()
        for site in self.sites.sites:
            for lang in site.languages:
                yield self.listing_request(site, lang, 1)

    def _load_state(self) -> None:
        engine = make_engine(self.settings.get("MFA_ARCHIVE_DB"))
        try:
            names = [site.name for site in self.sites.sites]
            if not self.full:
                recheck_since = (
                    utcnow().date() - dt.timedelta(days=self.recheck_days)
                    if self.recheck_days
                    else None
                )
                self.state = load_crawl_state(
                    engine, names, recheck_since=recheck_since, retry_rejects=self.retry_rejects
                )
            # Until this crawl finishes, no listing counts as read to the end:
            # a crawl killed midway leaves the next one to read them whole.
            keys = {(site.name, lang) for site in self.sites.sites for lang in site.languages}
            record_listings(engine, self.crawler.stats.get_value("mfa/run_id"),
                            dict.fromkeys(keys, False))  # fmt: skip
        finally:
            engine.dispose()
        self.logger.info(
            "%s crawl: %d known pages, %d to recheck, %d listings walked before",
            self.mode, len(self.state.known), len(self.state.recheck), len(self.state.walked),
        )  # fmt: skip

    def _ended(self, key: tuple[str, str], walked: bool = True) -> None:
        self.listing_outcomes[key] = walked and self.listing_outcomes.get(key, True)

    def listing_request(self, site: Site, lang: str, page: int) -> Request:
        return Request(
            LAYOUTS[site.layout].listing_url(site.base_url, lang, page),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"site": site, "lang": lang, "page": page},
            meta={"handle_httpstatus_list": [404]},
        )

    def parse_listing(
        self, response: Response, site: Site, lang: str, page: int
    ) -> Iterator[Request]:
        key = (site.name, lang)
        where = f"{site.name} {lang} listing page {page}"
        if response.status == 404:
            self.logger.info("%s answered 404: end of listing", where)
            self._ended(key)
            return
        layout = LAYOUTS[site.layout]
        shown = int(url_query_parameter(response.url, layout.page_parameter) or 1)
        if shown in self._pages_seen.setdefault(key, set()):
            self.logger.info("%s leads back to page %d: end of listing", where, shown)
            self._ended(key)
            return
        self._pages_seen[key].add(shown)
        entries = layout.parse_listing(response.selector, response.url)
        if not entries:
            if page == 1:
                # The first page of a listing is never empty on a working site:
                # the layout may have changed. The run is marked failed.
                self.logger.error("%s has no items: has the layout changed?", where)
                self.crawler.stats.inc_value("mfa/empty_first_listing")
                self._ended(key, walked=False)
            else:
                self.logger.info("%s has no items: end of listing", where)
                self._ended(key)
            return
        for entry in entries:
            # Tracking parameters and fragments name no other page: requesting
            # without them lets the duplicate filter see one URL.
            entry.url = strip_tracking(response.urljoin(entry.url))
        urls = frozenset(entry.url for entry in entries)
        if urls in self._item_sets_seen.setdefault(key, set()):
            self.logger.info("%s repeats an earlier page: end of listing", where)
            self._ended(key)
            return
        self._item_sets_seen[key].add(urls)
        all_known, all_older = True, True
        for entry in entries:
            # A first or --full crawl knows nothing: no identity to work out.
            identity = canonical_url(entry.url, site.layout) if self.state.known else ""
            known = identity in self.state.known
            all_known = all_known and known
            if self.since and self._listed_before(entry, lang, self.since):
                continue
            all_older = False
            if known and identity not in self.state.recheck:
                self.crawler.stats.inc_value("mfa/known_skipped")
                continue
            # Scrapy's duplicate filter requests each URL once per crawl,
            # however many pages list it.
            yield Request(
                entry.url,
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"site": site, "lang": lang, "listing": entry},
                priority=ARTICLE_PRIORITY,
            )
        if self.since and all_older:
            self.logger.info("%s is all older than %s: end of this crawl", where, self.since)
            return
        if key in self.state.walked:
            # The overlap: the first page of known items after new ones, or the
            # page after a first page that held nothing new.
            if (all_known and key in self._news_seen) or key in self._caught_up:
                self.logger.info("%s was the overlap page: caught up with earlier crawls", where)
                self._ended(key)
                return
            if all_known:
                self._caught_up.add(key)
            else:
                self._news_seen.add(key)
        if self.max_pages is None or page < self.max_pages:
            yield self.listing_request(site, lang, page + 1)

    @staticmethod
    def _listed_before(entry: ListingEntry, lang: str, day: dt.date) -> bool:
        """Whether the listing dates the entry before day (an unreadable date is not)."""
        listed = parse_site_date(entry.date_text, lang)
        return listed is not None and listed < day

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.logger.error("listing page %s failed: %s", request.url, failure.getErrorMessage())
        self.crawler.stats.inc_value("mfa/listing_errors")
        kwargs = request.cb_kwargs
        self._ended((kwargs["site"].name, kwargs["lang"]), walked=False)

    def parse_article(
        self, response: Response, site: Site, lang: str, listing: ListingEntry
    ) -> FetchedPage | RejectedPage:
        # Extraction happens in the item pipeline (crawler.extract), possibly
        # in another process: the spider only navigates. Callbacks return
        # their one item rather than yield it: Scrapy reads a generator
        # callback's source, to warn of a `return value` in it, at every call.
        if not isinstance(response, TextResponse):
            kind = response.headers.get("Content-Type", b"?").decode("latin-1")
            reason = f"parse error: not an HTML page (Content-Type: {kind})"
            return RejectedPage(response.url, site.name, lang, reason, REJECT_PARSE, site.layout)
        return FetchedPage(
            response.url, site.name, lang, site.layout, response.body, response.encoding, listing
        )

    def article_failed(self, failure: Failure) -> RejectedPage:
        request = failure.request  # type: ignore[attr-defined]
        site: Site = request.cb_kwargs["site"]
        lang: str = request.cb_kwargs["lang"]
        if failure.check(HttpError):
            status = failure.value.response.status
            kind = REJECT_DOWNLOAD if status >= 500 else REJECT_HTTP
            reason = f"HTTP {status}"
        elif failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            kind, reason = REJECT_ROBOTS, "disallowed by robots.txt"
        else:
            kind = REJECT_DOWNLOAD
            reason = f"download failed: {failure.type.__name__}: {failure.getErrorMessage()}"
        return RejectedPage(request.url, site.name, lang, reason, kind, site.layout)
