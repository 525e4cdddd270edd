"""The browsable archive: `mfa-archive browse` (Datasette with the archive's
metadata and plugin), on SQLite and PostgreSQL, and a reader in a real browser."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest

from mfa_archive.browse import columns, make_datasette, metadata
from mfa_archive.browse.plugin import fold_search
from storage.engine import make_engine
from storage.snapshot import copy_archive
from tests.conftest import ROOT, run_cli

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER_ENV = "MFA_REQUIRE_BROWSER"
SCREENSHOTS = ROOT / "data" / "test-artifacts" / "browse"
# Chromium as the README's test notes start it: no network of its own, a fresh profile.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def crawled(replica_crawl) -> str:
    """A crawl of the replica, on each backend: its URL."""
    db, _ = replica_crawl
    return db


@pytest.fixture(scope="module")
def crawled_sqlite(tmp_path_factory) -> Path:
    """A crawl of the replica into SQLite, for the tests of Datasette itself."""
    from mfa_archive.replica.server import serving

    tmp = tmp_path_factory.mktemp("browse-sqlite")
    with serving() as server:
        sites = tmp / "sites.toml"
        sites.write_text(server.sites_toml(), encoding="utf-8")
        result = run_cli("crawl", "--db", f"sqlite:///{tmp}/archive.db", "--sites", str(sites))
        assert result.returncode == 1, result.stderr
    return tmp / "archive.db"


def get(path: Path, url: str) -> tuple[int, str]:
    """Datasette's answer to ``url``, as `mfa-archive browse` would give it."""

    async def fetch() -> tuple[int, str]:
        datasette = make_datasette(path)
        await datasette.invoke_startup()
        response = await datasette.client.get(url)
        return response.status_code, response.text

    return asyncio.run(fetch())


def rows(path: Path, url: str) -> list[dict]:
    status, text = get(path, url)
    assert status == 200, text
    return json.loads(text)


# -- metadata ----------------------------------------------------------------------


def test_the_column_descriptions_are_docs_schema_mds():
    """columns.json says what docs/schema.md says: after editing a view's table
    there, run `python -m mfa_archive.browse.columns` and review the diff."""
    expected = columns.parse((ROOT / "docs" / "schema.md").read_text(encoding="utf-8"))
    assert set(expected) == {"documents_v", "sources_v", "rejects_v"}
    shipped = json.loads(columns.COLUMNS_FILE.read_text(encoding="utf-8"))
    assert shipped == expected, "run: .venv/bin/python -m mfa_archive.browse.columns"
    tables = metadata()["databases"]["archive"]["tables"]
    for view in expected:
        assert tables[view]["columns"] == expected[view]
        assert tables[view]["title"] and tables[view]["description"]


def test_the_metadata_names_every_column_of_the_views(crawled_sqlite):
    """Every column a view has is described, and nothing else."""
    for view, described in metadata()["databases"]["archive"]["tables"].items():
        if "columns" in described:
            status, text = get(crawled_sqlite, f"/archive/{view}.json?_size=0")
            assert status == 200, text
            assert set(described["columns"]) == set(json.loads(text)["columns"]), view


# -- search, facets, queries, links, feed --------------------------------------------


def test_search_folds_as_the_index_does():
    assert fold_search("Xocalı soyqırımı") == "xocali soyqirimi"
    assert fold_search("Xocalı OR Şuşa NOT Əli") == "xocali OR şuşa NOT eli"  # raw-mode operators
    assert fold_search('title:"Cənubi Qafqaz"*') == 'title:"cenubi qafqaz"*'


def test_documents_v_is_searchable_with_the_folding(crawled_sqlite):
    def titles(query: str) -> list[str]:
        found = rows(crawled_sqlite, f"/archive/documents_v.json?_search={query}&_shape=array")
        return sorted(row["title"] for row in found)

    dotless = titles("Xocal%C4%B1")  # Xocalı
    assert dotless and dotless == titles("Xocali") == titles("XOCALI")
    assert all("Xocalı" in title or "Xocalı" in title for title in dotless)
    assert titles("Bayramov") == titles("bayramov") != []
    raw = titles("Xocal%C4%B1+OR+Bayramov&_searchmode=raw")
    assert set(dotless) < set(raw)


