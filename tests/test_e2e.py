"""End to end: `mfa-archive crawl` over HTTP against the replica, into a fresh SQLite file."""

from __future__ import annotations

import collections
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib

import pytest
from sqlalchemy.exc import DBAPIError

from mfa_archive.replica.server import ReplicaServer
from storage.scratch import postgres_database
from tests.archive_sql import (
    archive_contents,
    assert_consistent,
    failing_inserts,
    healed,
    rows,
    run_sql,
)
from tests.conftest import CASES, FIXTURES, ROOT, generated_replica, load_case, run_cli

pytestmark = pytest.mark.e2e


def expected_archive(replica: ReplicaServer):
    """Documents (as sets of source URLs, one per hand-made merge group), the record of
    each group's first case (the main-site copy: the primary), the rejects, and the
    record of every copy by its URL."""
    groups: dict[str, set[str]] = collections.defaultdict(set)
    records: dict[str, dict] = {}
    rejects: dict[str, str] = {}
    copies: dict[str, dict] = {}
    for path in CASES:
        case = load_case(path)
        origin = replica.sites[case.meta["site"]].origin
        url = origin + case.meta["url"]
        if "rejected" in case.expected:
            rejects[url] = case.expected["rejected"]
            continue
        expected = json.loads(json.dumps(case.expected).replace("{{origin}}", origin))
        expected.pop("template_of", None)  # kept apart: a group of its own (bench/dedup_quality.py)
        group = expected.pop("duplicate_of", None) or case.name
        groups[group].add(url)
        copies[url] = expected
        if companion := expected.pop("companion", None):  # a two-language page's second part
            groups[f"{case.name}#ru"].add(f"{url}#ru")
            records[f"{case.name}#ru"] = copies[f"{url}#ru"] = companion
        if group == case.name:
            records[group] = expected
    authored = tomllib.loads((FIXTURES / "articles.toml").read_text(encoding="utf-8"))
    for item in authored["listed_only"]:
        rejects[replica.sites[item["site"]].origin + item["href"]] = item["reject"]
    return groups, records, rejects, copies


def start_crawl(db_url, sites, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "mfa_archive.cli", "crawl", "--db", db_url,
               "--sites", str(sites)]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, **{"stderr": subprocess.DEVNULL, **popen})


