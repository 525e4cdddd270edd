"""The Scrapy project as Scrapy sees it: settings, spiders, `scrapy crawl`."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from scrapy.settings import Settings

from crawler.extract import NORMALIZERS
from crawler.middlewares import RetryBackoffMiddleware
from tests.conftest import ROOT


def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return settings


def test_polite_by_default_for_the_live_site():
    settings = project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert settings.getint("RETRY_TIMES") >= 2
    assert {500, 502, 503, 504}.issubset(set(settings.getlist("RETRY_HTTP_CODES")))
    assert settings["USER_AGENT"].startswith("mfa-archive/")
    assert settings["MFA_CONTACT_URL"] in settings["USER_AGENT"]
    assert settings.getfloat("MFA_RETRY_BACKOFF") > 0


def test_retry_backoff_doubles_up_to_its_cap():
    middleware = RetryBackoffMiddleware(base=2.0, cap=10.0)
    assert [middleware.backoff(n) for n in range(5)] == [0.0, 2.0, 4.0, 8.0, 10.0]


def test_item_pipelines_extract_then_store():
    pipelines = project_settings().getdict("ITEM_PIPELINES")
    assert sorted(pipelines, key=pipelines.get) == [
        "crawler.pipelines.ExtractPipeline",
        "crawler.pipelines.ArchivePipeline",
    ]
    assert [n.__name__ for n in NORMALIZERS] == [
        "normalize_title", "normalize_date", "normalize_article_body",
    ]  # fmt: skip


def scrapy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def test_scrapy_lists_the_press_spider():
    result = scrapy("list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["press"]


def test_scrapy_crawl_uses_the_same_pipelines(sites_file, db_path):
    result = scrapy("crawl", "press", "-s", f"MFA_SITES_FILE={sites_file}", "-a", "site=sofia",
                    "-s", f"MFA_ARCHIVE_DB=sqlite:///{db_path}")  # fmt: skip
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_path) as db:
        titles = {row[0] for row in db.execute("SELECT title FROM documents")}
        (status,) = db.execute("SELECT status FROM crawl_runs").fetchone()
    assert "Press release on Human Rights Day" in titles  # number split off by normalize_title
    assert len(titles) == 4
    assert status == "ok"


def test_gc_tuning_raises_the_threshold_for_the_crawl_and_restores_it():
    import gc

    from scrapy.utils.test import get_crawler

    from crawler.extensions import GarbageCollectorTuning

    before = gc.get_threshold()
    extension = GarbageCollectorTuning.from_crawler(
        get_crawler(settings_dict={"MFA_GC_THRESHOLD": 12345})
    )
    extension.spider_opened(None)
    try:
        assert gc.get_threshold()[0] == 12345
    finally:
        extension.spider_closed(None, "finished")
    assert gc.get_threshold() == before


def test_progress_line_reports_documents_rejects_and_errors():
    from scrapy.utils.test import get_crawler

    from crawler.extensions import ProgressLine
    from crawler.run import ArchiveRun

    crawler = get_crawler(settings_dict={
        "MFA_PROGRESS_INTERVAL": 10, "EXTENSIONS": {"crawler.run.ArchiveRun": 100},
    })  # fmt: skip
    crawler._apply_settings()  # builds the extensions, as Crawler.crawl does
    extension = ProgressLine.from_crawler(crawler)
    crawler.stats.set_value("response_received_count", 12)
    counts = ArchiveRun.of(crawler).counts
    counts.documents_new, counts.duplicates_merged, counts.rejects, counts.errors = 7, 2, 1, 3
    line = extension.line()
    assert line.startswith("progress: 12 pages fetched, 9 documents (7 new), 1 rejects, 3 errors, ")
