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
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.utils.asyncio import is_asyncio_available
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import task

from crawler.exceptions import PageRejected
from crawler.extract import extract_article
from crawler.items import Article, FetchedPage, RejectedPage
from crawler.pages import LAYOUTS
from crawler.run import ArchiveRun
from crawler.workers import ExtractionWorkers, WorkerError
from storage.records import (
    ERROR_KINDS,
    REJECT_INVALID,
    REJECT_PARSE,
    DocumentRecord,
    RejectRecord,
)

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Turns each FetchedPage into a normalized Article (crawler.extract).

    With MFA_EXTRACT_PROCESSES > 0 (and Scrapy's asyncio reactor) the work
    runs in that many worker processes (crawler.workers); with 0, here. A page
    that cannot be a document is dropped with the exact reason (DropItem); a
    page the page object cannot read at all (a layout change, a bug) becomes
    a parse_error reject, and its traceback is logged.
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
        except PageRejected as exc:
            raise DropItem(str(exc)) from exc
        except WorkerError as exc:
            reason = str(exc)
        except Exception as exc:
            logger.exception("cannot extract %s", item.url)
            reason = f"parse error: {type(exc).__name__}: {exc}"
        return RejectedPage(item.url, item.site, item.lang, reason, REJECT_PARSE, item.layout)


class ArchivePipeline:
    """Stores documents and rejects in the crawl run's archive (crawler.run).

    Documents are written in batches of MFA_WRITE_BATCH, one transaction
    each, and at least every MFA_WRITE_INTERVAL seconds: a crawl killed
    mid-batch loses that batch whole (the next crawl fetches it again), never
    half a document. Rejects are written at once. Every page dropped by an
    earlier pipeline (the item_dropped signal) is recorded among the rejects
    with its reason, so nothing listed disappears without a trace. What was
    written is counted into the run.
    """

    def __init__(self, crawler: Crawler, run: ArchiveRun) -> None:
        self.run = run
        self.batch_size = crawler.settings.getint("MFA_WRITE_BATCH")
        self.interval = crawler.settings.getfloat("MFA_WRITE_INTERVAL")
        self.pending: list[DocumentRecord] = []
        self.flusher = task.LoopingCall(self.flush)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        run = ArchiveRun.of(crawler)
        if run is None:
            raise RuntimeError("ArchivePipeline needs the crawler.run.ArchiveRun extension")
        pipeline = cls(crawler, run)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self) -> None:
        self.flusher.start(self.interval, now=False)

    def close_spider(self) -> None:
        if self.flusher.running:
            self.flusher.stop()
        self.flush()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, RejectedPage):
            if item.kind == REJECT_PARSE:
                self.run.articles_read += 1
                self.run.articles_unreadable += 1
            self._reject(item.url, item.site, item.lang, item.layout, item.kind, item.reason)
            return item
        if isinstance(item, Article):
            self.run.articles_read += 1
            for article in (item, item.companion):
                if article is not None:
                    self.pending.append(_record(article))
            if len(self.pending) >= self.batch_size:
                self.flush()
        return item

    def flush(self) -> None:
        """Write the pending documents in one transaction."""
        archive = self.run.archive
        if not self.pending or archive is None:
            return
        batch, self.pending = self.pending, []
        try:
            outcomes = archive.store_many(batch, self.run.run_id)
        except SQLAlchemyError as exc:
            self._archive_failed(exc, f"cannot write {len(batch)} documents to the archive")
            self.run.counts.errors += len(batch)
            return
        for outcome in outcomes:
            self.run.counts.count(outcome)

    def item_dropped(
        self, item: Any, response: Response | None, exception: Exception, spider: Spider
    ) -> None:
        if isinstance(item, FetchedPage | Article):
            self.run.articles_read += 1
            self.run.articles_unreadable += 1
            self._reject(item.url, item.site, item.lang, item.layout, REJECT_INVALID,
                         str(exception))  # fmt: skip

    def _reject(self, url: str, site: str, lang: str, layout: str, kind: str, reason: str) -> None:
        archive = self.run.archive
        if archive is None:
            return
        identity = LAYOUTS[layout].canonical_url(url)
        try:
            archive.record_reject(RejectRecord(url, identity, site, lang, kind, reason),
                                  self.run.run_id)  # fmt: skip
        except SQLAlchemyError as exc:
            self._archive_failed(exc, f"cannot record the reject of {url}")
        if kind in ERROR_KINDS:
            self.run.counts.errors += 1
        else:
            self.run.counts.rejects += 1

    def _archive_failed(self, exc: SQLAlchemyError, what: str) -> None:
        # The first line says what went wrong; the rest is the SQL and every
        # parameter of the batch, pages of it.
        self.run.archive_failed(what, str(exc).splitlines()[0])


def _record(article: Article) -> DocumentRecord:
    """An extracted article as the archive takes it: values, no layout rules."""
    assert article.title and article.body is not None and article.published_on
    assert article.canonical_url is not None
    return DocumentRecord(
        site=article.site,
        lang=article.lang,
        url=article.url,
        canonical_url=article.canonical_url,
        title=article.title,
        published_on=article.published_on,
        body=article.body,
        body_html=article.body_html or "",
        layout=article.layout,
        authoritative=LAYOUTS[article.layout].authoritative,
        doc_number=article.doc_number,
        category=article.category,
        title_as_published=article.raw.title,
        release_key=article.release_key,
        part=article.part,
    )
