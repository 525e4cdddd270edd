"""The layout check's spider: each site's first listing page and its newest article.

Outside crawler/spiders on purpose: it is `mfa-archive check-layout`'s, which reads
its reports, not one for `scrapy crawl` (Scrapy's loader lists that package's).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FetchedPage, ListingEntry
from crawler.layout_check import LayoutReport, PageCheck, check_article, check_listing
from crawler.pages import LAYOUTS
from crawler.sites import Site
from crawler.spiders.press import PressSpider, failure_reason
from crawler.urls import strip_tracking


class LayoutCheckSpider(PressSpider):
    """Two requests per site and language (and robots.txt), with the crawl's
    politeness: listing page 1, then the first article it lists; each checked
    by crawler.layout_check. Nothing is archived or captured."""

    name = "check-layout"
    custom_settings: ClassVar[dict[str, Any]] = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {
            "scrapy.extensions.telnet.TelnetConsole": None,
            "crawler.run.ArchiveRun": None,
        },
        "MFA_WARC_ENABLED": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.results: dict[tuple[str, str], LayoutReport] = {}

    def reports(self) -> list[LayoutReport]:
        """One report per site and language, in the sites file's order."""
        ordered = []
        for site, lang in self.options.listings():
            report = self.results.get((site.name, lang)) or LayoutReport(
                site.name, lang, site.layout
            )
            ordered.append(report)
        return ordered

    async def start(self) -> AsyncIterator[Request]:
        for site, lang in self.options.listings():
            self.results[(site.name, lang)] = LayoutReport(site.name, lang, site.layout)
            yield Request(
                LAYOUTS[site.layout].listing_url(site.base_url, lang, 1),
                callback=self.check_listing,
                errback=self.listing_unreachable,
                cb_kwargs={"site": site, "lang": lang, "page": 1},
            )

    def check_listing(
        self, response: Response, site: Site, lang: str, page: int
    ) -> Iterator[Request]:
        report = self.results[(site.name, lang)]
        encoding = getattr(response, "encoding", "utf-8")
        report.listing, entries = check_listing(
            LAYOUTS[site.layout], response.body, encoding, response.url
        )
        if entries:
            entry = entries[0]
            entry.url = strip_tracking(response.urljoin(entry.url))
            yield Request(entry.url, callback=self.check_article, errback=self.article_unreachable,
                          cb_kwargs={"site": site, "lang": lang, "listing": entry})  # fmt: skip

    def check_article(
        self, response: Response, site: Site, lang: str, listing: ListingEntry
    ) -> None:
        report = self.results[(site.name, lang)]
        item = self.parse_article(response, site, lang, listing)
        if isinstance(item, FetchedPage):
            report.article = check_article(LAYOUTS[site.layout], item)
        else:
            report.article = PageCheck(response.url, site.layout, error=item.reason)

    def listing_unreachable(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        site: Site = request.cb_kwargs["site"]
        _, reason = failure_reason(failure)
        report = self.results[(site.name, request.cb_kwargs["lang"])]
        report.listing = PageCheck(request.url, site.layout, error=reason)

    def article_unreachable(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        site: Site = request.cb_kwargs["site"]
        _, reason = failure_reason(failure)
        report = self.results[(site.name, request.cb_kwargs["lang"])]
        report.article = PageCheck(request.url, site.layout, error=reason)