def test_crawl_archives_exactly_the_replica(replica, sites_file, db_url):
    result = run_cli("crawl", "--db", db_url, "--sites", str(sites_file))
    assert result.returncode == 1, result.stderr  # partial: the replica has rejects
    groups, records, expected_rejects, copies = expected_archive(replica)

    documents, sources, rejects, runs = archive_contents(db_url)
    by_document = collections.defaultdict(set)
    for source in sources:
        by_document[source["document_id"]].add(source["url"])
    assert sorted(map(sorted, by_document.values())) == sorted(map(sorted, groups.values()))
    for document_id, urls in by_document.items():
        document = documents[document_id]
        (key,) = [k for k, group in groups.items() if group == urls]
        record = records[key]
        for field in ("lang", "doc_number", "title", "category", "published_on", "body",
                      "body_html"):  # fmt: skip
            assert document[field] == record[field], (field, urls)
    # translations: the documents of a release are linked by the key the authored
    # release has (its number, its main-site slug, a number in a mission's slug)
    release_of = {}
    for document_id, urls in by_document.items():
        (key,) = [k for k, group in groups.items() if group == urls]
        release_of[document_id] = records[key]["release_key"]
        assert documents[document_id]["release_key"] == release_of[document_id], urls
    for document_id, release in release_of.items():
        if release is None:
            continue  # an item of its own
        siblings = {i for i, d in documents.items()
                    if d["release_key"] == release and i != document_id}  # fmt: skip
        expected = {i for i, r in release_of.items() if r == release and i != document_id}
        assert siblings == expected, release
        langs = [documents[i]["lang"] for i in (document_id, *siblings)]
        assert len(langs) == len(set(langs)), release  # one document per language
    # each copy: the layout that read it, how (selectors or fallbacks), and, for a
    # two-language page's second part, its own title
    for source in sources:
        copy = copies[source["url"]]
        assert (source["layout"], source["extraction"]) == (copy["layout"], copy["extraction"])
        if source["url"].endswith("#ru"):
            assert source["title"] == copy["title"]
    merged = [s for s in sources if s["match_rule"] != "new"]
    assert len(merged) == sum(len(urls) - 1 for urls in groups.values())
    assert {s["match_rule"] for s in merged} <= {"doc_number", "content_hash", "similar"}
    assert all((s["similarity"] is not None) == (s["match_rule"] == "similar") for s in sources)
    assert rejects == expected_rejects
    assert_consistent(db_url)

    (run,) = runs
    assert run["status"] == "partial"
    assert (run["documents_new"], run["duplicates_merged"]) == (len(groups), len(merged))
    assert run["rejects"] == len(expected_rejects)
    assert run["errors"] == 0
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"partial: {run['pages_fetched']} pages fetched; documents ")
    assert f"{len(groups)} new" in summary and f"{len(merged)} duplicates merged" in summary
    # the pages read by fallbacks are counted, so that an operator knows to fix selectors
    fallbacks = [url for url, copy in copies.items() if copy["extraction"] == "fallback"]
    assert run["fallback_extractions"] == len(fallbacks) > 0
    assert f"; {len(fallbacks)} read by fallbacks; " in summary

    requests = replica.requests()
    assert not [path for path in requests["main"] if path.startswith("/en/preview/")]
    # a link listed with tracking parameters is requested and stored without them
    assert not [path for site in requests.values() for path in site if "utm_" in path]
    exhibition = [s["url"] for s in sources if "/3700/" in s["url"]]
    assert exhibition == [replica.sites["tallinn"].origin
                          + "/en/news/3700/exhibition-of-azerbaijani-carpets-opens-in-tallinn"]  # fmt: skip
    assert all(site_requests[0] == "/robots.txt" for site_requests in requests.values())
    article_requests = collections.Counter(
        (name, path) for name, site in requests.items() for path in site if "/news/" in path
    )
    assert max(article_requests.values()) == 1  # listed twice (overlap), requested once
    # a page listed under two spellings is requested under the first only
    assert "/index.php/en/news/no33125" not in requests["main"]


def test_listings_end_on_empty_page_404_and_redirect(replica, sites_file, sqlite_url):
    run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file), "--site", "main")
    listing = [p for p in replica.requests()["main"] if p.split("?")[0].endswith("/news")]

    def pages(lang: str, suffix: str) -> int:
        return len(list((FIXTURES / "sites/main" / lang).glob(f"news@page=*{suffix}")))

    empty = pages("en", ".html")  # the last page file lists nothing
    assert f"/en/news?page={empty}" in listing and f"/en/news?page={empty + 1}" not in listing
    missing = pages("az", ".html") + 1  # answers 404
    assert f"/az/news?page={missing}" in listing and f"/az/news?page={missing + 1}" not in listing
    redirect = pages("ru", ".html") + 1  # redirects back to page 1 ...
    assert (FIXTURES / f"sites/main/ru/news@page={redirect}.redirect").exists()
    assert f"/ru/news?page={redirect}" in listing
    assert f"/ru/news?page={redirect + 1}" not in listing  # ... and no loop
    assert listing.count("/ru/news") == 1


def test_a_full_recrawl_adds_nothing_and_refreshes_last_seen(replica, sites_file, sqlite_url):
    run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file))
    documents_before, sources_before, rejects_before, _ = archive_contents(sqlite_url)
    result = run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file), "--full")
    assert result.returncode == 1, result.stderr
    documents, sources, rejects, runs = archive_contents(sqlite_url)
    assert documents.keys() == documents_before.keys()
    assert [s["url"] for s in sources] == [s["url"] for s in sources_before]
    assert rejects == rejects_before
    for before, after in zip(sources_before, sources, strict=True):
        assert after["first_seen"] == before["first_seen"]
        assert after["last_seen"] > before["last_seen"]
    second = runs[-1]
    assert (second["documents_new"], second["duplicates_merged"]) == (0, 0)
    assert second["documents_unchanged"] == len(sources)


