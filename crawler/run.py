"""The crawl's run in the archive, from its lock to its summary line.

``ArchiveRun`` is a Scrapy extension. When the spider starts it opens the
archive (migrating it), takes its crawl lock, starts the run record, loads
what earlier crawls left and hands the spider its CrawlPlan; when the spider
closes it records which listings were read to the end, decides the run's
status, writes the run's counts, releases the lock and keeps the finished
run's record (``record``), which the summary line reads. The
spider only navigates, the pipelines only extract and write (into
``ArchiveRun.archive``, counting into ``ArchiveRun.counts``); every decision
about the run as a whole is here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from crawler.pages import LAYOUTS
from crawler.walk import CrawlOptions, CrawlPlan
from storage import lock
from storage.archive import Archive
from storage.engine import make_engine
from storage.errors import ArchiveLockedError
from storage.migrate import upgrade
from storage.reports import get_run
from storage.runs import RunCounts, finish_run, start_run
from storage.state import load_crawl_state, record_listings
from storage.types import utcnow

logger = logging.getLogger(__name__)

# When more than this share of the fetched articles cannot be read (and there
# are at least MIN_ARTICLES_FOR_VERDICT), the layout has probably changed: the
# run is failed rather than partial, so that cron says so loudly.
MAX_UNREADABLE_SHARE = 0.5
MIN_ARTICLES_FOR_VERDICT = 5


def layout_broken(read: int, unreadable: int) -> bool:
    """Whether so many fetched articles were unreadable that the layout has
    probably changed."""
    return read >= MIN_ARTICLES_FOR_VERDICT and unreadable > read * MAX_UNREADABLE_SHARE


def run_status(
    reason: str,
    counts: RunCounts,
    *,
    archive_error: str | None = None,
    first_page_empty: bool = False,
    layout_broken: bool = False,
    unreachable: bool = False,
) -> str:
    """The status of a run that closed for ``reason`` (Scrapy's close reason)."""
    if reason == "shutdown":  # Ctrl-C or SIGTERM: what was fetched is kept
        return "interrupted"
    if reason != "finished" or archive_error or first_page_empty or layout_broken or unreachable:
        return "failed"
    if counts.rejects or counts.errors:
        return "partial"
    return "ok"


class ArchiveRun:
    """The crawl's run in the archive (see the module's docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.archive: Archive | None = None  # open while the spider runs
        self.run_id: int | None = None
        self.plan: CrawlPlan | None = None
        self.counts = RunCounts()
        self.articles_read = 0  # fetched articles, whatever became of them
        self.articles_unreadable = 0  # of which the page object or the normalizers failed
        self.locked: str | None = None  # why the lock could not be taken
        self.archive_error: str | None = None  # the first write the archive refused
        self.index_error: str | None = None  # stored, but not all searchable (PostgreSQL)
        self.record: dict[str, Any] | None = None  # the finished run, as stored

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveRun:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    @classmethod
    def of(cls, crawler: Crawler) -> ArchiveRun | None:
        """The crawl's ArchiveRun, if the extension is enabled."""
        return crawler.get_extension(cls)

    # -- opening -----------------------------------------------------------------

    def begin(self, options: CrawlOptions) -> CrawlPlan | None:
        """Start the run, when the spider's start asks for its plan: open the
        archive, take its lock, start the run record, load what earlier crawls
        left. None if another crawl holds the lock (the spider then closes,
        reason "archive_locked"). Scrapy's `parse` and `check` commands replace
        the spider's start, and so never touch the archive."""
        engine = make_engine(self.crawler.settings.get("MFA_ARCHIVE_DB"))
        try:
            lock.acquire(engine)  # before migrating: never under a running crawl
        except ArchiveLockedError as exc:
            logger.error("%s", exc)
            self.locked = str(exc)
            engine.dispose()
            self._close("archive_locked")
            return None
        try:
            upgrade(engine)
            # Search indexing (PostgreSQL) beside the writes, on another server process.
            self.archive = Archive(engine, index_in_background=True)
            self.run_id = start_run(engine, options.sites.names, options.sites.languages,
                                    options.mode)  # fmt: skip
            self.plan = self._plan(options)
            # Until this crawl finishes, no listing counts as read to the end: a
            # crawl killed midway leaves the next one to read them whole.
            record_listings(engine, self.run_id, dict.fromkeys(self.plan.walks, False))
        except BaseException:
            self.archive = None  # nothing to finish: the lock goes at once
            lock.release(engine)
            engine.dispose()
            raise
        return self.plan

    def _plan(self, options: CrawlOptions) -> CrawlPlan:
        assert self.archive is not None
        listings = options.listings()
        if options.full:
            return CrawlPlan(listings, since=options.since, max_pages=options.max_pages)
        recheck_since = (
            utcnow().date() - dt.timedelta(days=options.recheck_days)
            if options.recheck_days
            else None
        )
        state = load_crawl_state(self.archive.engine, options.sites.names,
                                 recheck_since=recheck_since, retry_rejects=options.retry_rejects)  # fmt: skip
        logger.info(
            "%s crawl: %d known pages, %d to recheck, %d listings walked before",
            options.mode, len(state.known), len(state.recheck), len(state.walked),
        )  # fmt: skip
        return CrawlPlan(listings, state, since=options.since, max_pages=options.max_pages)

    # -- during the crawl ----------------------------------------------------------

    def archive_failed(self, what: str, error: str) -> None:
        """The archive cannot take writes (disk full, a lock held too long):
        stop rather than fetch pages that cannot be kept."""
        logger.error("%s: %s", what, error)
        self.archive_error = self.archive_error or error
        self._close("archive_error")

    def _close(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.running:
            deferred_from_coro(engine.close_spider_async(reason=reason))

    # -- closing -------------------------------------------------------------------

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.archive is None or self.run_id is None or self.plan is None:
            return
        engine = self.archive.engine
        try:
            self._finish(reason)
        finally:
            # Whatever failed above (a full disk), the next crawl must not find
            # the archive locked: the run is then found "running" and marked killed.
            with contextlib.suppress(Exception):
                self.archive.close()
            lock.release(engine)
            engine.dispose()

    def _finish(self, reason: str) -> None:
        """The run's end: its status, its listings, its counts, its record."""
        assert self.archive is not None and self.run_id is not None and self.plan is not None
        stats = self.crawler.stats
        assert stats is not None
        self.counts.pages_fetched = stats.get_value("response_received_count", 0)
        self.counts.errors += stats.get_value("spider_exceptions/count", 0)
        self.archive.optimize()  # waits for the search index
        if index_failure := self.archive.index_failure():
            error, unindexed = index_failure
            self.index_error = (
                f"search indexing failed ({error}): {unindexed} stored documents are not "
                "searchable until the next crawl indexes them"
            )
        unreachable = self.plan.unreachable()
        broken = layout_broken(self.articles_read, self.articles_unreadable)
        # What failed, in the words the summary line and the run's record carry.
        causes = [
            *(f"{site} unreachable ({why})" for site, why in unreachable.items()),
            *(["a listing's first page showed no items: has the layout changed?"]
              if self.plan.first_page_empty else []),
            *([f"{self.articles_unreadable} of {self.articles_read} articles could not be "
               "read: has the layout changed?"] if broken else []),
            *([f"the archive stopped taking writes ({self.archive_error})"]
              if self.archive_error else []),
            *([self.index_error] if self.index_error else []),
        ]  # fmt: skip
        for cause in causes:
            logger.error("%s", cause)
        status = run_status(
            reason,
            self.counts,
            archive_error=self.archive_error or self.index_error,
            first_page_empty=self.plan.first_page_empty,
            layout_broken=broken,
            unreachable=bool(unreachable),
        )
        engine = self.archive.engine
        outcomes = self.plan.outcomes()
        if reason == "finished" and not self.archive_error and outcomes:
            # Only now, every document stored: which listings were read to the end.
            record_listings(engine, self.run_id, outcomes)
        if not self.archive_error:
            # A listing page read now is no longer a failed one.
            layout_of = {site.name: LAYOUTS[site.layout] for site in self.plan.sites.values()}
            self.archive.clear_rejects(
                layout_of[walk.site].canonical_url(url)
                for walk, url in self.plan.listing_pages_read()
            )
        failure = "; ".join(causes) if status == "failed" else None
        finish_run(engine, self.run_id, status, self.counts, failure)
        self.archive.close()
        self.record = get_run(engine, self.run_id)  # what the summary line says
