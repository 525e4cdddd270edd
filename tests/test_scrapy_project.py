"""The Scrapy project as Scrapy sees it: settings, spiders, `scrapy crawl`."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

import pytest
from scrapy.settings import Settings

from crawler.extract import NORMALIZERS
from crawler.middlewares import RetryBackoffMiddleware
from tests.conftest import CASES, ROOT, load_case


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
    sofia = [c for c in map(load_case, CASES) if c.meta["site"] == "sofia"]
    assert len(titles) == len(sofia)  # in every language it has (en, bg, ru)
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
    assert line.startswith("progress: 12 pages fetched (")
    assert "/s), 9 documents (7 new), 1 rejects, 3 errors, " in line


def redirect_middleware(name="SiteRedirectMiddleware"):
    from scrapy.utils.test import get_crawler

    import crawler.middlewares

    return getattr(crawler.middlewares, name).from_crawler(get_crawler())


def redirect(middleware, request, location: str):
    from scrapy.http import Response

    response = Response(request.url, status=302, headers={"Location": location})
    return middleware.process_response(request, response)


def test_redirects_stay_on_the_sites_host_and_never_loop():
    from scrapy import Request

    from crawler.middlewares import OffsiteRedirect, RedirectLoop
    from crawler.sites import Site

    site = Site("main", "https://mfa.gov.az", "main", ("en",))
    middleware = redirect_middleware()
    start = Request("http://mfa.gov.az/en/news/a", cb_kwargs={"site": site})
    # same host (its https, its www. alias, a trailing slash): followed, even to
    # a URL the crawl fetched before (the duplicate filter would drop it)
    followed = redirect(middleware, start, "https://www.mfa.gov.az/en/news/a/")
    assert followed.url == "https://www.mfa.gov.az/en/news/a/" and followed.dont_filter
    # back to where it began: a loop, with its chain
    with pytest.raises(RedirectLoop) as loop:
        redirect(middleware, followed, "http://mfa.gov.az/en/news/a")
    assert loop.value.chain == ["http://mfa.gov.az/en/news/a", "https://www.mfa.gov.az/en/news/a/",
                                "http://mfa.gov.az/en/news/a"]  # fmt: skip
    # a chain that leaves the host and would come back: refused where it leaves
    with pytest.raises(OffsiteRedirect) as offsite:
        redirect(middleware, followed, "https://mfa-gov.example/bounce?to=/en/news/c")
    assert offsite.value.target == "https://mfa-gov.example/bounce?to=/en/news/c"


def test_a_meta_refresh_to_another_host_is_refused_too():
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.middlewares import OffsiteRedirect
    from crawler.sites import Site

    site = Site("main", "https://mfa.gov.az", "main", ("en",))
    middleware = redirect_middleware("SiteMetaRefreshMiddleware")
    request = Request("https://mfa.gov.az/en/news/a", cb_kwargs={"site": site})
    page = (b'<html><head><meta http-equiv="refresh" content="0;url=https://evil.example/x">'
            b"</head></html>")  # fmt: skip
    response = HtmlResponse(request.url, body=page, request=request)
    with pytest.raises(OffsiteRedirect):
        middleware.process_response(request, response)
    assert "SiteMetaRefreshMiddleware" in str(project_settings().getdict("DOWNLOADER_MIDDLEWARES"))


def test_retry_after_is_honoured_up_to_the_cap():
    from crawler.middlewares import retry_after_seconds

    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date past
    assert retry_after_seconds("soon") == 0.0


ARTICLE = "/en/news/no43820-head-of-the-press-service-department-of-the-mfa-answers-the-question"


def test_scrapy_check_runs_every_contract_against_the_replica(sites_file, tmp_path):
    archive = tmp_path / "untouched.db"
    result = scrapy("check", "press", "-s", f"MFA_SITES_FILE={sites_file}",
                    "-s", f"MFA_ARCHIVE_DB=sqlite:///{archive}")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"Ran (\d+) contracts", result.stderr)[1] == "5"  # @returns, @scrapes
    assert result.stderr.strip().endswith("OK")
    assert not archive.exists()  # a check reads pages; it writes no archive


def test_scrapy_check_fails_when_a_selector_finds_nothing(tmp_path, sites_file):
    """A mission site's listing read with the main site's selectors shows no link."""
    broken = tmp_path / "broken.toml"
    text = sites_file.read_text(encoding="utf-8")
    broken.write_text(text.replace('name = "main"', 'name = "real-main"').replace(
        'name = "sofia"', 'name = "main"'), encoding="utf-8")  # fmt: skip
    result = scrapy("check", "press", "-s", f"MFA_SITES_FILE={broken}")
    assert result.returncode != 0
    assert "FAILED" in result.stderr


@pytest.mark.parametrize(("callback", "path", "shown"),
                         [("parse_article", ARTICLE, "'url': "), ("parse_listing", "/en/news?page=1", "Requests")])  # fmt: skip
def test_scrapy_parse_reads_a_page_of_the_replica(
    replica, sites_file, tmp_path, callback, path, shown
):
    archive = tmp_path / "untouched.db"
    url = replica.sites["main"].origin + path
    result = scrapy("parse", "--spider=press", "-c", callback, "-s", f"MFA_SITES_FILE={sites_file}",
                    "-s", f"MFA_ARCHIVE_DB=sqlite:///{archive}", url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout
    assert "Traceback" not in result.stderr
    assert not archive.exists()


@pytest.mark.parametrize("rejects", [False, True])
def test_a_feed_export_writes_documents_in_the_export_shape(sites_file, tmp_path, rejects):
    feed = tmp_path / "feed.jsonl"
    result = scrapy("crawl", "press", "-a", "site=main", "-a", "lang=en", "-O", str(feed),
                    "-s", f"MFA_SITES_FILE={sites_file}", "-s", f"MFA_FEED_REJECTS={rejects}",
                    "-s", f"MFA_ARCHIVE_DB=sqlite:///{tmp_path}/a.db")  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    documents = [r for r in records if "title" in r]
    assert {"lang", "doc_number", "title", "body", "body_html", "url", "release"} <= set(
        documents[0]
    )
    assert not any({"raw", "listing", "part", "companion"} & set(r) for r in records)
    enru = [d for d in documents if "second_language" in d]
    assert [d["second_language"]["lang"] for d in enru] == ["ru"]
    reject_records = [r for r in records if "kind" in r]
    assert bool(reject_records) is rejects
    with sqlite3.connect(tmp_path / "a.db") as db:  # and the archive has them all
        (stored,) = db.execute("SELECT count(*) FROM documents").fetchone()
    assert stored == len(documents) + len(enru)
