"""Downloader middlewares."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import sleep


class RetryBackoffMiddleware:
    """Waits before sending a retried request, longer at each retry.

    Scrapy's RetryMiddleware re-schedules a failed request at once; a server
    that answered 503 needs a moment. The wait is ``MFA_RETRY_BACKOFF *
    2**(n-1)`` seconds before retry n, at most ``MFA_RETRY_BACKOFF_MAX``.
    """

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        base = crawler.settings.getfloat("MFA_RETRY_BACKOFF")
        if base <= 0:
            raise NotConfigured
        return cls(base, crawler.settings.getfloat("MFA_RETRY_BACKOFF_MAX"))

    def backoff(self, retries: int) -> float:
        return min(self.cap, self.base * 2 ** (retries - 1)) if retries > 0 else 0.0

    async def process_request(self, request: Request) -> None:
        wait = self.backoff(request.meta.get("retry_times", 0))
        if wait:
            await sleep(wait)
