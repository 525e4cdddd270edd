"""Extensions."""

from __future__ import annotations

import gc
import sys
import time
from typing import TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.run import ArchiveRun
from storage.runs import RunCounts


class ProgressLine:
    """Prints one progress line to stderr every MFA_PROGRESS_INTERVAL seconds.

    Scrapy's LogStats speaks of pages and items; an operator wants documents,
    rejects and errors, in a line short enough for a terminal. The rate is
    pages fetched per second since the previous line. The crawl's total is not
    known in advance (each listing page read adds articles), so the estimate
    is of what is known: the requests queued and in flight now, and the time
    they take at that rate; it grows while listings are still being read.
    `mfa-archive crawl --quiet` turns the line off.
    """

    def __init__(self, crawler: Crawler, interval: float, out: TextIO = sys.stderr) -> None:
        self.crawler = crawler
        self.interval = interval
        self.out = out
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.last: tuple[float, int] = (self.started, 0)  # when the previous line was, pages then

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLine:
        interval = crawler.settings.getfloat("MFA_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def line(self) -> str:
        assert self.crawler.stats is not None
        run = ArchiveRun.of(self.crawler)
        counts = run.counts if run is not None else RunCounts()
        now = time.monotonic()
        fetched = self.crawler.stats.get_value("response_received_count", 0)
        then, fetched_then = self.last
        self.last = (now, fetched)
        rate = (fetched - fetched_then) / (now - then) if now > then else 0.0
        line = (
            f"progress: {fetched} pages fetched ({rate:.1f}/s), {counts.documents} documents "
            f"({counts.documents_new} new), {counts.rejects} rejects, {counts.errors} errors, "
            f"{duration(now - self.started)}"
        )
        queued = self.queued()
        if queued is None:
            return line
        left = f", ~{duration(queued / rate)} at this rate" if rate > 0 and queued else ""
        return f"{line}; {queued} requests queued{left}"

    def queued(self) -> int | None:
        """Requests in the scheduler and in the downloader; None if unknown."""
        try:
            engine = self.crawler.engine
        except RuntimeError:  # Scrapy 2.19+: no engine before the crawl starts
            return None
        scheduler = engine.scheduler if engine is not None else None
        if engine is None or scheduler is None or not hasattr(scheduler, "__len__"):
            return None
        return len(scheduler) + len(engine.downloader.active)

    def print_line(self) -> None:
        print(self.line(), file=self.out, flush=True)

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.last = (self.started, 0)
        self.loop = task.LoopingCall(self.print_line)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()


def duration(seconds: float) -> str:
    """45s, 4m05s, 2h05m: short enough for a progress line."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class GarbageCollectorTuning:
    """Runs Python's cyclic garbage collector less often during a crawl.

    Every request leaves Deferreds and frames behind; with the default
    threshold (700 allocations) the collector ran about a thousand times in a
    crawl of 2,000 pages and took 9% of the crawl's CPU. A youngest-generation
    threshold of MFA_GC_THRESHOLD (0: leave Python's default) cuts that to a
    few dozen collections. Objects that survive start-up are frozen out of
    the collector's way. The old thresholds come back when the crawl ends.
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.previous = gc.get_threshold()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GarbageCollectorTuning:
        threshold = crawler.settings.getint("MFA_GC_THRESHOLD")
        if threshold <= 0:
            raise NotConfigured
        extension = cls(threshold)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        gc.collect()
        gc.freeze()
        gc.set_threshold(self.threshold, *self.previous[1:])

    def spider_closed(self, spider: Spider, reason: str) -> None:
        gc.set_threshold(*self.previous)
        gc.unfreeze()
