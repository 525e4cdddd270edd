"""Downloader middlewares."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from w3lib.url import canonicalize_url

from crawler.sites import Site
from storage.types import utcnow


class OffsiteRedirect(IgnoreRequest):
    """Raised when a site's page redirects to another host: never followed."""

    def __init__(self, target: str) -> None:
        super().__init__(f"redirected to another host: {target}")
        self.target = target


class RedirectLoop(IgnoreRequest):
    """Raised when a redirect leads back to a URL of its own chain."""

    def __init__(self, chain: list[str]) -> None:
        super().__init__(f"redirect loop: {' -> '.join(chain)}")
        self.chain = chain


class _OnSite:
    """What every redirect of a site's page obeys, HTTP or meta refresh: it
    stays on the site's own host, and never comes back to its own chain."""

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        site: Site | None = request.cb_kwargs.get("site")
        if site is not None and not site.serves(redirected.url):
            raise OffsiteRedirect(redirected.url)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        # The URLs as fetched (w3lib's canonical form: query order and escapes
        # aside), not their identity: http -> https or a trailing slash is a
        # redirect, not a loop.
        if canonicalize_url(redirected.url) in {canonicalize_url(url) for url in chain}:
            raise RedirectLoop([*chain, redirected.url])
        redirected = super()._redirect(redirected, request, reason)  # type: ignore[misc]
        # A target requested earlier in the crawl would be dropped by the
        # duplicate filter, silently: the listed link would end as nothing.
        # Loops are caught above, and REDIRECT_MAX_TIMES bounds the rest.
        redirected.dont_filter = True
        return redirected


class SiteRedirectMiddleware(_OnSite, RedirectMiddleware):
    """Scrapy's RedirectMiddleware, kept to the site's own host and free of loops.

    A redirect to another host would store another host's page as the
    site's: it is refused (OffsiteRedirect), and the other host never
    requested. A redirect back to a URL of its own chain (a -> b -> a) would
    be dropped in silence by the duplicate filter: it is refused
    (RedirectLoop), so that the page becomes a reject with its chain.
    """


class SiteMetaRefreshMiddleware(_OnSite, MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, under the same rules as SiteRedirectMiddleware:
    a page's ``<meta http-equiv="refresh">`` is a redirect too."""


class RetryBackoffMiddleware:
    """Waits before sending a retried request, longer at each retry.

    Scrapy's RetryMiddleware re-schedules a failed request at once; a server
    that answered 503 needs a moment. The wait is ``MFA_RETRY_BACKOFF *
    2**(n-1)`` seconds before retry n, at most ``MFA_RETRY_BACKOFF_MAX``;
    longer if the server asked for more with Retry-After (429, 503), up to
    the same cap.
    """

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        # With MFA_RETRY_BACKOFF 0 a server's Retry-After is still honoured.
        base = max(0.0, crawler.settings.getfloat("MFA_RETRY_BACKOFF"))
        return cls(base, crawler.settings.getfloat("MFA_RETRY_BACKOFF_MAX"))

    def backoff(self, retries: int) -> float:
        return min(self.cap, self.base * 2 ** (retries - 1)) if retries > 0 else 0.0

    async def process_request(self, request: Request) -> None:
        wait = self.backoff(request.meta.get("retry_times", 0))
        wait = max(wait, min(self.cap, request.meta.pop("retry_after", 0.0)))
        if wait:
            await sleep(wait)

    def process_response(self, request: Request, response: Response) -> Response:
        # Runs before RetryMiddleware, whose retried request copies this meta.
        if response.status in (429, 503) and (header := response.headers.get("Retry-After")):
            request.meta["retry_after"] = retry_after_seconds(header.decode("latin-1"))
        return response


def retry_after_seconds(value: str) -> float:
    """A Retry-After header's wait: seconds, or an HTTP date; 0 if unreadable."""
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to str.isdigit
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return 0.0
