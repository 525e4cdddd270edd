"""Integrity under faults and hostile input, end to end: `mfa-archive crawl` over
HTTP against the fault replica (mfa_archive.replica.faults), whose every
listed URL says what a correct crawl makes of it."""

from __future__ import annotations

import json
import re

import pytest

from crawler.pages import LAYOUTS
from mfa_archive.replica.faults import EXPECTATIONS, FAULTS, FaultServer
from tests.archive_sql import archive_contents, rows
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e

# A text the crawl must never store: what decoding errors and hostile pages leave.
MOJIBAKE = re.compile("\ufffd|É™|Ä±|Ã¼|Ã§")
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BIDI_MARKS = re.compile("[\u200e\u200f\u061c]")  # kept: Arabic and Persian use them
TRANSIENT = ("burst-503", "retry-after-429", "connection-reset", "truncated-body", "stall")


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    """The fault replica crawled once, then healed and crawled again: each
    crawl's result, the archive after each, and the server's request log."""
    tmp = tmp_path_factory.mktemp("integrity")
    db_url = f"sqlite:///{tmp}/archive.db"
    with FaultServer(stall_seconds=3, other_host="127.0.0.2") as server:
        sites = tmp / "sites.toml"
        # A stall past a one-second timeout, rather than Scrapy's 30 s.
        sites.write_text(server.sites_toml().replace("retry_backoff = 0\n",
                         "retry_backoff = 0\ndownload_timeout = 1\n"), encoding="utf-8")  # fmt: skip
        first = run_cli("crawl", "--db", db_url, "--sites", str(sites))
        after_first = archive_contents(db_url), rows(db_url, "SELECT * FROM rejects")
        requests_first = {path: server.count(path) for path in server.counts()}
        for name in (*TRANSIENT, "listing-until-healed"):
            server.heal(name)
        second = run_cli("crawl", "--db", db_url, "--sites", str(sites), "--recheck-days", "0")
        yield {
            "server": server, "db_url": db_url, "first": first, "second": second,
            "after_first": after_first, "requests_first": requests_first,
            "after_second": (archive_contents(db_url), rows(db_url, "SELECT * FROM rejects")),
        }  # fmt: skip


def stored_record(contents, url):
    """The document stored for url (as fetched), with the source that holds it."""
    documents, sources, _, _ = contents
    (source,) = [s for s in sources if s["url"] == url]
    return documents[source["document_id"]], source


def outcome(contents, reject_rows, server, expectation):
    """ "stored" or "reject <kind>" for an expectation's listed URL, by the archive."""
    _, sources, _, _ = contents
    url = server.resolve(expectation.url)
    fetched = {s["url"] for s in sources}
    target = server.resolve(expectation.target) if expectation.target else url
    if url in fetched or target in fetched:
        return "stored"
    (reject,) = [r for r in reject_rows if r["url"] == url]
    return f"reject {reject['kind']}"


def test_the_first_crawl_is_partial_and_says_so(crawls):
    result = crawls["first"]
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("partial: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", [n for n in FAULTS if n != "listing-until-healed"])
def test_each_fault_ends_as_the_replica_says(crawls, name):
    expectation = FAULTS[name]
    server = crawls["server"]
    contents, reject_rows = crawls["after_first"]
    expected = "stored" if expectation.expected.endswith("stored") else expectation.expected
    assert outcome(contents, reject_rows, server, expectation) in (expected, *expectation.also)
    low, high = expectation.requests
    assert low <= crawls["requests_first"].get(expectation.path, 0) <= high
    if expectation.reason_contains:
        (reject,) = [r for r in reject_rows if r["url"] == server.resolve(expectation.url)]
        assert server.resolve(expectation.reason_contains) in reject["reason"]


@pytest.mark.parametrize("name", [n for n, e in EXPECTATIONS.items() if e.record])
def test_every_stored_page_is_exactly_its_authored_text(crawls, name):
    expectation = EXPECTATIONS[name]
    record = crawls["server"].resolve(dict(expectation.record))
    contents = crawls["after_second"][0]
    document, _ = stored_record(contents, record["url"])
    for field in ("lang", "doc_number", "title", "category", "published_on", "body", "body_html"):
        if field in record:
            assert BIDI_MARKS.sub("", document[field] or "") == (record[field] or ""), field
    if companion := record.get("companion"):
        russian, _ = stored_record(contents, record["url"] + "#ru")
        assert (russian["title"], russian["body"]) == (companion["title"], companion["body"])
    for field in ("title", "category", "body", "body_html"):
        text = document[field] or ""
        assert not MOJIBAKE.search(text) and not CONTROLS.search(text), field
        assert not any(marker in text for marker in expectation.forbidden), field


