"""The press spider: every listing page of every site and language, every article."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import url_query_parameter

from crawler.items import FetchedPage, ListingEntry, RejectedPage
from crawler.pages import LAYOUTS
from crawler.sites import Site
from crawler.spiders.base import ArchiveSpider
from crawler.urls import strip_tracking
from storage.records import REJECT_DOWNLOAD, REJECT_HTTP, REJECT_PARSE, REJECT_ROBOTS

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
        self, response: Response, site: Site, lang: str, page: int
    ) -> Iterator[Request]:
        walk = self.plan.walk(site.name, lang)
        if response.status == 404:
            verdict = walk.not_found()
        else:
            layout = LAYOUTS[site.layout]
            shown = int(url_query_parameter(response.url, layout.page_parameter) or 1)
            entries = layout.parse_listing(response.selector, response.url)
            for entry in entries:
                # Tracking parameters and fragments name no other page: requesting
                # without them lets the duplicate filter see one URL.
                entry.url = strip_tracking(response.urljoin(entry.url))
            verdict = walk.read(page, shown, entries)
        if verdict.end:
            log = self.logger.error if verdict.alarm else self.logger.info
            log("%s %s listing page %d %s", site.name, lang, page, verdict.end)
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

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.logger.error("listing page %s failed: %s", request.url, failure.getErrorMessage())
        kwargs = request.cb_kwargs
        self.plan.walk(kwargs["site"].name, kwargs["lang"]).failed()

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
