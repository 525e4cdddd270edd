"""Item pipelines: extract each fetched page into a record, then store it.

The extraction pipeline raises DropItem with an exact reason when a page
cannot become a document; the archive pipeline hears every drop (the
item_dropped signal) and records the page among the rejects with that reason,
so nothing listed disappears without a trace.
"""

from __future__ import annotations

import logging
from collections import Counter
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
from crawler.feeds import document_record, reject_record
from crawler.items import Article, FetchedPage, RejectedPage
from crawler.pages import LAYOUTS
from crawler.run import ArchiveRun
from crawler.workers import ExtractionWorkers, WorkerError
from storage.records import (
    ERROR_KINDS,
    REJECT_INVALID,
    REJECT_PARSE,
    CaptureRef,
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
                return with_capture(extract_article(item), item.capture)
            return with_capture(await self.workers.extract(item), item.capture)
        except PageRejected as exc:
            raise DropItem(str(exc)) from exc
        except WorkerError as exc:
            reason = str(exc)
        except Exception as exc:
            logger.exception("cannot extract %s", item.url)
            reason = f"parse error: {type(exc).__name__}: {exc}"
        return RejectedPage(item.listing.url, item.site, item.lang, reason, REJECT_PARSE,
                            item.layout, item.capture)  # fmt: skip


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
        self.feed_rejects = crawler.settings.getbool("MFA_FEED_REJECTS")
        self.pending: list[DocumentRecord] = []
        self.flusher = task.LoopingCall(self.flush)
        # Pages read by a fallback, by site, and how often each field fell back.
        self.fallbacks: dict[str, Counter[str]] = {}

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
        for site, fields in self.fallbacks.items():
            tally = ", ".join(f"{name} {n}" for name, n in sorted(fields.items()) if name)
            logger.warning("%s: %d page(s) read by fallbacks (%s): check its layout's selectors "
                           "(docs/sites-and-selectors.md)", site, fields[""], tally)  # fmt: skip

    def process_item(self, item: Any) -> Any:
        if self.run.archive is None:
            return item  # no crawl run (Scrapy's parse and check commands): nothing stored
        if isinstance(item, RejectedPage):
            if item.kind == REJECT_PARSE:
                self.run.articles_read += 1
                self.run.articles_unreadable += 1
            self._reject(item.url, item.site, item.lang, item.layout, item.kind, item.reason,
                         item.capture)  # fmt: skip
            if self.feed_rejects:
                return reject_record(item)
            raise DropItem(item.reason)  # recorded above; feeds carry documents only
        if isinstance(item, Article):
            self.run.articles_read += 1
            if item.raw.fallbacks:
                self._read_by_fallback(item)
            for article in (item, item.companion):
                if article is not None:
                    self.pending.append(_record(article))
            if len(self.pending) >= self.batch_size:
                self.flush()
            return document_record(item)  # what a feed export writes
        return item

    def _read_by_fallback(self, article: Article) -> None:
        """Count a page its layout's selectors could not read, and say so once a site."""
        self.run.counts.fallback_extractions += 1
        fields = self.fallbacks.setdefault(article.site, Counter())
        if not fields:
            logger.warning("%s: %s read by fallbacks (%s): the %s layout's selectors do not "
                           "fit it", article.site, article.url, ", ".join(article.raw.fallbacks),
                           article.layout)  # fmt: skip
        fields.update(("", *article.raw.fallbacks))  # "": the pages

    def flush(self) -> None:
        """Write the pending documents in one transaction."""
        archive = self.run.archive
        if not self.pending or archive is None:
            return
        batch, self.pending = self.pending, []
        try:
            outcomes = archive.store_many(batch, self.run.run_id)
        except Exception as exc:  # a bug too: the batch is not written, and the run says so
            if not isinstance(exc, SQLAlchemyError):
                logger.exception("cannot write %d documents to the archive", len(batch))
            self._archive_failed(exc, f"cannot write {len(batch)} documents to the archive")
            self.run.counts.errors += len(batch)
            return
        for outcome in outcomes:
            self.run.counts.count(outcome)

    def item_dropped(
        self, item: Any, response: Response | None, exception: Exception, spider: Spider
    ) -> None:
        if isinstance(item, FetchedPage | Article):
            # ExtractPipeline drops a page for the PageRejected that says why, and of what kind.
            kind = getattr(exception.__cause__, "kind", REJECT_INVALID)
            self.run.articles_read += 1
            if kind == REJECT_INVALID:  # what the page object could not find: the layout's fault
                self.run.articles_unreadable += 1
            self._reject(item.listing.url, item.site, item.lang, item.layout, kind, str(exception),
                         item.capture)  # fmt: skip

    def _reject(self, url: str, site: str, lang: str, layout: str, kind: str, reason: str,
                capture: CaptureRef | None = None) -> None:  # fmt: skip
        archive = self.run.archive
        if archive is None:
            return
        identity = LAYOUTS[layout].canonical_url(url)
        try:
            archive.record_reject(RejectRecord(url, identity, site, lang, kind, reason, capture),
                                  self.run.run_id)  # fmt: skip
        except SQLAlchemyError as exc:
            self._archive_failed(exc, f"cannot record the reject of {url}")
        if kind in ERROR_KINDS:
            self.run.counts.errors += 1
        else:
            self.run.counts.rejects += 1

    def _archive_failed(self, exc: Exception, what: str) -> None:
        # The first line says what went wrong; the rest is the SQL and every
        # parameter of the batch, pages of it.
        self.run.archive_failed(what, (str(exc).splitlines() or [type(exc).__name__])[0])


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
        authoritative=article.authoritative,
        doc_number=article.doc_number,
        category=article.category,
        title_as_published=article.raw.title,
        release_key=article.release_key,
        part=article.part,
        listed_canonical_url=article.listed_canonical_url,
        extraction=article.raw.extraction,
        capture=article.capture,
    )


def with_capture(article: Article, capture: CaptureRef | None) -> Article:
    """The article (and its second language's part) with its page's capture:
    extraction, in a worker, knows nothing of it."""
    for part in (article, article.companion):
        if part is not None:
            part.capture = capture
    return article
