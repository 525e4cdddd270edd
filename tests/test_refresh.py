"""Cron refreshes: incremental crawls, edit history, the crawl lock, exit codes.

The replica switches to a later snapshot of the same site between crawls
(ReplicaServer.switch), the way the live site changes between two cron runs.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from mfa_archive.replica.generate import LAST_DAY, generate_replica
from tests.archive_sql import archive_contents, assert_consistent, rows
from tests.conftest import ROOT, generated_replica, run_cli

pytestmark = pytest.mark.e2e

PER_LANGUAGE = 60  # releases on the generated site
PER_PAGE = 10  # six listing pages


def articles(requests: list[str]) -> list[str]:
    return [path for path in requests if "/news/no" in path]


def listing_pages(requests: list[str]) -> list[str]:
    return [path for path in requests if "/news?" in path]


def crawl(db_url: str, sites: Path, *options: str) -> subprocess.CompletedProcess:
    return run_cli("crawl", "--db", db_url, "--sites", str(sites), *options)


def later_snapshot(tmp_path: Path, name: str, **changes: object) -> Path:
    root = tmp_path / name
    generate_replica(root, per_language=PER_LANGUAGE, per_page=PER_PAGE, **changes)
    return root


@pytest.fixture
def archived(tmp_path, sqlite_url):
    """The generated site, crawled once in full into a fresh archive."""
    with generated_replica(tmp_path, PER_LANGUAGE, per_page=PER_PAGE) as (server, sites, cases):
        first = crawl(sqlite_url, sites)
        assert first.returncode == 0, first.stderr
        assert len(articles(server.requests()["main"])) == len(cases)
        server.sites["main"].requests.clear()
        yield server, sites, sqlite_url


def test_a_refresh_with_nothing_new_requests_no_article(archived):
    server, sites, sqlite_url = archived
    result = crawl(sqlite_url, sites)
    assert result.returncode == 0, result.stderr
    requests = server.requests()["main"]
    assert articles(requests) == []
    assert listing_pages(requests) == ["/en/news?page=1", "/en/news?page=2"]  # + the overlap
    assert set(requests) - set(listing_pages(requests)) <= {"/robots.txt"}
    *_, runs = archive_contents(sqlite_url)
    assert (runs[-1]["mode"], runs[-1]["documents_new"]) == ("incremental", 0)


def test_a_refresh_requests_exactly_the_new_items(archived, tmp_path):
    server, sites, sqlite_url = archived
    server.switch(later_snapshot(tmp_path, "later", new=3))
    result = crawl(sqlite_url, sites)
    assert result.returncode == 0, result.stderr
    requests = server.requests()["main"]
    assert sorted(articles(requests)) == sorted(f"/en/news/no{900 + n}26-new-{n}" for n in range(3))
    assert len(listing_pages(requests)) <= 2
    documents, sources, _, _ = archive_contents(sqlite_url)
    assert len(documents) == len(sources) == PER_LANGUAGE + 3
    assert result.stdout.strip().splitlines()[-1].startswith("ok: ")


def test_new_items_that_push_the_listing_a_page_on_are_all_found(archived, tmp_path):
    """Fifteen new items: page 1 and half of page 2 are new, the rest shifted."""
    server, sites, sqlite_url = archived
    server.switch(later_snapshot(tmp_path, "later", new=15))
    assert crawl(sqlite_url, sites).returncode == 0
    requests = server.requests()["main"]
    assert len(articles(requests)) == 15
    assert listing_pages(requests) == [f"/en/news?page={n}" for n in (1, 2, 3)]  # 3: overlap
    documents, *_ = archive_contents(sqlite_url)
    assert len(documents) == PER_LANGUAGE + 15


def test_an_edited_statement_gets_one_revision_and_a_respaced_one_none(archived, tmp_path):
    server, sites, sqlite_url = archived
    server.switch(later_snapshot(tmp_path, "edited", edited={4}, respaced={5}))
    result = crawl(sqlite_url, sites, "--full")
    assert result.returncode == 0, result.stderr
    assert "1 updated" in result.stdout

    records = {r["url"].split("-generated-")[-1]: r for r in exported(sqlite_url)}
    edited, respaced = records["4"], records["5"]
    assert (edited["revisions"], respaced["revisions"]) == (2, 1)
    assert "This statement was corrected on" in edited["body"]
    assert edited["last_changed"] is not None and respaced["last_changed"] is None
    assert sum(r["revisions"] for r in records.values()) == PER_LANGUAGE + 1

    history = run_cli("history", "--db", sqlite_url, edited["url"])
    assert history.returncode == 0, history.stderr
    assert "revision 1: archived" in history.stdout and "current" in history.stdout
    removed = [line for line in history.stdout.splitlines() if line.startswith("-")]
    added = [line for line in history.stdout.splitlines() if line.startswith("+")]
    # The diff shows the first paragraph as it was, then with the sentence added.
    corrected_on = LAST_DAY - dt.timedelta(days=4)
    assert added[-1] == f"+{removed[-1][1:]} This statement was corrected on {corrected_on}."
    as_json = json.loads(run_cli("history", "--db", sqlite_url, str(edited["id"]), "--json").stdout)
    assert [v["revision"] for v in as_json["versions"]] == [1, 2]
    assert "corrected" not in as_json["versions"][0]["body"]

    stats = json.loads(run_cli("stats", "--db", sqlite_url, "--json").stdout)
    assert stats["documents_changed_last_run"] == 1

    # The same edit seen again is no new revision.
    assert crawl(sqlite_url, sites, "--full").returncode == 0
    assert {r["revisions"] for r in exported(sqlite_url) if r["id"] == edited["id"]} == {2}


def test_recently_published_articles_are_requested_again(archived):
    server, sites, sqlite_url = archived
    today = dt.datetime.now(dt.UTC).date()
    days = (today - LAST_DAY).days + 2  # the three newest: LAST_DAY and the two days before
    assert crawl(sqlite_url, sites, "--recheck-days", str(days)).returncode == 0
    assert len(articles(server.requests()["main"])) == 3


def test_since_bounds_a_crawl_by_publication_date(tmp_path, sqlite_url):
    with generated_replica(tmp_path, PER_LANGUAGE, per_page=PER_PAGE) as (server, sites, _):
        since = LAST_DAY - dt.timedelta(days=12)
        assert crawl(sqlite_url, sites, "--since", since.isoformat()).returncode == 0
        requests = server.requests()["main"]
    assert len(articles(requests)) == 13
    assert listing_pages(requests) == [f"/en/news?page={n}" for n in (1, 2, 3)]  # 3: all older
    documents, *_ = archive_contents(sqlite_url)
    assert min(d["published_on"] for d in documents.values()) == since.isoformat()


def test_a_failed_download_is_tried_again_by_the_next_refresh(tmp_path, sqlite_url):
    """A 503 deep in the listing is not known: the refresh reads that far for it."""
    case = "main-en-000057"  # on the last listing page

    def answer_503(root: Path) -> None:
        failing = json.loads((root / f"cases/{case}/meta.json").read_text())["url"]
        (root / f"cases/{case}/meta.json").unlink()
        (root / f"sites/main{failing}.status").parent.mkdir(parents=True)
        (root / f"sites/main{failing}.status").write_text("503")

    with generated_replica(tmp_path, PER_LANGUAGE, answer_503, PER_PAGE) as (server, sites, cases):
        failing = next(c.article.path for c in cases if c.name == case)
        assert crawl(sqlite_url, sites).returncode == 1
        server.switch(later_snapshot(tmp_path, "repaired"))
        server.sites["main"].requests.clear()
        assert crawl(sqlite_url, sites).returncode == 0
        requests = server.requests()["main"]
    assert articles(requests) == [failing]
    documents, _, rejects, _ = archive_contents(sqlite_url)
    assert len(documents) == PER_LANGUAGE and rejects == {}


def test_rejected_pages_are_retried_only_when_asked(replica, sites_file, sqlite_url):
    assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file)).returncode == 1
    _, _, rejects, _ = archive_contents(sqlite_url)
    rejected_paths = {url.split("/", 3)[3] for url in rejects}
    for site in replica.sites.values():
        site.requests.clear()
    run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file))
    again = {path.lstrip("/") for paths in replica.requests().values() for path in paths}
    assert not again & rejected_paths
    run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file), "--retry-rejects")
    again = {path.lstrip("/") for paths in replica.requests().values() for path in paths}
    expected = {url.split("/", 3)[3] for url, reason in rejects.items() if "robots" not in reason}
    assert expected <= again


def test_a_second_crawl_exits_4_and_leaves_the_running_one_alone(tmp_path, db_url):
    with generated_replica(tmp_path, PER_LANGUAGE, per_page=PER_PAGE) as (_, sites, cases):
        slow = tmp_path / "slow.toml"  # a first crawl that takes a few seconds
        slow.write_text(sites.read_text().replace("download_delay = 0", "download_delay = 0.1"))
        first = subprocess.Popen(
            [sys.executable, "-m", "mfa_archive.cli", "crawl", "--db", db_url,
             "--sites", str(slow)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for_a_running_crawl(db_url)
        second = crawl(db_url, sites)
        assert first.poll() is None, "the first crawl ended before the second started"
        _, stderr = first.communicate(timeout=120)
    assert second.returncode == 4
    assert "another crawl (pid " in second.stderr
    assert second.stdout.strip().splitlines()[-1].startswith("locked: ")
    assert first.returncode == 0, stderr
    documents, sources, _, runs = archive_contents(db_url)
    assert len(documents) == len(sources) == len(cases)
    assert [run["status"] for run in runs] == ["ok"]
    assert_consistent(db_url)


def wait_for_a_running_crawl(db_url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            (running,) = rows(
                db_url, "SELECT count(*) AS n FROM crawl_runs WHERE status = 'running'"
            )
            if running["n"]:
                return
        except DBAPIError:
            pass  # schema not there yet
        time.sleep(0.05)
    raise AssertionError("the first crawl did not start")


def test_most_articles_unreadable_fails_the_crawl_with_exit_3(tmp_path, sqlite_url):
    def redesign(root: Path) -> None:
        for page in root.glob("cases/*/page.html"):
            page.write_text("<html><body><div class='new-design'>…</div></body></html>")

    with generated_replica(tmp_path, 8, redesign) as (_, sites, _):
        result = crawl(sqlite_url, sites)
    assert result.returncode == 3
    assert result.stdout.strip().splitlines()[-1].startswith("failed: ")
    assert "8 of 8 articles could not be read: has the layout changed?" in result.stderr


def test_log_file_gets_the_full_log_and_stdout_ends_with_the_summary(archived, tmp_path):
    _, sites, sqlite_url = archived
    log = tmp_path / "logs" / "crawl.log"
    for _ in range(2):
        result = crawl(sqlite_url, sites, "--log-file", str(log))
        assert result.returncode == 0
        assert result.stdout.strip().splitlines()[-1].startswith("ok: ")
    text = log.read_text(encoding="utf-8")
    assert text.count("Spider opened") == 2  # appended, and Scrapy's INFO lines are in
    assert text.count("ok: ") == 2
    assert text.strip().splitlines()[-1].endswith(result.stdout.strip())


def exported(db_url: str) -> list[dict]:
    result = run_cli("export", "--db", db_url)
    return [json.loads(line) for line in result.stdout.splitlines()]
