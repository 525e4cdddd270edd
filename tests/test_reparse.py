"""Reparse: the crawl's captures read again, offline, with the crawl's own code;
and layout checks, live and from captures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.pages.main import MainSiteV1
from mfa_archive import cli
from mfa_archive.replica.server import ReplicaServer
from tests.archive_sql import archive_contents, assert_consistent, rows
from tests.conftest import FIXTURES, generated_replica, run_cli

pytestmark = pytest.mark.e2e

BODY_CLASS = "section_articleInner_body_content--description"
RENAMED = "section_articleInner_body_content--text"  # a redesign the selectors miss


def export(db_url: str) -> list[str]:
    """The export without what differs between two archives of the same pages:
    ids (and the translations' ids), times."""
    records = []
    for line in run_cli("export", "--db", db_url).stdout.splitlines():
        record = json.loads(line)
        for name in ("id", "first_seen", "last_seen", "last_changed"):
            del record[name]
        record["translations"] = sorted(t["lang"] for t in record["translations"])
        records.append(json.dumps(record, sort_keys=True, ensure_ascii=False))
    return sorted(records)


def test_reparse_into_an_empty_archive_gives_the_crawls_export(tmp_path, db_factory):
    crawled, reparsed = db_factory(), db_factory()
    warc = tmp_path / "warc"
    server = ReplicaServer(FIXTURES)
    server.start()
    try:
        sites = tmp_path / "sites.toml"
        sites.write_text(server.sites_toml(), encoding="utf-8")
        result = run_cli("crawl", "--db", crawled, "--sites", str(sites), "--warc-dir", str(warc))
        assert result.returncode == 1, result.stderr
        requests = server.requests()
    finally:
        server.stop()  # reparse needs no replica
    result = run_cli("reparse", "--db", reparsed, "--warc-dir", str(warc))
    assert result.returncode == 1, result.stderr  # partial: the rejects are rejects again
    assert result.stdout.strip().startswith("partial: ") and " captures read; " in result.stdout
    assert server.requests() == requests  # not one request
    assert export(reparsed) == export(crawled)  # captures included, by record id
    assert_consistent(reparsed)
    crawled_rejects = archive_contents(crawled)[2]
    reparsed_rejects = archive_contents(reparsed)[2]
    # every reject a response made; robots.txt's made none, and stays the crawl's
    assert reparsed_rejects == {url: reason for url, reason in crawled_rejects.items()
                                if reason != "disallowed by robots.txt"}  # fmt: skip
    (run,) = rows(reparsed, "SELECT mode, status FROM crawl_runs")
    assert run == {"mode": "reparse", "status": "partial"}


def renamed_body_class(*numbers: int):
    def prepare(root: Path) -> None:
        for n in numbers:
            page = root / f"cases/main-en-{n:06d}/page.html"
            page.write_text(page.read_text().replace(BODY_CLASS, RENAMED))

    return prepare


def test_a_corrected_selector_turns_rejects_into_documents_without_a_request(
    tmp_path, sqlite_url, monkeypatch, capsys
):
    broken = (3, 7, 11, 12, 19)
    with generated_replica(tmp_path, 20, renamed_body_class(*broken)) as (server, sites, cases):
        assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites)).returncode == 1
        requests = server.requests()
        server.stop()
    _, _, rejects, _ = archive_contents(sqlite_url)
    assert sorted(rejects.values()) == ["empty body"] * len(broken)
    assert len(archive_contents(sqlite_url)[0]) == len(cases) - len(broken)

    # check-layout --captures, offline, says which selector to correct
    checked = run_cli("check-layout", "--captures", "--sites", str(sites), "--db", sqlite_url)
    assert checked.returncode == 0  # the newest article (n = 0) is one the selectors read

    # The selector, corrected: in this process (--processes 0), as a test can; on
    # disk, the extraction workers read it too.
    monkeypatch.setattr(MainSiteV1, "article_body", (f"div.{BODY_CLASS}", f"div.{RENAMED}"))
    code = cli.main(["reparse", "--db", sqlite_url, "--only-rejects", "--processes", "0"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith(f"ok: {len(broken)} captures read; documents {len(broken)} new")
    assert server.requests() == requests
    documents, sources, rejects, runs = archive_contents(sqlite_url)
    assert rejects == {} and len(documents) == len(sources) == len(cases)
    assert all(source["capture_id"] is not None for source in sources)
    assert runs[-1]["mode"] == "reparse"
    assert_consistent(sqlite_url)

    # again: nothing left to do
    assert cli.main(["reparse", "--db", sqlite_url, "--only-rejects"]) == 0
    assert capsys.readouterr().out.startswith("ok: 0 captures read; documents 0 new")


def test_a_changed_reading_becomes_a_revision_and_a_second_reparse_changes_nothing(
    tmp_path, sqlite_url, monkeypatch, capsys
):
    with generated_replica(tmp_path, 12) as (server, sites, cases):
        assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites)).returncode == 0
        server.stop()
    assert cli.main(["reparse", "--db", sqlite_url]) == 0
    assert f"documents 0 new, 0 updated, {len(cases)} unchanged" in capsys.readouterr().out

    original = MainSiteV1.parse_article.__func__  # type: ignore[attr-defined]

    def parse_article(cls, selector, url):
        fields = original(cls, selector, url)
        fields.body_html += "<p>A paragraph the new page object reads.</p>"
        return fields

    monkeypatch.setattr(MainSiteV1, "parse_article", classmethod(parse_article))
    before = archive_contents(sqlite_url)
    assert cli.main(["reparse", "--db", sqlite_url, "--processes", "0"]) == 0
    assert f"documents 0 new, {len(cases)} updated" in capsys.readouterr().out
    revisions = rows(sqlite_url, "SELECT reason, capture_id FROM document_revisions")
    assert len(revisions) == len(cases)
    assert {r["reason"] for r in revisions} == {"reparse"}
    assert all(r["capture_id"] is not None for r in revisions)  # the text's capture, kept
    documents, sources, _, _ = archive_contents(sqlite_url)
    assert all(
        d["body"].endswith("A paragraph the new page object reads.") for d in documents.values()
    )
    assert [s["url"] for s in sources] == [s["url"] for s in before[1]]

    after = archive_contents(sqlite_url)
    assert cli.main(["reparse", "--db", sqlite_url, "--processes", "0"]) == 0
    assert f"documents 0 new, 0 updated, {len(cases)} unchanged" in capsys.readouterr().out
    again = archive_contents(sqlite_url)
    assert again[0] == after[0]  # the documents, their text and times
    assert again[2] == after[2]
    assert rows(sqlite_url, "SELECT count(*) AS n FROM document_revisions") == [{"n": len(cases)}]


