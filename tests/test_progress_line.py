"""The crawl's progress line: its rate, and the time the queued requests take at that rate."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

from crawler.extensions import ProgressLine, duration


def progress_line(queued: int | None, in_flight: int = 0) -> ProgressLine:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"MFA_PROGRESS_INTERVAL": 10})
    if queued is not None:
        crawler.engine = SimpleNamespace(
            scheduler=list(range(queued)), downloader=SimpleNamespace(active=set(range(in_flight)))
        )
    return ProgressLine(crawler, interval=10)


def test_the_line_gives_the_rate_since_the_last_line_and_what_is_queued():
    extension = progress_line(queued=40, in_flight=2)
    extension.started = extension.last[0] - 60
    extension.last = (time.monotonic() - 10, 80)  # 80 pages at the previous line, 10 s ago
    extension.crawler.stats.set_value("response_received_count", 200)
    line = extension.line()
    rate = float(re.search(r"200 pages fetched \(([\d.]+)/s\)", line)[1])
    assert 11.0 < rate <= 12.0  # 120 pages in a little over 10 s
    assert line.endswith("; 42 requests queued, ~4s at this rate"), line
    extension.crawler.stats.set_value("response_received_count", 200)
    assert ", ~" not in extension.line()  # nothing fetched since: no estimate


def test_without_a_scheduler_the_line_says_no_queue():
    extension = progress_line(queued=None)
    extension.crawler.stats.set_value("response_received_count", 3)
    assert "queued" not in extension.line()


def test_durations_are_short():
    assert [duration(s) for s in (4.4, 59.6, 245, 3600 * 2 + 5 * 60 + 7)] == [
        "4s", "1m00s", "4m05s", "2h05m",
    ]  # fmt: skip
