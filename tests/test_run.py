"""The run's verdict: its status from how the crawl closed and what it counted (crawler.run)."""

from __future__ import annotations

import pytest

from crawler.run import layout_broken, run_status
from storage.runs import RunCounts


@pytest.mark.parametrize(
    ("reason", "counts", "flags", "status"),
    [
        ("finished", RunCounts(documents_new=3), {}, "ok"),
        ("finished", RunCounts(documents_new=3, rejects=1), {}, "partial"),
        ("finished", RunCounts(documents_new=3, errors=1), {}, "partial"),
        ("finished", RunCounts(), {"first_page_empty": True}, "failed"),
        ("finished", RunCounts(), {"layout_broken": True}, "failed"),
        ("finished", RunCounts(documents_new=3), {"archive_error": "disk full"}, "failed"),
        ("archive_error", RunCounts(documents_new=3), {"archive_error": "disk full"}, "failed"),
        ("closespider_timeout", RunCounts(), {}, "failed"),
        # Ctrl-C or SIGTERM: interrupted, whatever else happened
        ("shutdown", RunCounts(rejects=4), {"layout_broken": True}, "interrupted"),
    ],
)
def test_run_status(reason, counts, flags, status):
    assert run_status(reason, counts, **flags) == status


def test_the_layout_is_broken_when_most_of_enough_articles_are_unreadable():
    assert layout_broken(read=5, unreadable=3)
    assert not layout_broken(read=5, unreadable=2)  # half is not most
    assert not layout_broken(read=4, unreadable=4)  # too few to judge
