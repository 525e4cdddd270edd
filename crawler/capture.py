"""Captures: every response a crawl receives, kept in WARC files (crawler.warc).

``CaptureMiddleware`` sits next to the downloader (crawler/settings.py), where
Scrapy still has the body and headers as the server sent them: before
HttpCompressionMiddleware decompresses the body (so the stored body and its
Content-Encoding agree), before redirects, retries and HTTP errors are acted
on (every answer, each retry's too, is kept). It writes each fetch as the
response passes (0.12 ms of CPU a page: a thread of its own bought
nothing on a machine whose cores the crawl keeps busy, and cost its
handoffs), and puts the capture's reference (storage.records.CaptureRef) in the
request's meta (``CAPTURE_META``), whence the spider hands it to the items
that carry it to the archive (sources, rejects, revisions).

A response whose payload is the same as the URL's last capture (kept in the
archive, or written earlier in this crawl) is written as a revisit record.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.run import ArchiveRun
from crawler.sites import Site
from crawler.warc import Exchange, WarcWriter, warc_dir_for
from storage.captures import latest_captures
from storage.engine import database_url
from storage.records import CaptureRef
from storage.types import utcnow

logger = logging.getLogger(__name__)

# Where a request's capture travels: request.meta, hence response.meta.
CAPTURE_META = "mfa_capture"


def fetch_context(request: Request, run_id: int | None) -> dict[str, Any]:
    """What the crawl made of a request, for the capture's metadata record:
    enough to read the page again as the crawl read it (crawler.reparse)."""
    kwargs = request.cb_kwargs
    site: Site | None = kwargs.get("site")
    context: dict[str, Any] = {"run": run_id, "kind": "other"}
    if site is not None:
        context |= {
            "site": site.name, "lang": kwargs.get("lang"), "layout": site.layout,
            "authoritative": site.authoritative, "base_url": site.base_url,
        }  # fmt: skip
    if (listing := kwargs.get("listing")) is not None:  # an article, and what its listing said
        context |= {"kind": "article", "listing": dict(vars(listing))}
    elif "page" in kwargs:
        context |= {"kind": "listing", "page": kwargs["page"]}
    return context


class CaptureMiddleware:
    """Writes each response, with its request, to the run's WARC files.

    Settings: MFA_WARC_ENABLED (False: no captures), MFA_WARC_DIR (default:
    crawler.warc.warc_dir_for), MFA_WARC_MAX_BYTES (a new file past it).
    """

    def __init__(self, crawler: Crawler, directory: Path, max_bytes: int) -> None:
        self.crawler = crawler
        self.directory = directory
        self.max_bytes = max_bytes
        self.writer: WarcWriter | None = None
        self.run_id: int | None = None  # the crawl run's, once the first response came
        self.latest: dict[str, CaptureRef] = {}  # each URL's last capture: revisits
        self.captured = 0
        self.failed = 0  # responses that could not be written

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("MFA_WARC_ENABLED"):
            raise NotConfigured  # without a message: Scrapy says nothing of it
        directory = warc_dir_for(database_url(settings.get("MFA_ARCHIVE_DB")),
                                 settings.get("MFA_WARC_DIR"))  # fmt: skip
        middleware = cls(crawler, directory, settings.getint("MFA_WARC_MAX_BYTES"))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _open(self) -> WarcWriter:
        """The run's writer, at the first response: the run has started by then."""
        run = ArchiveRun.of(self.crawler)
        run_id = self.run_id = run.run_id if run is not None else None
        if run is not None and run.archive is not None:
            self.latest = latest_captures(run.archive.engine)
        started = utcnow()
        prefix = f"mfa-archive-run{run_id or 0:05d}-{started:%Y%m%d%H%M%S}"
        user_agent = self.crawler.settings.get("USER_AGENT")
        info = {"isPartOf": f"mfa-archive crawl run {run_id}" if run_id else "mfa-archive crawl",
                "http-header-user-agent": user_agent, "robots": "obey"}  # fmt: skip
        self.writer = WarcWriter(self.directory, prefix, max_bytes=self.max_bytes, info=info)
        logger.info("capturing responses into %s", self.directory / f"{prefix}-*.warc.gz")
        return self.writer

    def process_request(self, request: Request) -> None:
        # A retried or redirected request starts without its last answer's capture.
        request.meta.pop(CAPTURE_META, None)

    def process_response(self, request: Request, response: Response) -> Response:
        writer = self.writer or self._open()
        exchange = Exchange(
            url=response.url,
            method=request.method,
            request_headers=_headers(request.headers),
            status=response.status,
            response_headers=_headers(response.headers),
            body=response.body,
            fetched_at=utcnow(),
            context=fetch_context(request, self.run_id),
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        previous = self.latest.get(response.url)
        try:
            capture = writer.write(exchange, previous)
        except OSError as exc:
            # A full disk: the page is still archived, without its capture; say so once.
            if not self.failed:
                logger.error("cannot write captures to %s: %s", self.directory, exc)
            self.failed += 1
            return response
        self.latest[response.url] = capture
        self.captured += 1
        request.meta[CAPTURE_META] = capture
        return response

    def spider_closed(self, spider: Spider) -> None:
        if self.writer is not None:
            self.writer.close()
            logger.info("%d responses captured in %s", self.captured, ", ".join(self.writer.files))


def _headers(headers: Any) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) pairs, a repeated header once per value."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