def test_nothing_was_asked_of_another_host(crawls):
    assert crawls["server"].total("other") == 0  # not a page, not even robots.txt


def test_a_forged_page_claiming_a_release_leaves_the_genuine_one_alone(crawls):
    documents, sources, _, _ = crawls["after_second"][0]
    genuine = [d for d in documents.values() if d["doc_number"] == "214/26" and d["lang"] == "en"]
    (document,) = genuine
    record = crawls["server"].resolve(
        dict(EXPECTATIONS["main-en-no21426-transport-corridors"].record)
    )
    assert (document["title"], document["body"]) == (record["title"], record["body"])
    assert [s["url"] for s in sources if s["document_id"] == document["id"]] == [record["url"]]
    assert rows(crawls["db_url"], "SELECT count(*) AS n FROM document_revisions") == [{"n": 0}]


def test_every_listed_link_is_a_document_or_a_reject(crawls):
    """listed = documents' sources (as listed, wherever redirects led) ∪ rejects,
    compared by URL identity, after each crawl."""
    server = crawls["server"]
    identity = LAYOUTS["main"].canonical_url
    broken_page = {
        identity(server.resolve(e.url))
        for e in EXPECTATIONS.values()
        if (e.lang, e.listing_page) == ("en", 2) and e.name != "listing-until-healed"
    }
    listed = {
        identity(server.resolve(e.url))
        for e in EXPECTATIONS.values()
        if e.name != "listing-until-healed"
    }
    # The first crawl never saw the links of the listing page that failed; the second did.
    for crawl, known_listed in (("after_first", listed - broken_page), ("after_second", listed)):
        contents, reject_rows = crawls[crawl]
        _, sources, _, _ = contents
        archived = {s["canonical_url"].partition("#")[0] for s in sources}
        archived |= {s["listed_canonical_url"] for s in sources if s["listed_canonical_url"]}
        rejected = {r["canonical_url"] for r in reject_rows if r["kind"] != "listing_error"}
        assert known_listed <= archived | rejected, crawl
        assert not archived & rejected, crawl


def test_a_failing_listing_page_is_recorded_and_the_walk_goes_on(crawls):
    server = crawls["server"]
    listing = FAULTS["listing-until-healed"]
    _, reject_rows = crawls["after_first"]
    (reject,) = [r for r in reject_rows if r["kind"] == "listing_error"]
    assert reject["url"] == server.resolve(listing.url)
    assert reject["reason"].startswith("listing page 2: HTTP 500")
    # the walk went on past the failed page: the page after it was read
    assert crawls["requests_first"].get("/en/news?page=3", 0) == 1


def test_the_next_crawl_reads_the_healed_listing_and_the_failed_downloads(crawls):
    result = crawls["second"]
    assert result.returncode == 0, result.stderr
    (contents, reject_rows) = crawls["after_second"]
    assert not [r for r in reject_rows if r["kind"] in ("listing_error", "download_error")]
    server = crawls["server"]
    for name in ("main-en-no20526-consular-reception-days", "main-en-no19926-diplomats-visit-shusha",
                 "truncated-body", "stall"):  # fmt: skip
        assert outcome(contents, reject_rows, server, EXPECTATIONS[name]) == "stored"
    # known pages were not asked again: the redirect's listed URL included
    for name in (
        "same-host-redirect",
        "redirect-loop",
        "offsite-redirect",
        "huge-page",
        "not-html",
    ):
        path = EXPECTATIONS[name].path
        assert server.count(path) == crawls["requests_first"][path], name


def test_rejects_and_stats_show_every_kind(crawls):
    result = run_cli("rejects", "--db", crawls["db_url"], "--json")
    kinds = {json.loads(line)["kind"] for line in result.stdout.splitlines()}
    assert {"offsite", "redirect_loop", "too_large", "not_html"} <= kinds
    stats = json.loads(run_cli("stats", "--db", crawls["db_url"], "--json").stdout)
    assert stats["rejects_by_kind"]["offsite"] == 2
    assert stats["rejects_by_kind"]["too_large"] == 2