def test_check_layout_on_the_replica_matches_every_selector_in_two_requests(replica, sites_file):
    result = run_cli("check-layout", "--sites", str(sites_file), "--site", "main")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 listings checked: 3 matched, 0 fell back, 0 failed" in result.stdout
    assert "field body      selectors" in result.stdout
    assert "[crawler/pages/main.py MainSiteV1.article_body]" in result.stdout
    requests = replica.requests()["main"]
    assert requests[0] == "/robots.txt" and len(requests) == 1 + 2 * 3  # two per language
    as_json = json.loads(run_cli("check-layout", "--sites", str(sites_file), "--site", "main",
                                 "--lang", "en", "--json").stdout)  # fmt: skip
    assert [r["verdict"] for r in as_json] == ["matched"]


def test_check_layout_exits_3_and_names_the_selector_when_the_markup_changed(tmp_path):
    with generated_replica(tmp_path, 5, renamed_body_class(0)) as (_, sites, _):
        result = run_cli("check-layout", "--sites", str(sites))
        offline = run_cli("check-layout", "--sites", str(sites), "--captures",
                          "--warc-dir", str(tmp_path / "none"))  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert "main en (main layout, fetched): failed" in result.stdout
    assert "field body      failed: empty body" in result.stdout
    assert "article_body           no query matched: div." + BODY_CLASS in result.stdout
    assert "[crawler/pages/main.py MainSiteV1.article_body]" in result.stdout
    assert offline.returncode == 3 and "no capture of listing page 1" in offline.stdout


def test_the_reparse_benchmark_runs_and_reports():
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run([sys.executable, "bench/reparse.py", "--pages", "60", "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode in (0, 1) and result.stdout.strip(), result.stderr
    figures = json.loads(result.stdout)
    assert figures["pages"] == 60 and figures["documents_new"] == 60
    assert figures["reference_pages_per_s"] > 0 and figures["reparse_pages_per_s"] > 0