def test_facets_by_language_year_category_and_site(crawled_sqlite):
    status, text = get(crawled_sqlite, "/archive/documents_v.json?_size=0")
    assert status == 200, text
    facets = json.loads(text)["facet_results"]
    assert set(facets) == {"lang", "published_on", "category", "site"}
    assert facets["published_on"]["type"] == "year"
    years = {row["value"]: row["count"] for row in facets["published_on"]["results"]}
    assert "2025" in years and all(re.fullmatch(r"\d{4}", year) for year in years)
    in_2025 = rows(crawled_sqlite, "/archive/documents_v.json?published_on__startswith=2025"
                                   "&_shape=array&_size=max")  # fmt: skip
    assert len(in_2025) == years["2025"]
    assert {row["published_on"][:4] for row in in_2025} == {"2025"}
    assert {"az", "en", "ru"} <= {row["value"] for row in facets["lang"]["results"]}


def test_a_document_with_its_translations_sources_and_revisions(crawled_sqlite):
    found = rows(crawled_sqlite, "/archive/documents_v.json?_search=Xocali&_shape=array")
    (khojaly,) = [row for row in found if "Xocalı soyqırımının" in row["title"]]
    (document,) = rows(crawled_sqlite, f"/archive/document.json?id={khojaly['document_id']}"
                                       "&_shape=array")  # fmt: skip
    translations = json.loads(document["translations"])
    assert sorted(t["lang"] for t in translations) == ["en", "ru"]
    assert json.loads(document["sources"])[0]["url"] == khojaly["url"]
    assert json.loads(document["earlier_revisions"]) == []

    status, page = get(crawled_sqlite, f"/archive/document?id={khojaly['document_id']}")
    assert status == 200
    english = next(t for t in translations if t["lang"] == "en")
    assert f'href="/archive/document?id={english["document_id"]}"' in page
    assert 'class="document-body"><p>' in page  # the body as HTML, not as escaped text
    status, listing = get(crawled_sqlite, "/archive/documents_v")
    assert f'<a href="/archive/document?id={khojaly["document_id"]}">' in listing
    assert '<a href="/archive/documents_v?release=no%3A' in listing  # a release: its languages
    assert "<h1" in listing and "Documents" in listing


def test_canned_queries(crawled_sqlite):
    merges = rows(crawled_sqlite, "/archive/merges.json?_shape=array")
    assert merges and all(row["match_rule"] != "new" for row in merges)
    rules = [row["match_rule"] for row in merges]
    assert rules == sorted(rules, key=lambda rule: rule != "similar")  # the least certain first
    rejects = rows(crawled_sqlite, "/archive/rejects_by_reason.json?_shape=array")
    assert sum(row["pages"] for row in rejects) == len(
        rows(crawled_sqlite, "/archive/rejects_v.json?_shape=array&_size=max")
    )
    assert rows(crawled_sqlite, "/archive/recent_edits.json?_shape=array") == []  # one crawl


def test_the_feed_is_served(crawled_sqlite):
    status, text = get(crawled_sqlite, "/-/feed.atom?lang=en")
    assert status == 200
    feed = feedparser.parse(text.encode())
    assert not feed.bozo and feed.version == "atom10"
    assert feed.entries and feed.feed.language == "en"
    assert any(link.rel == "self" and link.href.endswith("/-/feed.atom?lang=en")
               for link in feed.feed.links)  # fmt: skip
    assert get(crawled_sqlite, "/-/feed.atom?lang=english")[0] == 400