def test_site_and_language_restrict_a_crawl(replica, sites_file, sqlite_url):
    result = run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file),
                     "--site", "tallinn", "--lang", "az")  # fmt: skip
    assert result.returncode == 0, result.stderr  # tallinn az has no rejects: ok
    assert result.stdout.strip().startswith("ok: ")
    documents, sources, _, _ = archive_contents(sqlite_url)
    assert {d["lang"] for d in documents.values()} == {"az"}
    assert {s["site"] for s in sources} == {"tallinn"}
    assert replica.requests()["main"] == [] and replica.requests()["sofia"] == []


def test_max_pages_bounds_the_listing_walk(replica, sites_file, sqlite_url):
    run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file), "--site", "main",
            "--lang", "en", "--max-pages", "1")  # fmt: skip
    listing = [p for p in replica.requests()["main"] if "/news?" in p]
    assert listing == ["/en/news?page=1"]


def test_a_killed_crawl_leaves_no_half_document_and_the_next_completes_it(tmp_path, sqlite_factory):
    db_url = sqlite_factory()
    with generated_replica(tmp_path, per_language=300) as (_, sites, cases):
        crawl = start_crawl(db_url, sites, stdout=subprocess.DEVNULL)
        stored = 0
        deadline = time.monotonic() + 60
        while stored < 40 and time.monotonic() < deadline and crawl.poll() is None:
            time.sleep(0.05)
            stored = documents_stored(db_url)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
        assert 40 <= stored < len(cases), "the crawl was not caught mid-run"
        assert_consistent(db_url, index_complete=False)

        result = run_cli("crawl", "--db", db_url, "--sites", str(sites))
        assert result.returncode == 0, result.stderr
        uninterrupted = sqlite_factory()
        run_cli("crawl", "--db", uninterrupted, "--sites", str(sites))
    documents, sources, _, runs = archive_contents(db_url)
    assert len(documents) == len(sources) == len(cases)
    assert_consistent(db_url)
    assert [run["status"] for run in runs] == ["killed", "ok"]  # the lock died with it
    assert archive_text(db_url) == archive_text(uninterrupted)


def test_an_archive_that_stops_taking_writes_fails_the_crawl_loudly_and_loses_nothing(
    tmp_path, sqlite_url
):
    # A database that stops taking writes (a full disk, a broken server).
    assert run_cli("db", "upgrade", "--db", sqlite_url).returncode == 0
    run_sql(
        sqlite_url,
        failing_inserts(sqlite_url, ["documents", "rejects"], "database or disk is full"),
    )

    def one_link_answers_404(root):
        (root / "cases/main-en-000001/meta.json").unlink()

    with generated_replica(tmp_path, 30, prepare=one_link_answers_404) as (_, sites, cases):
        result = run_cli("crawl", "--db", sqlite_url, "--sites", str(sites))
        assert result.returncode == 3, result.stderr
        assert "the archive stopped taking writes" in result.stderr
        # One line per failure: not the SQL and the parameters of a whole batch.
        assert all(len(line) < 300 for line in result.stderr.splitlines()), result.stderr
        assert result.stdout.strip().splitlines()[-1].startswith("failed: ")
        documents, sources, rejects, runs = archive_contents(sqlite_url)
        assert (documents, sources, rejects) == ({}, [], {})  # nothing half-written
        assert [run["status"] for run in runs] == ["failed"]

        run_sql(sqlite_url, healed(sqlite_url, ["documents", "rejects"]))
        result = run_cli("crawl", "--db", sqlite_url, "--sites", str(sites))
        assert result.returncode == 1, result.stderr  # partial: the 404
    documents, _, rejects, runs = archive_contents(sqlite_url)
    assert len(documents) == len(cases) - 1  # the failed crawl's pages were fetched again
    assert list(rejects.values()) == ["HTTP 404"]
    assert [run["status"] for run in runs] == ["failed", "partial"]
    assert_consistent(sqlite_url)


