"""The command line: error paths and their exit codes, and the read commands."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storage.archive import Archive
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.conftest import CASES, ROOT, load_case, run_cli


def assert_usage_error(result, message):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert message in lines[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "--lang", "xx"], "unknown language 'xx'"),
        (["crawl", "--lang", "EN"], "unknown language 'EN'"),
        # an ISO 639-1 code, but no site of the sites file has it
        (["crawl", "--lang", "fr"], "language 'fr' is not among the sites' languages"),
        (["crawl", "--max-pages", "0"], "must be at least 1"),
        (["crawl", "--recheck-days", "-1"], "must be at least 0, got -1"),
        (["crawl", "--since", "last week"], "not a date (YYYY-MM-DD): 'last week'"),
        (["search", "x", "--since", "2020-13-01"], "not a date (YYYY-MM-DD): '2020-13-01'"),
        (["search", "x", "--until", "yesterday"], "not a date"),
        (["export", "--format", "xml"], "invalid choice: 'xml'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments(args, message):
    assert_usage_error(run_cli(*args), message)


def test_unknown_site(sites_file, db_url):
    result = run_cli("crawl", "--sites", str(sites_file), "--site", "paris", "--db", db_url)
    assert_usage_error(
        result,
        "unknown site 'paris' (the sites file lists: berlin, main, natopfp, rome, sofia, tallinn)",
    )


def test_unreadable_sites_file(tmp_path, db_url):
    result = run_cli("crawl", "--sites", str(tmp_path / "missing.toml"), "--db", db_url)
    assert_usage_error(result, "cannot read sites file")
    broken = tmp_path / "broken.toml"
    broken.write_text('[[site]]\nname = "x"\nbase_url = "ftp://x"\nlayout = "main"\n'
                      'languages = ["en"]\n')  # fmt: skip
    assert_usage_error(run_cli("crawl", "--sites", str(broken), "--db", db_url),
                       "base_url must be scheme://host[:port]")  # fmt: skip
    broken.write_text("[[site]\n")
    assert_usage_error(run_cli("crawl", "--sites", str(broken), "--db", db_url), "not valid TOML")


def test_unreachable_database(tmp_path, sites_file):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_cli("crawl", "--sites", str(sites_file), "--db", f"sqlite:///{blocker}/x/a.db")
    assert_usage_error(result, "cannot create a directory")
    result = run_cli("stats", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 2 and "mfa-archive: error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_read_commands_need_an_archive(tmp_path):
    for command in ("search x", "export", "rejects", "stats"):
        result = run_cli(*command.split(), "--db", f"sqlite:///{tmp_path}/none.db")
        assert_usage_error(result, "no archive at")
        assert not (tmp_path / "none.db").exists()


def test_environment_variable_names_the_archive(tmp_path):
    result = run_cli("stats", env={"MFA_ARCHIVE_DB": f"sqlite:///{tmp_path}/env.db"})
    assert_usage_error(result, f"no archive at {tmp_path}/env.db")


def test_help_documents_the_exit_codes():
    result = run_cli("crawl", "--help")
    assert result.returncode == 0
    for line in ("0  all went well", "1  finished, but some", "2  usage error", "3  found nothing",
                 "4  another crawl holds the archive's lock"):  # fmt: skip
        assert line in result.stdout


def test_history_of_an_unknown_document(crawled):
    db, _ = crawled
    assert_usage_error(
        run_cli("history", "--db", db, "999999"), "no document 999999 in the archive"
    )
    assert_usage_error(
        run_cli("history", "--db", db, "https://mfa.gov.az/en/news/nowhere"),
        "no document https://mfa.gov.az/en/news/nowhere in the archive",
    )


def test_history_of_a_document_never_edited(crawled):
    db, _ = crawled
    result = run_cli("history", "--db", db, "1")
    assert result.returncode == 0, result.stderr
    assert "revision 1: archived" in result.stdout and ", current" in result.stdout
    assert "@@" not in result.stdout  # no diff: nothing changed


@pytest.fixture(scope="module")
def crawled(replica_crawl):
    """One crawl of the replica shared by the read-command tests, on each backend."""
    return replica_crawl


def test_search_prints_ranked_highlighted_results(crawled):
    db, _ = crawled
    result = run_cli("search", "human rights", "--db", db)
    assert result.returncode == 0
    first = result.stdout.splitlines()[:3]
    assert first[0] == "1. [en] 2025-12-10 No:398/25  Press release on Human Rights Day"
    assert "[Human] [Rights]" in first[2]


def test_search_json_with_filters(crawled):
    db, _ = crawled
    result = run_cli("search", "Bayramov", "--db", db, "--json", "--lang", "az,ru",
                     "--since", "2025-01-01", "--until", "2025-12-31")  # fmt: skip
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits and {hit["lang"] for hit in hits} <= {"az", "ru"}
    assert all("2025-01-01" <= hit["published_on"] <= "2025-12-31" for hit in hits)
    assert run_cli("search", "Bayramov", "--db", db, "--json", "--lang", "en",
                   "--since", "2027-01-01").stdout == ""  # fmt: skip


def test_malformed_search_query(crawled):
    db, _ = crawled
    assert_usage_error(run_cli("search", '"unclosed', "--db", db), "malformed search query")


def test_export_jsonl_and_csv(crawled, tmp_path):
    db, _ = crawled
    out = tmp_path / "out" / "archive.jsonl"
    assert run_cli("export", "--db", db, "--out", str(out)).returncode == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len({r["id"] for r in records})
    for field in ("id", "lang", "doc_number", "title", "category", "published_on", "body",
                  "url", "sources", "content_hash", "first_seen", "last_seen"):  # fmt: skip
        assert field in records[0]
    merged = {
        r["title"]: {s["site"] for s in r["sources"]} for r in records if len(r["sources"]) > 1
    }
    assert merged["Press release on Human Rights Day"] == {"main", "sofia"}
    assert merged["Minister Bayramov addresses the general debate of the UN General Assembly"] == {
        "main",
        "tallinn",
        "sofia",
    }
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind

    result = run_cli("export", "--db", db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(records)
    # The list fields travel as JSON; which copy was stored first depends on the crawl's order.
    assert json.loads(rows[0]["sources"]) == records[0]["sources"]
    assert records[0]["url"] in {source["url"] for source in records[0]["sources"]}
    assert [row["id"] for row in rows] == [str(r["id"]) for r in records]

    parquet = tmp_path / "out" / "archive.parquet"
    assert (
        run_cli("export", "--db", db, "--format", "parquet", "--out", str(parquet)).returncode == 0
    )
    table = pq.read_table(parquet)
    assert table.num_rows == len(records)
    assert table.schema.field("published_on").type == pa.date32()
    assert table.schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
    first = table.slice(0, 1).to_pylist()[0]
    assert first["published_on"].isoformat() == records[0]["published_on"]
    assert first["sources"] == records[0]["sources"]
    assert (first["title"], first["body"], first["revisions"]) == (
        records[0]["title"], records[0]["body"], 1)  # fmt: skip


def test_export_filters_by_date_and_language(crawled):
    db, _ = crawled
    every = [json.loads(line) for line in run_cli("export", "--db", db).stdout.splitlines()]
    result = run_cli("export", "--db", db, "--since", "2025-01-01", "--lang", "en,ru")
    chosen = [json.loads(line) for line in result.stdout.splitlines()]
    expected = [r for r in every if r["published_on"] >= "2025-01-01" and r["lang"] in ("en", "ru")]
    assert chosen == expected
    assert 0 < len(chosen) < len(every)


def test_parquet_needs_a_file(crawled):
    db, _ = crawled
    assert_usage_error(run_cli("export", "--db", db, "--format", "parquet"),
                       "--format parquet needs --out FILE")  # fmt: skip


def test_rejects_and_stats(crawled):
    db, _ = crawled
    rejects = [
        json.loads(line) for line in run_cli("rejects", "--db", db, "--json").stdout.splitlines()
    ]
    assert {r["reason"] for r in rejects} >= {"no title", "empty body", "HTTP 404",
                                               "disallowed by robots.txt"}  # fmt: skip
    report = json.loads(run_cli("stats", "--db", db, "--json").stdout)
    assert report["documents"] == sum(
        n for years in report["documents_by_language_and_year"].values() for n in years.values()
    )
    rules = report["sources_by_rule"]
    assert rules["new"] == report["documents"]
    copies = [case for case in map(load_case, CASES) if case.expected.get("duplicate_of")]
    assert sum(n for rule, n in rules.items() if rule != "new") == len(copies)
    assert report["rejects"] == len(rejects)
    text = run_cli("stats", "--db", db).stdout
    assert f"documents: {report['documents']}" in text and "partial:" in text


def test_db_upgrade_creates_a_new_archive(tmp_path):
    result = run_cli("db", "upgrade", "--db", f"sqlite:///{tmp_path}/new.db")
    assert result.returncode == 0
    assert "is at revision" in result.stdout
    assert (tmp_path / "new.db").exists()


def test_serve_fixtures_serves_each_site_on_its_own_port_until_stopped(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    import tomllib
    import urllib.request

    from tests.conftest import ROOT

    sites_out = tmp_path / "replica-sites.toml"
    server = subprocess.Popen(
        [sys.executable, "-m", "mfa_archive.cli", "serve-fixtures", "--sites-out", str(sites_out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not sites_out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        config = tomllib.loads(sites_out.read_text(encoding="utf-8"))
        assert config["crawl"] == {"download_delay": 0, "autothrottle": False, "retry_backoff": 0}
        origins = {site["name"]: site["base_url"] for site in config["site"]}
        assert set(origins) == {"main", "tallinn", "sofia", "berlin", "rome", "natopfp"}
        assert len(set(origins.values())) == len(origins)
        for origin in origins.values():
            with urllib.request.urlopen(f"{origin}/robots.txt") as response:
                assert response.read().startswith(b"User-agent: *")
        with urllib.request.urlopen(f"{origins['main']}/en/news?page=1") as response:
            assert origins["main"].encode() in response.read()  # {{origin}} filled in
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    assert server.returncode == 0
    assert not sites_out.exists()


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("mfa-archive ")
    assert result.stdout.split()[1][0].isdigit()


def test_serve_fixtures_needs_a_replica_directory(tmp_path):
    assert_usage_error(
        run_cli("serve-fixtures", "--root", "/nonexistent"),
        "mfa-archive: error: not a replica directory (it has no replica.toml): /nonexistent",
    )
    assert_usage_error(run_cli("serve-fixtures", "--root", str(tmp_path)), "has no replica.toml")
    (tmp_path / "replica.toml").write_text("[[site]\n", encoding="utf-8")
    assert_usage_error(
        run_cli("serve-fixtures", "--root", str(tmp_path)), "cannot read the replica in"
    )


def test_stats_count_copies_and_translations(crawled):
    db, _ = crawled
    report = json.loads(run_cli("stats", "--db", db, "--json").stdout)
    assert report["documents_by_sources"] == {"1": report["documents"] - 7, "2": 6, "3": 1}
    # 9 numbered releases (one an En/Ru page; de, bg and it copies among them), 6 slugs
    assert report["translated_releases"] == 15
    assert report["documents_by_language_and_year"].keys() == {"az", "bg", "de", "en", "it", "ru"}
    assert report["sources_by_extraction"] == {"selectors": report["sources"] - 1, "fallback": 1}
    assert report["fallback_sources_by_site"] == {"tallinn": 1}


def test_export_links_translations(crawled):
    db, _ = crawled
    records = {
        r["id"]: r for r in map(json.loads, run_cli("export", "--db", db).stdout.splitlines())
    }
    khojaly = [r for r in records.values() if r["release"] and "khojaly" in r["release"]]
    assert sorted(r["lang"] for r in khojaly) == ["az", "en", "ru"]
    for record in khojaly:
        others = {(t["lang"], t["id"]) for t in record["translations"]}
        assert others == {(r["lang"], r["id"]) for r in khojaly if r is not record}


def test_a_two_language_page_is_two_documents_linked_as_translations(crawled):
    db, _ = crawled
    records = [json.loads(line) for line in run_cli("export", "--db", db).stdout.splitlines()]
    joint = [r for r in records if r["release"] == "no:301/25"]
    # its az and ru pages (slugs ending in -enru too) are ordinary pages of their language
    assert sorted(r["lang"] for r in joint) == ["az", "en", "ru"]
    azerbaijani, english, russian = sorted(joint, key=lambda r: r["lang"])
    assert azerbaijani["title"].startswith("Azərbaycan və Qazaxıstan")
    # the ru page is another copy of the English page's Russian part
    titles = {s["url"]: s["title"] for s in russian["sources"]}
    assert titles.keys() == {english["url"] + "#ru", english["url"].replace("/en/", "/ru/")}
    # each part's source carries that part's title
    assert english["sources"][0]["title"].endswith("(En/Ru)")
    assert titles[english["url"] + "#ru"] == russian["title"]
    assert (
        english["title"] == "Joint statement of the foreign ministers of Azerbaijan and Kazakhstan"
    )
    assert russian["title"].startswith("Совместное заявление")
    assert "Министры" not in english["body"] and "ministers" not in russian["body"]
    assert english["translations"] == [
        {"lang": "az", "id": azerbaijani["id"]},
        {"lang": "ru", "id": russian["id"]},
    ]
    assert russian["url"] == english["url"] + "#ru"


def test_export_out_replaces_a_regular_file_whole_with_the_umask_mode(crawled, tmp_path):
    crawled, _ = crawled
    out = tmp_path / "documents.jsonl"
    out.write_text("old\n", encoding="utf-8")
    old_umask = os.umask(0o022)
    try:
        result = run_cli("export", "--db", crawled, "--out", str(out))
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith('{"id": ')
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # as a shell redirect would make it
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".documents")]


def test_export_out_dash_is_standard_output(crawled, tmp_path):
    crawled, _ = crawled
    result = run_cli("export", "--db", crawled, "--out", "-")
    assert result.returncode == 0 and result.stdout.startswith('{"id": ')
    assert not (ROOT / "-").exists()


@pytest.mark.parametrize("make", ["directory", "fifo", "device", "unwritable"])
def test_export_out_refuses_what_it_must_not_replace(crawled, tmp_path, make):
    crawled, _ = crawled
    target = {"directory": tmp_path, "device": Path("/dev/null"),
              "fifo": tmp_path / "pipe", "unwritable": tmp_path / "ro" / "out.jsonl"}[make]  # fmt: skip
    if make == "fifo":
        os.mkfifo(target)
    if make == "unwritable":
        target.parent.mkdir()
        target.parent.chmod(0o500)
        if os.access(target.parent, os.W_OK):  # root writes anywhere: below a file, then
            (tmp_path / "a-file").write_text("", encoding="utf-8")
            target = tmp_path / "a-file" / "out.jsonl"
    result = run_cli("export", "--db", crawled, "--out", str(target), timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith("mfa-archive: error: cannot write ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize("make", ["fifo", "device"])
def test_sites_must_be_a_regular_file(tmp_path, make):
    path = Path("/dev/zero") if make == "device" else tmp_path / "sites.fifo"
    if make == "fifo":
        os.mkfifo(path)
    result = run_cli(
        "crawl", "--db", f"sqlite:///{tmp_path}/a.db", "--sites", str(path), timeout=30
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"mfa-archive: error: sites file {path} is not a regular file"


def test_search_shows_control_characters_as_escapes_and_json_exactly(tmp_path):
    from tests.test_storage import record

    db = f"sqlite:///{tmp_path}/a.db"
    engine = make_engine(db)
    upgrade(engine)
    Archive(engine).store(record(title="Evil\x1b[2J title\u202e", body="Baku\x07 bell text."))
    engine.dispose()
    plain = run_cli("search", "--db", db, "Baku").stdout
    assert "\x1b" not in plain and "\x07" not in plain and "\u202e" not in plain
    assert "Evil\\x1b[2J title\\u202e" in plain and "\\x07" in plain
    (hit,) = [
        json.loads(line)
        for line in run_cli("search", "--db", db, "Baku", "--json").stdout.splitlines()
    ]
    assert hit["title"] == "Evil\x1b[2J title\u202e"


def test_every_command_says_what_it_does_in_its_help():
    from mfa_archive.cli import build_parser

    parser = build_parser()
    (commands,) = [action for action in parser._actions if action.dest == "command"]
    for name in ("crawl", "search", "export", "history", "rejects", "stats", "changes", "feed",
                 "browse", "serve-fixtures"):  # fmt: skip
        command = commands.choices[name]
        assert command.description and len(command.description.split()) >= 10, name
    assert "--quiet" in commands.choices["crawl"].format_help()
    assert run_cli("rejects", "--help").stdout.count("retry-rejects") == 1