# -- the command, on both backends ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def browsing(db: str) -> Iterator[str]:
    """`mfa-archive browse --db DB` in its own process, until the block ends: its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mfa_archive.cli", "browse", "--db", db, "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    out, err = process.communicate()
                    pytest.fail(f"browse did not start: {out}\n{err}")
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch_json(url: str) -> list[dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_browse_serves_either_backend(crawled):
    """SQLite is served as it is; PostgreSQL from a SQLite snapshot (Datasette
    reads SQLite only): the same documents, searchable the same way."""
    with browsing(crawled) as base:
        every = fetch_json(f"{base}/archive/documents_v.json?_shape=array&_size=max")
        found = fetch_json(f"{base}/archive/documents_v.json?_search=Xocal%C4%B1&_shape=array")
        folded = fetch_json(f"{base}/archive/documents_v.json?_search=xocali&_shape=array")
    engine = make_engine(crawled)
    with engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM documents").scalar()
    engine.dispose()
    assert len(every) == count
    assert found == folded
    assert any(row["lang"] == "az" and "Xocalı soyqırımının" in row["title"] for row in found)


def test_a_snapshot_copies_every_table(crawled, tmp_path):
    source = make_engine(crawled)
    target = make_engine(f"sqlite:///{tmp_path}/snapshot.db")
    copied = copy_archive(source, target, batch_size=7)
    for table, n in copied.items():
        with source.connect() as a, target.connect() as b:
            assert a.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == n, table
            assert b.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == n, table
    with target.connect() as connection:
        indexed = connection.exec_driver_sql(
            "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'xocali'"
        ).scalar()
    assert indexed >= 1  # filled by the triggers, folded
    source.dispose()
    target.dispose()


# -- a reader in a real browser ----------------------------------------------------


@pytest.fixture
def chromium():
    """Playwright's Chromium, launched from Debian's /usr/bin/chromium (never
    downloaded): skipped without it, unless $MFA_REQUIRE_BROWSER=1 (.ci/run)."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"no {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            reason = f"playwright is not installed ({exc}): pip install -e '.[dev]'"
    if reason is not None:
        if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
            pytest.fail(f"{reason} (and {REQUIRE_BROWSER_ENV}=1)")
        pytest.skip(f"{reason}; the browser test needs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_a_reader_searches_and_follows_a_translation(crawled_sqlite, chromium):
    """The search page, a search for a word with ı, the document found, and its
    English translation, as a reader sees them; a screenshot of each in
    data/test-artifacts/browse/."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    with browsing(f"sqlite:///{crawled_sqlite}") as base:
        page = chromium.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(15_000)

        page.goto(f"{base}/archive/documents_v")
        assert page.locator("h1").inner_text().startswith("Documents")  # "(view)" follows
        assert page.locator("input#_search").is_visible()  # the view is searchable
        facets = page.locator(".facet-info").all_inner_texts()
        assert any("published_on" in text and "2025" in text for text in facets), facets
        # The first screenful: the whole listing is some 17,000 pixels tall.
        page.screenshot(path=SCREENSHOTS / "01-search-page.png")

        page.fill("input#_search", "Xocalı")
        page.locator("input#_search").press("Enter")
        page.wait_for_url(re.compile(r"_search="))
        result_rows = page.locator("table.rows-and-columns tbody tr")
        assert result_rows.count() >= 1
        statement = result_rows.filter(has_text="Xocalı soyqırımının")
        assert statement.count() == 1  # the Azerbaijani statement, found by a word with ı
        page.screenshot(path=SCREENSHOTS / "02-search-results.png", full_page=True)

        statement.locator('a[href*="/archive/document?id="]').click()
        page.wait_for_url(re.compile(r"/archive/document\?id=\d+"))
        title = page.locator("h1").inner_text()
        assert "Xocalı soyqırımının 34-cü ildönümü" in title
        assert "Bəyanat" in page.locator(".document-fields").inner_text()  # its category
        assert page.locator(".document-body p").count() >= 1  # the body, as paragraphs
        languages = sorted(page.locator("a.translation").evaluate_all(
            "links => links.map(link => link.lang)"))  # fmt: skip
        assert languages == ["en", "ru"]
        page.screenshot(path=SCREENSHOTS / "03-document.png", full_page=True)

        page.locator('a.translation[lang="en"]').click()
        page.wait_for_load_state()
        title = page.locator("h1").inner_text()
        assert title.startswith(
            "Statement of the Ministry of Foreign Affairs on the 34th anniversary"
        )
        assert "\nen\n" in f"\n{page.locator('.document-fields').inner_text()}\n"  # lang
        assert "Khojaly genocide" in page.locator(".document-body").inner_text()
        back = page.locator("a.translation").evaluate_all("links => links.map(l => l.lang)")
        assert sorted(back) == ["az", "ru"]  # and back again
        page.screenshot(path=SCREENSHOTS / "04-translation.png", full_page=True)
    assert sorted(p.name for p in SCREENSHOTS.iterdir()) == [
        "01-search-page.png", "02-search-results.png", "03-document.png", "04-translation.png",
    ]  # fmt: skip
