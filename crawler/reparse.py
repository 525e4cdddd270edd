"""Reparse: documents, sources and rejects derived again from the captures, offline.

The crawl's own code does the work, fed from the WARC files instead of the
network: each captured article response becomes a Scrapy response again
(Scrapy's HttpCompressionMiddleware decodes its body, with the same size
limit), which the press spider's own callbacks turn into a FetchedPage or a
reject (``parse_article``, ``article_failed``); the extraction pipeline
(``ExtractPipeline``, with the crawl's worker processes, crawler.workers) reads it with the current page
objects and normalizers; the archive pipeline (``ArchivePipeline``) writes
and merges it in batches, as in a crawl. A changed text becomes a revision
with the reason ``reparse``; a reject that now reads becomes a document.

What is read: the newest capture of each listed article (by the listed URL,
so a redirect's target stands for it), optionally only some sites,
languages, captures fetched since a day, or pages the archive holds as
rejects. Listing pages are not walked again (the article captures carry what
their listing said of them), so rejects that no response made (robots.txt,
offsite links, redirect loops, failed downloads) are left as they are.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector
from sqlalchemy import Engine, select
from twisted.python.failure import Failure

from crawler.capture import CAPTURE_META
from crawler.items import Article, FetchedPage, ListingEntry, RejectedPage
from crawler.pages import LAYOUTS
from crawler.pipelines import ArchivePipeline, ExtractPipeline
from crawler.run import ArchiveRun
from crawler.sites import Site
from crawler.spiders.press import PressSpider
from crawler.warc import CaptureIndex, IndexEntry
from crawler.workers import ExtractionWorkers
from storage.archive import Archive
from storage.merge import REASON_REPARSE
from storage.models import Reject
from storage.reports import get_run
from storage.runs import finish_run, start_run

logger = logging.getLogger(__name__)

# Pages in extraction at once per worker: enough to keep the workers busy
# while this process reads and writes, few enough that memory stays flat (a
# page is some 60 KB).
IN_FLIGHT = 24


@dataclass(frozen=True)
class ReparseOptions:
    sites: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: dt.date | None = None  # captures fetched on or after this day (UTC)
    only_rejects: bool = False  # pages the archive holds as rejects
    processes: int = 0  # extraction worker processes (crawler.workers); 0: in this process


def default_processes() -> int:
    return max(1, (os.cpu_count() or 1))


def selected(index: CaptureIndex, options: ReparseOptions, rejected: set[str]) -> list[IndexEntry]:
    """The newest capture of each listed article that the options choose, in
    the order the crawls first fetched them (merges decide by order: the copy
    met first is "new", the others "merged", as in the crawls). A redirect
    (3xx) is no page: its target's capture, which carries the listed URL,
    stands for it."""
    newest: dict[str, IndexEntry] = {}
    first: dict[str, int] = {}
    for position, entry in enumerate(index.entries):
        if entry.kind != "article":
            continue
        listed = entry.listed_url
        first.setdefault(listed, position)
        if 300 <= entry.status < 400:
            continue
        if options.sites and entry.site not in options.sites:
            continue
        if options.languages and entry.lang not in options.languages:
            continue
        if options.since and entry.fetched_at.date() < options.since:
            continue
        if (
            options.only_rejects
            and LAYOUTS[entry.layout or ""].canonical_url(listed) not in rejected
        ):
            continue
        if listed not in newest or entry.fetched_at >= newest[listed].fetched_at:
            newest[listed] = entry
    return [newest[listed] for listed in sorted(newest, key=first.__getitem__)]


class Replay:
    """The crawl's own steps from a captured response to an item: Scrapy's
    decompression, the HTTP error middleware's verdict, the press spider's
    callbacks."""

    def __init__(self, crawler: Crawler) -> None:
        self.spider = PressSpider()  # its callbacks only: the packaged sites file
        self.compression = HttpCompressionMiddleware(crawler=crawler)

    def item(self, index: CaptureIndex, entry: IndexEntry) -> FetchedPage | RejectedPage:
        stored = index.read(entry)
        context = index.context(entry)
        site = Site(name=context["site"], base_url=context["base_url"], layout=context["layout"],
                    languages=(context["lang"],), authoritative=context["authoritative"])  # fmt: skip
        listing = ListingEntry(**context["listing"])
        request = Request(
            stored.url,
            cb_kwargs={"site": site, "lang": context["lang"], "listing": listing},
            meta={CAPTURE_META: index.ref(entry)},
        )
        headers = Headers(stored.headers)
        cls = responsetypes.from_args(headers=headers, url=stored.url, body=stored.body)
        response: Response = cls(url=stored.url, status=stored.status, headers=headers,
                                 body=stored.body, request=request)  # fmt: skip
        try:
            response = self.compression.process_response(request, response)
        except IgnoreRequest as exc:  # past DOWNLOAD_MAXSIZE once decompressed
            return self.spider.article_failed(_failure(exc, request))
        if not 200 <= response.status < 300:  # HttpErrorMiddleware's rule
            error = HttpError(response, "Ignoring non-200 response")
            return self.spider.article_failed(_failure(error, request))
        return self.spider.parse_article(response, **request.cb_kwargs)


def _failure(exc: Exception, request: Request) -> Failure:
    failure = Failure(exc)
    failure.request = request  # type: ignore[attr-defined]
    return failure


def offline_crawler(settings: Settings | None = None) -> Crawler:
    """A crawler that never crawls: the settings and stats the crawl's
    components are built from (crawler/settings.py's unless given)."""
    if settings is None:
        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
    crawler = Crawler(PressSpider, settings)
    crawler.stats = StatsCollector(crawler)
    return crawler


def reparse(
    engine: Engine, directory: Path, options: ReparseOptions, settings: Settings | None = None
) -> dict[str, Any]:
    """Read the captures of ``directory`` again into the archive (migrated,
    locked by the caller) as a run of mode "reparse"; the run's record."""
    return asyncio.run(_reparse(engine, directory, options, offline_crawler(settings)))


async def _reparse(
    engine: Engine, directory: Path, options: ReparseOptions, crawler: Crawler
) -> dict[str, Any]:
    # The crawl's extraction pipeline, with the crawl's worker processes.
    extraction = ExtractPipeline(0)
    if options.processes > 0:
        extraction.workers = ExtractionWorkers(options.processes)
        await extraction.workers.start()
    try:
        return await _replayed(engine, directory, options, crawler, extraction)
    finally:
        await extraction.close_spider()


async def _replayed(
    engine: Engine,
    directory: Path,
    options: ReparseOptions,
    crawler: Crawler,
    extraction: ExtractPipeline,
) -> dict[str, Any]:
    index = CaptureIndex.of(directory)
    rejected = set()
    if options.only_rejects:
        with engine.connect() as connection:
            rejected = set(connection.scalars(select(Reject.canonical_url)))
    entries = selected(index, options, rejected)
    sites = sorted({e.site for e in entries if e.site}) or list(options.sites)
    languages = sorted({e.lang for e in entries if e.lang}) or list(options.languages)
    replay = Replay(crawler)
    # The crawl's archive pipeline, writing into a run of this reparse's.
    run = ArchiveRun(crawler)
    run.archive = Archive(engine, index_in_background=True, edit_reason=REASON_REPARSE)
    run.run_id = start_run(engine, sites, languages, "reparse")
    writer = ArchivePipeline(crawler, run)

    def write(item: Article | RejectedPage) -> None:
        # A reject is written, then dropped from what follows (a crawl's feed exports).
        with suppress(DropItem):
            writer.process_item(item)

    async def written(page: FetchedPage, extracting: asyncio.Future[Any]) -> None:
        try:
            write(await extracting)
        except DropItem as drop:  # the PageRejected that says why is its cause
            writer.item_dropped(page, None, drop, replay.spider)

    in_flight = max(1, options.processes) * IN_FLIGHT
    pending: deque[tuple[FetchedPage, asyncio.Future[Any]]] = deque()
    try:
        for entry in entries:
            item = replay.item(index, entry)
            if not isinstance(item, FetchedPage):
                write(item)
                continue
            pending.append((item, asyncio.ensure_future(extraction.process_item(item))))
            if len(pending) >= in_flight:
                await written(*pending.popleft())
        while pending:
            await written(*pending.popleft())
        writer.close_spider()
        run.counts.pages_fetched = len(entries)
        run.archive.optimize()
    finally:
        run.archive.close()
        index.close()
    failed = run.archive_error
    status = "failed" if failed else "partial" if run.counts.rejects or run.counts.errors else "ok"
    finish_run(engine, run.run_id, status, run.counts, run.archive_error)
    return get_run(engine, run.run_id)
