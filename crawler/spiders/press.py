"""The press spider: every listing page of every site and language, every article."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import url_query_parameter

from crawler.capture import CAPTURE_META
from crawler.items import FetchedPage, ListingEntry, RejectedPage
from crawler.middlewares import OffsiteRedirect, RedirectLoop
from crawler.pages import LAYOUTS
from crawler.run import ArchiveRun
from crawler.sites import Site
from crawler.spiders.base import ArchiveSpider
from crawler.urls import strip_tracking
from crawler.walk import PageVerdict
from storage.records import (
    REJECT_DOWNLOAD,
    REJECT_HTTP,
    REJECT_INVALID,
    REJECT_LISTING,
    REJECT_NOT_HTML,
    REJECT_OFFSITE,
    REJECT_REDIRECT_LOOP,
    REJECT_ROBOTS,
    REJECT_TOO_LARGE,
)

# Client errors that say "not now" rather than "not here" (Scrapy retries them).
RETRIED_CLIENT_ERRORS = frozenset({408, 429})

# Articles before further listing pages: the queue stays short, and a crawl
# stopped early has whole pages behind it rather than a long list of links.
ARTICLE_PRIORITY = 10


class PressSpider(ArchiveSpider):
    """Walks each news listing page by page and requests every article once.

    Where a listing ends and which of its links to request is its walk's
    decision (crawler.walk: the end of a listing, the overlap page of an
    incremental crawl, --since, --max-pages); what a listing says of a link
    (date, category) travels with its request. The spider only navigates:
    extraction and storage are the pipelines', the run the ArchiveRun
    extension's.
    """

    name = "press"

    async def start(self) -> AsyncIterator[Request]:
        run = ArchiveRun.of(self.crawler)
        if run is not None:
            plan = run.begin(self.options)  # the archive's state, as a plan
            if plan is None:
                return  # another crawl holds the archive: this one touches nothing
            self.plan = plan
        for site, lang in self.options.listings():
            yield self.listing_request(site, lang, 1)

    def listing_request(self, site: Site, lang: str, page: int) -> Request:
        return Request(
            LAYOUTS[site.layout].listing_url(site.base_url, lang, page),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"site": site, "lang": lang, "page": page},
            meta={"handle_httpstatus_list": [404]},
        )

    def parse_listing(
        self,
        response: Response,
        site: Site | None = None,
        lang: str | None = None,
        page: int | None = None,
    ) -> Iterator[Request | RejectedPage]:
        """A listing page: its articles' requests and the next page's.

        @site main en
        @returns requests 2
        @returns items 0 0
        """
        if site is None or lang is None:  # `scrapy parse` and contracts give a bare URL
            site, lang = self.locate(response.url)
        if page is None:
            layout = LAYOUTS[site.layout]
            page = int(url_query_parameter(response.url, layout.page_parameter) or 1)
        walk = self.plan.walk(site.name, lang)
        if response.status == 404:
            verdict = walk.not_found(page)
        else:
            layout = LAYOUTS[site.layout]
            shown = int(url_query_parameter(response.url, layout.page_parameter) or 1)
            entries = []
            for entry in layout.parse_listing(response.selector, response.url):
                try:
                    # Tracking parameters and fragments name no other page: requesting
                    # without them lets the duplicate filter see one URL.
                    entry.url = strip_tracking(response.urljoin(entry.url))
                except ValueError:  # "http://[x/": no URL at all; the rest of the page is
                    reason = f"malformed link on listing page {page}: {entry.url!r}"
                    yield RejectedPage(entry.url, site.name, lang, reason, REJECT_INVALID,
                                       site.layout)  # fmt: skip
                    continue
                entries.append(entry)
            verdict = walk.read(page, shown, entries)
        yield from self._follow(verdict, site, lang, page)

    def _follow(
        self, verdict: PageVerdict, site: Site, lang: str, page: int
    ) -> Iterator[Request | RejectedPage]:
        """What a walk said after a listing page: log its end, reject links to
        other hosts, request the articles and the next page."""
        if verdict.end:
            log = self.logger.error if verdict.alarm else self.logger.info
            log("%s %s listing page %d %s", site.name, lang, page, verdict.end)
        for entry in verdict.offsite:
            # A page from another host is not this site's, whatever it claims.
            reason = f"offsite: listed link to another host, {entry.url}"
            yield RejectedPage(entry.url, site.name, lang, reason, REJECT_OFFSITE, site.layout)
        for entry in verdict.articles:
            # Scrapy's duplicate filter requests each URL once per crawl,
            # however many pages list it.
            yield Request(
                entry.url,
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"site": site, "lang": lang, "listing": entry},
                priority=ARTICLE_PRIORITY,
            )
        if verdict.next_page is not None:
            yield self.listing_request(site, lang, verdict.next_page)

    def listing_failed(self, failure: Failure) -> Iterator[Request | RejectedPage]:
        """A listing page that failed after retries is recorded, and the walk
        goes on to the next page (the next crawl reads the listing whole)."""
        request = failure.request  # type: ignore[attr-defined]
        site: Site = request.cb_kwargs["site"]
        lang: str = request.cb_kwargs["lang"]
        page: int = request.cb_kwargs["page"]
        _, reason = failure_reason(failure)
        self.logger.error("%s %s listing page %d failed: %s", site.name, lang, page, reason)
        yield RejectedPage(request.meta.get("redirect_urls", [request.url])[0], site.name, lang,
                           f"listing page {page}: {reason}", REJECT_LISTING, site.layout,
                           request.meta.get(CAPTURE_META))  # fmt: skip
        verdict = self.plan.walk(site.name, lang).failed(page, reason)
        yield from self._follow(verdict, site, lang, page)

    def parse_article(
        self,
        response: Response,
        site: Site | None = None,
        lang: str | None = None,
        listing: ListingEntry | None = None,
    ) -> FetchedPage | RejectedPage:
        """An article page, for the extraction pipeline.

        @site main en /en/news/no43820-head-of-the-press-service-department-of-the-mfa-answers-the-question
        @returns items 1 1
        @returns requests 0 0
        @scrapes url site lang layout body encoding
        """
        if site is None or lang is None:
            site, lang = self.locate(response.url)
        listing = listing or ListingEntry(response.url)
        # Extraction happens in the item pipeline (crawler.extract), possibly
        # in another process: the spider only navigates. Callbacks return
        # their one item rather than yield it: Scrapy reads a generator
        # callback's source, to warn of a `return value` in it, at every call.
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if not isinstance(response, TextResponse) or not _is_html(content_type):
            # Scrapy guesses a text response from the bytes too: the header says what it is.
            reason = f"not an HTML page (Content-Type: {content_type or '?'})"
            return RejectedPage(listing.url, site.name, lang, reason, REJECT_NOT_HTML, site.layout,
                                response.meta.get(CAPTURE_META))  # fmt: skip
        return FetchedPage(response.url, site.name, lang, site.layout, response.body,
                           response.encoding, listing, site.authoritative,
                           response.meta.get(CAPTURE_META))  # fmt: skip

    def article_failed(self, failure: Failure) -> RejectedPage:
        request = failure.request  # type: ignore[attr-defined]
        site: Site = request.cb_kwargs["site"]
        lang: str = request.cb_kwargs["lang"]
        listing: ListingEntry = request.cb_kwargs["listing"]
        kind, reason = failure_reason(failure)
        # Recorded under the link as listed, wherever redirects led: every listed
        # link ends as a document or a reject.
        return RejectedPage(listing.url, site.name, lang, reason, kind, site.layout,
                            request.meta.get(CAPTURE_META))  # fmt: skip


def _is_html(content_type: str) -> bool:
    """An HTML page by its Content-Type; a page that names none is judged by its bytes."""
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media in {"text/html", "application/xhtml+xml"}


def failure_reason(failure: Failure) -> tuple[str, str]:
    """The reject kind and the exact reason of a request that failed."""
    message = failure.getErrorMessage()
    if failure.check(HttpError):
        status = failure.value.response.status
        # 5xx, and 408 or 429 still after the retries: a server in trouble, tried
        # again next crawl; other 4xx: the page is not there.
        passing = status >= 500 or status in RETRIED_CLIENT_ERRORS
        return (REJECT_DOWNLOAD if passing else REJECT_HTTP), f"HTTP {status}"
    if failure.check(OffsiteRedirect):
        return REJECT_OFFSITE, f"offsite: redirected to another host, {failure.value.target}"
    if failure.check(RedirectLoop):
        return REJECT_REDIRECT_LOOP, f"redirect loop: {' → '.join(failure.value.chain)}"
    if failure.check(IgnoreRequest) and "robots.txt" in message:
        return REJECT_ROBOTS, "disallowed by robots.txt"
    if failure.check(IgnoreRequest) and "max redirections" in message:
        chain = [*failure.request.meta.get("redirect_urls", []), failure.request.url]  # type: ignore[attr-defined]
        return REJECT_REDIRECT_LOOP, f"too many redirects: {' → '.join(chain)}"
    if "DOWNLOAD_MAXSIZE" in message or "larger than download max size" in message:
        # Scrapy cuts a body at DOWNLOAD_MAXSIZE, compressed or not: a bomb stops early.
        return REJECT_TOO_LARGE, f"too large: {message.split(' in request ')[0]}"
    return REJECT_DOWNLOAD, f"download failed: {failure.type.__name__}: {message}"
