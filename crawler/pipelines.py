"""Item pipelines: extract each fetched page into a record, then store it.

The extraction pipeline raises DropItem with an exact reason when a page
cannot become a document; the archive pipeline hears every drop (the
item_dropped signal) and records the page among the rejects with that reason,
so nothing listed disappears without a trace.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.http import Response
from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import task

from crawler.extract import extract_article
from crawler.items import (
    REJECT_DOWNLOAD,
    REJECT_INVALID,
    REJECT_PARSE,
    Article,
    FetchedPage,
    RejectedPage,
)
from crawler.workers import ExtractionWorkers, WorkerError
from storage import lock
from storage.archive import Archive, DocumentRecord, RejectRecord, RunCounts
from storage.engine import make_engine
from storage.errors import ArchiveLockedError
from storage.migrate import upgrade
from storage.state import record_listings

logger = logging.getLogger(__name__)

# Reject kinds that mean "something broke" rather than "the page is unusable".
ERROR_KINDS = frozenset({REJECT_DOWNLOAD, REJECT_PARSE})
# When more than this share of the fetched articles cannot be read (and there
# are at least MIN_ARTICLES_FOR_VERDICT), the layout has probably changed: the
# run is failed rather than partial, so that cron says so loudly.
MAX_UNREADABLE_SHARE = 0.5
MIN_ARTICLES_FOR_VERDICT = 5


class ExtractPipeline:
    """Turns each FetchedPage into a normalized Article (crawler.extract).

    With MFA_EXTRACT_PROCESSES > 0 (and Scrapy's asyncio reactor) the work
    runs in that many worker processes (crawler.workers); with 0, here. A page
    the page object cannot read at all (a layout change, a bug) becomes a
    parse_error reject, and its traceback is logged.
    """

    def __init__(self, processes: int) -> None:
        self.workers = ExtractionWorkers(processes) if processes > 0 else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler.settings.getint("MFA_EXTRACT_PROCESSES"))

    async def open_spider(self) -> None:
        if self.workers is not None:
            if is_asyncio_available():
                await self.workers.start()
            else:
                self.workers = None

    async def close_spider(self) -> None:
        if self.workers is not None:
            await self.workers.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        try:
            if self.workers is None:
                return extract_article(item)
            return await self.workers.extract(item)
        except DropItem:
            raise
        except WorkerError as exc:
            reason = str(exc)
        except Exception as exc:
            logger.exception("cannot extract %s", item.url)
            reason = f"parse error: {type(exc).__name__}: {exc}"
        return RejectedPage(item.url, item.site, item.lang, reason, REJECT_PARSE, item.layout)


class ArchivePipeline:
    """Stores documents and rejects, and keeps the crawl run's record.

    Documents are written in batches of MFA_WRITE_BATCH, one transaction
    each, and at least every MFA_WRITE_INTERVAL seconds: a crawl killed
    mid-batch loses that batch whole (the next crawl fetches it again), never
    half a document. Rejects are written at once.

    The pipeline holds the archive's crawl lock (storage.lock) from open to
    close: a second crawl of the same archive closes at once, reason
    "archive_locked".
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.counts = RunCounts()
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.batch_size = crawler.settings.getint("MFA_WRITE_BATCH")
        self.pending: list[DocumentRecord] = []
        self.flusher = task.LoopingCall(self.flush)
        self.articles_read = 0  # fetched articles, whatever became of them
        self.articles_unreadable = 0  # of which the page object or the normalizers failed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        engine = make_engine(self.crawler.settings.get("MFA_ARCHIVE_DB"))
        upgrade(engine)
        try:
            lock.acquire(engine)
        except ArchiveLockedError as exc:
            logger.error("%s", exc)
            self.crawler.stats.set_value("mfa/locked", str(exc))
            raise CloseSpider("archive_locked") from exc
        # Search indexing (PostgreSQL) beside the writes, on another server process.
        self.archive = Archive(engine, index_in_background=True)
        spider = self.crawler.spider
        sites = getattr(spider, "sites", None)
        names = [site.name for site in sites.sites] if sites else []
        langs = sorted({lang for site in sites.sites for lang in site.languages}) if sites else []
        self.run_id = self.archive.start_run(names, langs, getattr(spider, "mode", "full"))
        self.crawler.stats.set_value("mfa/run_id", self.run_id)
        self.flusher.start(self.crawler.settings.getfloat("MFA_WRITE_INTERVAL"), now=False)

    def process_item(self, item: Any) -> Any:
        assert self.archive is not None
        if isinstance(item, RejectedPage):
            if item.kind == REJECT_PARSE:
                self.articles_read += 1
                self.articles_unreadable += 1
            self._reject(RejectRecord(item.url, item.site, item.lang, item.kind, item.reason,
                                      item.layout))  # fmt: skip
            return item
        if isinstance(item, Article):
            self.articles_read += 1
            for article in (item, item.companion):
                if article is not None:
                    self.pending.append(self._record(article))
            if len(self.pending) >= self.batch_size:
                self.flush()
        return item

    @staticmethod
    def _record(article: Article) -> DocumentRecord:
        assert article.title and article.body is not None and article.published_on
        return DocumentRecord(
            site=article.site,
            lang=article.lang,
            url=article.url,
            title=article.title,
            published_on=article.published_on,
            body=article.body,
            body_html=article.body_html or "",
            doc_number=article.doc_number,
            category=article.category,
            title_as_published=article.raw.title,
            layout=article.layout,
            part=article.part,
            canonical=article.canonical_url,
        )

    def flush(self) -> None:
        """Write the pending documents in one transaction."""
        if not self.pending or self.archive is None:
            return
        batch, self.pending = self.pending, []
        try:
            outcomes = self.archive.store_many(batch, self.run_id)
        except SQLAlchemyError as exc:
            self._archive_failed(exc, f"cannot write {len(batch)} documents to the archive")
            self.counts.errors += len(batch)
            self.crawler.stats.inc_value("mfa/errors", len(batch))
            return
        for outcome in outcomes:
            self.counts.count(outcome)
            self.crawler.stats.inc_value(f"mfa/documents/{outcome}")

    def _archive_failed(self, exc: SQLAlchemyError, what: str) -> None:
        """The archive cannot take writes (disk full, a lock held too long): stop
        rather than fetch pages that cannot be kept."""
        # The first line says what went wrong; the rest is the SQL and every
        # parameter of the batch, pages of it.
        error = str(exc).splitlines()[0]
        logger.error("%s: %s", what, error)
        self.crawler.stats.set_value("mfa/archive_error", error)
        engine = self.crawler.engine
        if engine is not None and engine.running:
            deferred_from_coro(engine.close_spider_async(reason="archive_error"))

    def item_dropped(
        self, item: Any, response: Response | None, exception: Exception, spider: Spider
    ) -> None:
        if isinstance(item, FetchedPage | Article):
            self.articles_read += 1
            self.articles_unreadable += 1
            self._reject(RejectRecord(item.url, item.site, item.lang, REJECT_INVALID,
                                      str(exception), item.layout))  # fmt: skip

    def _reject(self, reject: RejectRecord) -> None:
        assert self.archive is not None
        try:
            self.archive.record_reject(reject, self.run_id)
        except SQLAlchemyError as exc:
            self._archive_failed(exc, f"cannot record the reject of {reject.url}")
        if reject.kind in ERROR_KINDS:
            self.counts.errors += 1
            self.crawler.stats.inc_value("mfa/errors")
        else:
            self.counts.rejects += 1
            self.crawler.stats.inc_value("mfa/rejects")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.flusher.running:
            self.flusher.stop()
        if self.archive is None or self.run_id is None:
            return
        self.flush()
        stats = self.crawler.stats
        self.counts.pages_fetched = stats.get_value("response_received_count", 0)
        self.counts.errors += stats.get_value("mfa/listing_errors", 0)
        self.counts.errors += stats.get_value("spider_exceptions/count", 0)
        if reason == "shutdown":  # Ctrl-C or SIGTERM: what was fetched is kept
            status = "interrupted"
        elif (
            reason != "finished"
            or stats.get_value("mfa/archive_error")  # the last write may fail after the last page
            or stats.get_value("mfa/empty_first_listing", 0)
            or self._layout_broken()
        ):
            status = "failed"
        elif self.counts.rejects or self.counts.errors:
            status = "partial"
        else:
            status = "ok"
        outcomes = getattr(spider, "listing_outcomes", {})
        if reason == "finished" and not stats.get_value("mfa/archive_error") and outcomes:
            # Only now, every document stored: which listings were read to the end.
            record_listings(self.archive.engine, self.run_id, outcomes)
        self.archive.finish_run(self.run_id, status, self.counts)
        self.archive.close()
        stats.set_value("mfa/run_status", status)
        lock.release(self.archive.engine)

    def _layout_broken(self) -> bool:
        read, unreadable = self.articles_read, self.articles_unreadable
        if read >= MIN_ARTICLES_FOR_VERDICT and unreadable > read * MAX_UNREADABLE_SHARE:
            logger.error(
                "%d of %d articles could not be read: has the layout changed?", unreadable, read
            )
            return True
        return False