def test_a_failing_search_index_is_reported_and_the_next_crawl_repairs_it(
    tmp_path, postgres_server
):
    """PostgreSQL indexes a crawl's documents for search beside its writes: when
    indexing fails, the documents are stored all the same, the crawl says how
    many are not searchable and fails loudly, and the next crawl indexes them."""
    with postgres_database(postgres_server) as db_url, generated_replica(tmp_path, 30) as (
        _, sites, cases,
    ):  # fmt: skip
        assert run_cli("db", "upgrade", "--db", db_url).returncode == 0
        run_sql(db_url, failing_inserts(db_url, ["document_search"], "index is broken"))
        result = run_cli("crawl", "--db", db_url, "--sites", str(sites))
        assert result.returncode == 3, result.stderr
        assert "search indexing failed (index is broken)" in result.stderr
        assert f"{len(cases)} stored documents are not searchable until the next crawl" in (
            result.stderr
        )
        assert "stopped taking writes" not in result.stderr
        summary = result.stdout.strip().splitlines()[-1]
        assert summary.startswith("failed: ") and f"documents {len(cases)} new" in summary
        assert "; 0 errors;" in summary
        documents, sources, _, _ = archive_contents(db_url)
        assert len(documents) == len(sources) == len(cases)  # every document stored
        assert rows(db_url, "SELECT count(*) AS n FROM document_search") == [{"n": 0}]

        run_sql(db_url, healed(db_url, ["document_search"]))
        result = run_cli("crawl", "--db", db_url, "--sites", str(sites))
        assert result.returncode == 0, result.stderr
        assert_consistent(db_url)  # every document searchable, with its current text
        (hit,) = rows(db_url, "SELECT count(*) AS n FROM document_search")
        assert hit["n"] == len(cases)


def documents_stored(db_url) -> int:
    try:
        return rows(db_url, "SELECT count(*) AS n FROM documents")[0]["n"]
    except DBAPIError:
        return 0  # no archive, or no schema yet


def archive_text(db_url):
    """What an archive holds, without ids and times: each document with its sources."""
    urls = collections.defaultdict(list)
    for source in rows(db_url, "SELECT document_id, url FROM sources ORDER BY url"):
        urls[source["document_id"]].append(source["url"])
    columns = ("lang", "doc_number", "title", "published_on", "body", "body_html",
               "content_hash", "release_key", "revision")  # fmt: skip
    return sorted(
        (*(document[c] for c in columns), urls[document["id"]])
        for document in rows(db_url, "SELECT * FROM documents")
    )


def test_a_listing_whose_first_page_shows_nothing_fails_the_crawl(tmp_path, sqlite_url):
    """Exit 3 when the layout seems to have changed: the listing's first page shows
    nothing any selector, or any fallback, reads as an item (a redesign whose
    pages are drawn by a script)."""

    def redesigned(root):
        for page in (root / "sites/main/en").glob("news*.html"):
            page.write_text('<html><body><div id="app"></div><script src="/app.js"></script>'
                            "</body></html>", encoding="utf-8")  # fmt: skip

    with generated_replica(tmp_path, 3, prepare=redesigned) as (_, sites, _):
        result = run_cli("crawl", "--db", sqlite_url, "--sites", str(sites))
    assert result.returncode == 3
    assert result.stdout.strip().startswith("failed: ")
    assert "has no items: has the layout changed?" in result.stderr


