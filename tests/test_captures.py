"""Captures: every response a crawl receives, kept in WARC files that standard
tools read, referred to by the sources and rejects read from them."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.warc import (
    SUFFIX,
    CaptureIndex,
    Exchange,
    WarcWriter,
    index_path,
    read_capture,
    scan,
    scan_file,
    warc_dir_for,
)
from mfa_archive.replica.faults import FAULTS, FaultServer
from tests.archive_sql import rows
from tests.conftest import generated_replica, run_cli

WARCIO = str(Path(sys.executable).with_name("warcio"))


def vars_of(slotted) -> dict:
    return {name: getattr(slotted, name) for name in slotted.__slots__}


def warcio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([WARCIO, *args], capture_output=True, text=True, check=False)


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{SUFFIX}"))


def exported(db_url: str) -> list[dict]:
    return [json.loads(line) for line in run_cli("export", "--db", db_url).stdout.splitlines()]


@pytest.mark.e2e
def test_a_crawl_keeps_every_response_in_warc_files_that_warcio_checks(
    replica, sites_file, tmp_path
):
    db_url = f"sqlite:///{tmp_path}/archive.db"
    result = run_cli("crawl", "--db", db_url, "--sites", str(sites_file))
    assert result.returncode == 1, result.stderr
    directory = tmp_path / "warc"  # beside the archive
    (path,) = warc_files(directory)
    assert path.name.startswith("mfa-archive-run00001-")
    check = warcio("check", "-v", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
    index = [json.loads(line) for line in warcio("index", str(path)).stdout.splitlines()]
    assert index[0]["warc-type"] == "warcinfo"
    types = [entry["warc-type"] for entry in index[1:]]
    # each fetch: its response, its request, and what the crawl made of it
    assert types == ["response", "request", "metadata"] * (len(types) // 3)
    fetched = sum(len(paths) for paths in replica.requests().values())
    assert types.count("response") == fetched  # robots.txt, listings, articles, 404s
    info = scan_file(path)
    # the writer's index beside the file says what a pass over the file would
    assert index_path(path).exists()
    index_path(path).rename(tmp_path / "index.jsonl")
    scanned = scan_file(path)
    assert [vars_of(e) for e in scanned.captures] == [vars_of(e) for e in info.captures]
    assert [vars_of(r) for r in scanned.records] == [vars_of(r) for r in info.records]
    (tmp_path / "index.jsonl").rename(index_path(path))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        warcinfo = handle.read(1000)
    assert "software: mfa-archive/" in warcinfo and "isPartOf: mfa-archive crawl run 1" in warcinfo
    assert "WARC/1.1" in warcinfo
    statuses = {entry.status for entry in info.captures}
    assert {200, 404} <= statuses

    # provenance: every source and every fetched reject names its capture
    sources = rows(db_url, "SELECT s.url, c.url AS captured, c.status, c.warc_file FROM sources s "
                           "LEFT JOIN captures c ON c.id = s.capture_id")  # fmt: skip
    assert sources and all(s["warc_file"] == path.name for s in sources)
    assert all(s["url"].split("#")[0] == s["captured"] and s["status"] == 200 for s in sources)
    rejects = {r["reason"]: r for r in rows(db_url, "SELECT r.reason, c.status FROM rejects r "
                                                   "LEFT JOIN captures c ON c.id = r.capture_id")}  # fmt: skip
    assert rejects["HTTP 404"]["status"] == 404
    assert rejects["no title"]["status"] == 200
    assert rejects["disallowed by robots.txt"]["status"] is None  # never requested
    for record in exported(db_url):
        for source in record["sources"]:
            capture = source["capture"]
            assert capture["warc_file"] == path.name and capture["record_type"] == "response"
            assert capture["payload_digest"].startswith("sha1:") and capture["status"] == 200
            dt.datetime.fromisoformat(capture["fetched_at"])


@pytest.mark.e2e
def test_show_capture_prints_what_the_server_sent(replica, sites_file, tmp_path):
    db_url = f"sqlite:///{tmp_path}/archive.db"
    run_cli("crawl", "--db", db_url, "--sites", str(sites_file), "--site", "tallinn")
    (source,) = rows(db_url, "SELECT id, url FROM sources WHERE url LIKE '%/3700/%'")
    shown = run_cli("show-capture", str(source["id"]), "--db", db_url)
    assert shown.returncode == 0, shown.stderr
    head, _, body = shown.stdout.partition("\n\n")
    assert "# WARC file mfa-archive-run00001-" in head and "response record <urn:uuid:" in head
    assert "HTTP/1.1 200 OK" in head and "Content-Type: text/html; charset=utf-8" in head
    page = (Path(replica.root) / "cases/tallinn-en-3700-exhibition/page.html").read_text()
    origin = replica.sites["tallinn"].origin
    assert body.rstrip("\n") == page.replace("{{origin}}", origin).rstrip("\n")
    by_url = run_cli("show-capture", source["url"], "--db", db_url, "--raw")
    assert by_url.stdout == page.replace("{{origin}}", origin)
    missing = run_cli("show-capture", "http://nowhere.example/x", "--db", db_url)
    assert missing.returncode == 2 and "no source or reject" in missing.stderr


@pytest.mark.e2e
def test_a_refresh_writes_unchanged_pages_as_revisits(tmp_path, sqlite_url):
    with generated_replica(tmp_path, 30) as (_, sites, cases):
        assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites)).returncode == 0
        assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites), "--full").returncode == 0
    first, second = warc_files(tmp_path / "archive-0.warc")
    assert warcio("check", str(first), str(second)).returncode == 0
    articles = [e for e in scan_file(second).captures if e.kind == "article"]
    assert len(articles) == len(cases)
    assert {e.record_type for e in articles} == {"revisit"}
    originals = {e.record_id: e for e in scan_file(first).captures}
    # a revisit is its headers alone: a tenth of the page or less
    revisits, pages = (
        sum(e.length for e in articles),
        sum(originals[e.refers_to].length for e in articles),
    )
    assert revisits < pages / 10
    assert second.stat().st_size < first.stat().st_size / 2
    assert all(originals[e.refers_to].payload_digest == e.payload_digest for e in articles)
    # the sources now point at the revisits, and read through them to the payload
    (source,) = rows(sqlite_url, "SELECT id FROM sources ORDER BY id LIMIT 1")
    shown = run_cli("show-capture", str(source["id"]), "--db", sqlite_url)
    assert "revisit record" in shown.stdout and "# payload from <urn:uuid:" in shown.stdout
    assert "section_articleInner_body_content--description" in shown.stdout
    captures = rows(sqlite_url, "SELECT record_type, count(*) AS n FROM captures GROUP BY 1")
    assert {c["record_type"]: c["n"] for c in captures} == {"response": 30, "revisit": 30}


@pytest.mark.e2e
def test_no_warc_and_warc_dir(tmp_path):
    with generated_replica(tmp_path, 3) as (_, sites, _):
        off = f"sqlite:///{tmp_path}/off/archive.db"
        assert run_cli("crawl", "--db", off, "--sites", str(sites), "--no-warc").returncode == 0
        elsewhere = tmp_path / "captures"
        there = f"sqlite:///{tmp_path}/there/archive.db"
        assert run_cli("crawl", "--db", there, "--sites", str(sites),
                       "--warc-dir", str(elsewhere)).returncode == 0  # fmt: skip
        env_dir = tmp_path / "from-env"
        by_env = f"sqlite:///{tmp_path}/env/archive.db"
        result = run_cli(
            "crawl", "--db", by_env, "--sites", str(sites), env={"MFA_WARC_DIR": str(env_dir)}
        )
        assert result.returncode == 0
    assert not (tmp_path / "off/warc").exists()
    assert rows(off, "SELECT count(*) AS n FROM captures") == [{"n": 0}]
    assert rows(off, "SELECT count(*) AS n FROM sources WHERE capture_id IS NULL") == [{"n": 3}]
    assert len(warc_files(elsewhere)) == 1 and not (tmp_path / "there/warc").exists()
    assert len(warc_files(env_dir)) == 1
    stats = json.loads(
        run_cli("captures", "--stats", "--json", "--warc-dir", str(elsewhere)).stdout
    )
    # 3 articles, 2 listing pages, and robots.txt, counted for the site of its host
    assert stats["files"] == 1 and set(stats["sites"]) == {"(warcinfo)", "main"}
    assert stats["sites"]["main"]["responses"] == 6 and stats["sites"]["main"]["records"] == 18


def test_warc_dir_is_beside_a_sqlite_archive(monkeypatch):
    monkeypatch.delenv("MFA_WARC_DIR", raising=False)
    assert warc_dir_for("sqlite:///data/archive.db") == Path("data/warc")
    assert warc_dir_for("sqlite:////srv/x/demo.db") == Path("/srv/x/demo.warc")
    assert warc_dir_for("postgresql+psycopg://h/mfa") == Path("data/warc-mfa")
    assert warc_dir_for("sqlite:///x.db", "/srv/warc") == Path("/srv/warc")
    monkeypatch.setenv("MFA_WARC_DIR", "/var/warc")
    assert warc_dir_for("sqlite:///data/archive.db") == Path("/var/warc")


def test_files_rotate_past_their_size_and_each_opens_with_warcinfo(tmp_path):
    writer = WarcWriter(tmp_path, "mfa-archive-run00007-20260101000000", max_bytes=10_000)
    body = (
        Path(__file__).parents[1] / "fixtures/cases/main-en-khojaly-statement/page.html"
    ).read_bytes()
    refs = [
        writer.write(Exchange(f"http://h/en/news/{n}", "GET", [], 200, [("Content-Type", "text/html")],
                              body + str(n).encode(), dt.datetime.now(dt.UTC), {"kind": "other"}))
        for n in range(8)
    ]  # fmt: skip
    writer.close()
    files = warc_files(tmp_path)
    assert [f.name for f in files] == [f"mfa-archive-run00007-20260101000000-{n:05d}{SUFFIX}"
                                       for n in range(1, len(files) + 1)]  # fmt: skip
    assert len(files) >= 3
    for file in files:
        # a file passes its size by one fetch at most
        assert file.stat().st_size < 10_000 + 3 * max(ref.length for ref in refs)
        assert scan_file(file).records[0].record_type == "warcinfo"
    assert warcio("check", *map(str, files)).returncode == 0
    assert {ref.warc_file for ref in refs} == {f.name for f in files}
    for n, ref in enumerate(refs):
        assert read_capture(tmp_path, ref).body == body + str(n).encode()
    assert len(CaptureIndex.of(tmp_path).entries) == 8


def test_a_file_cut_short_is_read_up_to_its_last_whole_record(tmp_path):
    writer = WarcWriter(tmp_path, "run")
    for n in range(5):
        writer.write(Exchange(f"http://h/{n}", "GET", [], 200, [], b"x" * 5000 + bytes([n]),
                              dt.datetime.now(dt.UTC), {}))  # fmt: skip
    writer.close()
    (path,) = warc_files(tmp_path)
    last = scan_file(path).captures[-1]
    # a crawl killed mid-write: the file ends inside the last response record
    path.write_bytes(path.read_bytes()[: last.offset + last.length // 2])
    (index,) = scan(tmp_path)
    assert not index.complete and len(index.captures) == 4


@pytest.mark.e2e
def test_prune_drops_superseded_captures_and_keeps_what_the_archive_refers_to(tmp_path, sqlite_url):
    with generated_replica(tmp_path, 20, per_page=10) as (server, sites, _):
        assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites)).returncode == 0
        assert run_cli("crawl", "--db", sqlite_url, "--sites", str(sites), "--full").returncode == 0
        server.stop()
    directory = tmp_path / "archive-0.warc"
    before = sum(f.stat().st_size for f in warc_files(directory))
    dry = run_cli("captures", "--prune", "--dry-run", "--db", sqlite_url)
    assert dry.returncode == 0 and dry.stdout.startswith("would drop ")
    assert sum(f.stat().st_size for f in warc_files(directory)) == before
    pruned = run_cli("captures", "--prune", "--db", sqlite_url)
    assert pruned.returncode == 0, pruned.stderr
    # the first crawl's listing pages and robots.txt were fetched again since
    assert pruned.stdout.startswith("dropped 4 captures (12 records")
    assert warcio("check", *map(str, warc_files(directory))).returncode == 0
    assert sum(f.stat().st_size for f in warc_files(directory)) < before
    # every source still shows its capture, from the records' new places
    for source in rows(sqlite_url, "SELECT id FROM sources"):
        shown = run_cli("show-capture", str(source["id"]), "--db", sqlite_url)
        assert shown.returncode == 0 and "HTTP/1.1 200 OK" in shown.stdout, shown.stderr
    again = run_cli("captures", "--prune", "--db", sqlite_url)
    assert again.stdout.startswith("dropped 0 captures")


@pytest.mark.e2e
def test_compressed_responses_are_kept_as_sent(tmp_path):
    """The gzip bomb of the fault replica: its capture is the compressed body,
    with its Content-Encoding, as the server sent it; the crawl's reject stands."""
    db_url = f"sqlite:///{tmp_path}/archive.db"
    with FaultServer(stall_seconds=1, other_host="127.0.0.2") as server:
        sites = tmp_path / "sites.toml"
        sites.write_text(server.sites_toml().replace("retry_backoff = 0\n",
                         "retry_backoff = 0\ndownload_timeout = 1\n"), encoding="utf-8")  # fmt: skip
        run_cli("crawl", "--db", db_url, "--sites", str(sites))
    files = warc_files(tmp_path / "warc")
    assert warcio("check", *map(str, files)).returncode == 0
    index = CaptureIndex.of(tmp_path / "warc")
    (bomb,) = [e for e in index.entries if e.url.endswith(FAULTS["gzip-bomb"].path)]
    stored = index.read(bomb)
    assert stored.header("Content-Encoding") == "gzip"
    assert stored.body[:2] == b"\x1f\x8b"  # still compressed
    assert len(stored.body) < 4 * 1024 * 1024
    (reject,) = rows(db_url, "SELECT r.kind, c.record_id FROM rejects r JOIN captures c "
                             f"ON c.id = r.capture_id WHERE r.url LIKE '%{FAULTS['gzip-bomb'].path}'")  # fmt: skip
    assert reject == {"kind": "too_large", "record_id": bomb.record_id}