def test_a_site_whose_layout_is_stated_wrongly_is_read_by_the_layout_its_pages_show(
    replica, tmp_path, sqlite_url
):
    """The main site stated as a mission site (as a host on the main CMS may be):
    its listings and pages are read by the main layout all the same, and every
    source says so; it is not the ministry's own site for all that."""
    sites = tmp_path / "wrong-layout.toml"
    sites.write_text(
        "[crawl]\ndownload_delay = 0\nautothrottle = false\nretry_backoff = 0\n\n"
        f'[[site]]\nname = "main"\nbase_url = "{replica.sites["main"].origin}"\n'
        'layout = "mission"\nlanguages = ["en"]\n',
        encoding="utf-8",
    )
    result = run_cli("crawl", "--db", sqlite_url, "--sites", str(sites))
    assert result.returncode == 1, result.stderr  # partial: the main site's rejects
    cases = [load_case(path) for path in CASES]
    pages = [c for c in cases if c.meta["site"] == "main" and c.meta["lang"] == "en"]
    stored = [c for c in pages if "rejected" not in c.expected]
    documents, sources, _, _ = archive_contents(sqlite_url)
    parts = sum(1 + ("companion" in c.expected) for c in stored)  # En/Ru pages are two
    assert len(documents) == parts
    # URL identity is the stated layout's (the listings' walk needs it before any page
    # is read): the mission layout keeps a numbered slug, so a page listed as
    # /index.php/en/news/no33125 and as /en/news/no33125-... is two copies of one document.
    aliases = sum(len(c.meta.get("aliases", ())) for c in stored)
    assert len(sources) == parts + aliases
    assert {(s["layout"], s["extraction"], s["authoritative"]) for s in sources} == {
        ("main", "selectors", False)
    }
    assert {d["category"] for d in documents.values()} >= {"Press release", "Statement"}


def test_a_failing_server_is_retried_then_recorded_as_a_download_error(tmp_path, sqlite_url):
    """5xx answers are retried (RETRY_TIMES), then the link is a download_error reject
    that does not count among the invalid pages."""
    failing = "/en/news/no00226-generated-1"

    def answer_503(root):
        (root / "cases/main-en-000001/meta.json").unlink()  # served by the status file instead
        status_file = root / f"sites/main{failing}.status"
        status_file.parent.mkdir(parents=True)
        status_file.write_text("503")

    with generated_replica(tmp_path, per_language=3, prepare=answer_503) as (server, sites, _):
        result = run_cli("crawl", "--db", sqlite_url, "--sites", str(sites))
        assert result.returncode == 1
        assert server.requests()["main"].count(failing) == 4  # 1 + RETRY_TIMES
    documents, _, rejects, runs = archive_contents(sqlite_url)
    assert len(documents) == 2
    assert list(rejects.values()) == ["HTTP 503"]
    assert (runs[0]["errors"], runs[0]["rejects"]) == (1, 0)


def test_an_interrupted_crawl_says_so_and_keeps_what_it_fetched(tmp_path, sqlite_url):
    with generated_replica(tmp_path, per_language=300) as (server, sites, cases):
        crawl = start_crawl(sqlite_url, sites, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(server.requests()["main"]) < 60 and time.monotonic() < deadline:
            time.sleep(0.02)
        crawl.send_signal(signal.SIGINT)
        stdout, _ = crawl.communicate(timeout=60)
    assert crawl.returncode == 130
    assert stdout.strip().startswith("interrupted: ")
    documents, sources, _, runs = archive_contents(sqlite_url)
    assert 0 < len(documents) < len(cases)
    assert runs[0]["status"] == "interrupted"
    assert runs[0]["documents_new"] == len(documents) == len(sources)
    assert_consistent(sqlite_url)


def test_crawling_the_sites_in_another_order_gives_the_same_archive(
    replica, tmp_path, sqlite_factory
):
    """Same documents, same text, same primary sources, whichever site comes first."""
    forward, backward = tmp_path / "forward.toml", tmp_path / "backward.toml"
    forward.write_text(replica.sites_toml(), encoding="utf-8")
    head, *entries = replica.sites_toml().split("[[site]]")
    backward.write_text(head + "".join(f"[[site]]{entry}" for entry in reversed(entries)),
                        encoding="utf-8")  # fmt: skip
    exports = []
    for sites in (forward, backward):
        db = sqlite_factory()
        assert run_cli("crawl", "--db", db, "--sites", str(sites)).returncode == 1
        records = [json.loads(line) for line in run_cli("export", "--db", db).stdout.splitlines()]
        exports.append(
            sorted(
                (r["url"], r["lang"], r["title"], r["body"], r["category"], r["doc_number"],
                 r["published_on"], r["release"], sorted(s["url"] for s in r["sources"]))
                for r in records
            )
        )  # fmt: skip
    assert exports[0] == exports[1]


def test_a_crawl_that_reaches_no_site_fails_and_names_the_site_and_the_cause(tmp_path, sqlite_url):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sites = tmp_path / "sites.toml"
    sites.write_text(
        "[crawl]\ndownload_delay = 0\nautothrottle = false\nretry_backoff = 0\n\n"
        f'[[site]]\nname = "main"\nbase_url = "http://127.0.0.1:{port}"\nlayout = "main"\n'
        'languages = ["en", "az"]\n',
        encoding="utf-8",
    )
    result = run_cli("crawl", "--db", sqlite_url, "--sites", str(sites))
    assert result.returncode == 3, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("failed: 0 pages fetched")
    assert "; main unreachable (download failed: " in summary and "ConnectionRefused" in summary
    assert "Traceback" not in result.stderr
    # each listing's failed pages are recorded, the walk given up after a few in a row
    assert len(rows(sqlite_url, "SELECT * FROM rejects WHERE kind = 'listing_error'")) == 6


def test_a_text_replaced_by_the_ministrys_own_copy_is_kept_and_history_says_why(
    replica, sites_file, sqlite_url
):
    """A mission's copy crawled first is the document's text until the main
    site's copy arrives: then the mission's text becomes a revision whose
    reason names both copies, and `history` shows it."""
    assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file), "--site", "tallinn",
                   "--lang", "en").returncode in (0, 1)  # fmt: skip
    mission_url = replica.sites["tallinn"].origin + (
        "/en/news/3760/statement-on-the-international-day-for-mine-awareness"
    )
    before = json.loads(run_cli("history", "--db", sqlite_url, mission_url, "--json").stdout)
    assert len(before["versions"]) == 1
    assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites_file), "--site", "main",
                   "--lang", "en").returncode in (0, 1)  # fmt: skip
    after = json.loads(run_cli("history", "--db", sqlite_url, mission_url, "--json").stdout)
    old, current = after["versions"]
    assert old["body"] == before["versions"][0]["body"]  # the mission's text, kept
    assert old["reason"].startswith("primary changed: ") and "/en/news/3760/" in old["reason"]
    assert "/en/news/no09825" in old["reason"] and current["body"] != old["body"]
    shown = run_cli("history", "--db", sqlite_url, mission_url).stdout
    assert "(primary changed: " in shown


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_to_the_process_group_loses_nothing(tmp_path, sqlite_factory, signum):
    """Ctrl-C (SIGINT) and systemctl stop (SIGTERM) reach every process of the
    group, the extraction worker too: the crawl ends interrupted, with no page
    rejected for it, and the next crawl completes the archive exactly."""
    db_url, uninterrupted = sqlite_factory(), sqlite_factory()
    with generated_replica(tmp_path, per_language=300) as (_, sites, cases):
        crawl = start_crawl(db_url, sites, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while documents_stored(db_url) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(crawl.pid, signum)  # as a terminal and systemd send it: to the group
        stdout, stderr = crawl.communicate(timeout=60)
        assert crawl.returncode == 130, stderr
        assert stdout.strip().splitlines()[-1].startswith("interrupted: ")
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
        documents, _, rejects, _ = archive_contents(db_url)
        assert 0 < len(documents) < len(cases)
        assert rejects == {}  # nothing rejected for being interrupted
        assert run_cli("crawl", "--db", db_url, "--sites", str(sites)).returncode == 0
        assert run_cli("crawl", "--db", uninterrupted, "--sites", str(sites)).returncode == 0
    assert archive_text(db_url) == archive_text(uninterrupted)
    assert_consistent(db_url)
