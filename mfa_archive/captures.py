"""The commands about captures: show-capture, reparse, check-layout, captures.

Registered by mfa_archive.cli's parser; they read the WARC files through
crawler.warc and the archive through storage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.warc import WARC_DIR_ENV, CaptureIndex, FileIndex, scan, warc_dir_for
from storage.engine import database_url
from storage.errors import MfaArchiveError
from storage.lock import archive_lock

WARC_DIR_HELP = (
    f"the WARC directory (default: ${WARC_DIR_ENV}, else beside a SQLite archive: data/warc "
    "for data/archive.db, data/NAME.warc for data/NAME.db; else data/warc-DATABASE)"
)


def add_commands(commands: Any, db_help: str, parsers: dict[str, Any]) -> None:
    """The captures commands, on the CLI's subparsers; ``parsers`` gives the
    CLI's argument types (date, languages, whole_number)."""
    show = commands.add_parser(
        "show-capture",
        help="print the response a source or reject was read from, from its WARC file",
        description="Print what the ministry's server sent for a source (by id or URL) or "
        "a reject (by URL): the capture's WARC file, offset, record id, payload digest and "
        "fetch time, then the HTTP status line, the headers and the body, as the WARC "
        "file holds them (a revisit's body from its original). The body is decompressed "
        "for reading; --raw writes the stored body bytes alone.",
    )
    show.add_argument("source", metavar="SOURCE_ID_OR_URL")
    show.add_argument("--db", help=db_help)
    show.add_argument("--warc-dir", type=Path, help=WARC_DIR_HELP)
    show.add_argument("--raw", action="store_true", help="the stored body only, as bytes")
    show.set_defaults(handler=cmd_show_capture)

    reparse = commands.add_parser(
        "reparse",
        help="derive documents, sources and rejects again from the captures, offline",
        description="Read the newest capture of every listed article again with the "
        "current page objects, normalizers and merge rules, without a network request: "
        "into the archive the captures belong to (a changed text becomes a revision with "
        "the reason `reparse`, a reject that now reads becomes a document), or into "
        "another archive (--db a new one, --warc-dir the captures). Running it twice "
        "changes nothing the second time. Exit codes as crawl's.",
    )
    reparse.add_argument("--db", help=db_help)
    reparse.add_argument("--warc-dir", type=Path, help=WARC_DIR_HELP)
    reparse.add_argument(
        "--site", action="append", default=[], metavar="NAME", help="only this site (repeatable)"
    )
    reparse.add_argument(
        "--lang", type=parsers["languages"], default=(), help="only these languages"
    )
    reparse.add_argument(
        "--since", type=parsers["date"], help="only captures fetched on or after YYYY-MM-DD (UTC)"
    )
    reparse.add_argument(
        "--only-rejects", action="store_true", help="only pages the archive holds as rejects"
    )
    reparse.add_argument(
        "--processes",
        type=parsers["whole_number"](0),
        metavar="N",
        help="extraction worker processes, as a crawl's (default: one per CPU; 0: extract in "
        "this process)",
    )
    reparse.set_defaults(handler=cmd_reparse)

    check = commands.add_parser(
        "check-layout",
        help="check each layout's selectors on each site's newest listing page and article",
        description="Fetch the first listing page and its newest article for each site and "
        "language (two requests each, and robots.txt, with the crawl's politeness), or "
        "read the newest captures of them (--captures, no request), and report for each "
        "field which selector matched and which fell back, naming the module and class "
        "attribute to correct. Exit 0: every field matched its selectors; 1: some fell "
        "back; 3: a required field (listing items, title, date, body) failed, or a page "
        "could not be had.",
    )
    check.add_argument("--sites", type=Path, help="TOML sites file (default: the packaged list)")
    check.add_argument(
        "--site", action="append", default=[], metavar="NAME", help="only this site (repeatable)"
    )
    check.add_argument("--lang", type=parsers["languages"], help="only these languages")
    check.add_argument(
        "--captures",
        action="store_true",
        help="check the newest captures instead of fetching (no network request)",
    )
    check.add_argument("--db", help=f"{db_help}; with --captures, whose WARC directory to read")
    check.add_argument("--warc-dir", type=Path, help=WARC_DIR_HELP)
    check.add_argument("--json", action="store_true", help="the report as one JSON object")
    check.set_defaults(handler=cmd_check_layout)

    captures = commands.add_parser(
        "captures",
        help="what the WARC files hold, by site; prune captures no longer needed",
        description="--stats: WARC files, records and bytes, by site (a file's records "
        "each count for the site they were fetched from; robots.txt for its host). "
        "--prune: rewrite the WARC files without the captures of superseded fetches (a "
        "page fetched again since, that no source, reject or revision was read from) and "
        "with --rejects, of pages the archive holds as rejects; the newest capture of "
        "every URL stays, and every capture a source or revision was read from.",
    )
    captures.add_argument("--db", help=db_help)
    captures.add_argument("--warc-dir", type=Path, help=WARC_DIR_HELP)
    action = captures.add_mutually_exclusive_group(required=True)
    action.add_argument("--stats", action="store_true", help="files, records and bytes by site")
    action.add_argument("--prune", action="store_true", help="rewrite the files without them")
    captures.add_argument(
        "--rejects", action="store_true", help="with --prune: drop the captures of rejects too"
    )
    captures.add_argument("--dry-run", action="store_true", help="with --prune: only say what")
    captures.add_argument("--json", action="store_true", help="--stats as one JSON object")
    captures.set_defaults(handler=cmd_captures)


def _warc_dir(args: argparse.Namespace) -> Path:
    return warc_dir_for(database_url(args.db), args.warc_dir)


# -- show-capture ---------------------------------------------------------------------


def cmd_show_capture(args: argparse.Namespace) -> int:
    from crawler.pages import LAYOUTS
    from crawler.warc import read_capture
    from mfa_archive.cli import EXIT_OK, open_archive
    from mfa_archive.output import visible
    from storage.captures import capture_of

    engine = open_archive(args.db, must_exist=True)
    identities = {layout.canonical_url(args.source) for layout in LAYOUTS.values()}
    found = capture_of(engine, args.source, identities)
    if found.capture is None:
        raise MfaArchiveError(f"{found.what} ({found.url}) has no capture: fetched with "
                              "captures off, or before they were kept")  # fmt: skip
    capture = found.capture
    stored = read_capture(_warc_dir(args), capture)
    if args.raw:
        sys.stdout.buffer.write(stored.body)
        sys.stdout.flush()
        return EXIT_OK
    print(f"# {found.what}: {found.url}")
    print(f"# WARC file {capture.warc_file}, offset {capture.offset}, {capture.record_type} "
          f"record {capture.record_id}")  # fmt: skip
    print(f"# payload {capture.payload_digest}, fetched {capture.fetched_at.isoformat()}")
    if capture.original is not None:
        print(f"# payload from {capture.original.record_id} ({capture.original.warc_file}, "
              f"offset {capture.original.offset}, fetched {capture.original.fetched_at.isoformat()})")  # fmt: skip
    print(visible(stored.status_line))
    for name, value in stored.headers:
        print(f"{visible(name)}: {visible(value)}")
    print()
    body = _decoded(stored.body, stored.header("Content-Encoding"))
    sys.stdout.flush()
    sys.stdout.buffer.write(body)
    if not body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    return EXIT_OK


def _decoded(body: bytes, encoding: str | None) -> bytes:
    """The body without its Content-Encoding, for reading (as a browser shows it)."""
    import gzip
    import zlib

    for name in reversed([e.strip().lower() for e in (encoding or "").split(",") if e.strip()]):
        if name in ("gzip", "x-gzip"):
            body = gzip.decompress(body)
        elif name == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:
                body = zlib.decompress(body, -zlib.MAX_WBITS)
    return body


# -- reparse -----------------------------------------------------------------------------


def cmd_reparse(args: argparse.Namespace) -> int:
    from crawler.reparse import ReparseOptions, default_processes, reparse
    from mfa_archive.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, open_archive
    from storage.reports import summary_line

    directory = _warc_dir(args)
    if not directory.is_dir():
        raise MfaArchiveError(f"no WARC directory {directory} (--warc-dir names one)")
    engine = open_archive(args.db, must_exist=False)
    options = ReparseOptions(
        sites=tuple(args.site),
        languages=tuple(args.lang),
        since=args.since,
        only_rejects=args.only_rejects,
        processes=default_processes() if args.processes is None else args.processes,
    )
    with archive_lock(engine):
        record = reparse(engine, directory, options)
    print(summary_line(record).replace(" pages fetched;", " captures read;", 1))
    codes = {"ok": EXIT_OK, "partial": EXIT_PARTIAL}
    return codes.get(record["status"], EXIT_FAILED)


# -- check-layout ---------------------------------------------------------------------------


def cmd_check_layout(args: argparse.Namespace) -> int:
    from crawler.layout_check import exit_code, render
    from crawler.sites import load_sites

    languages = args.lang or ()
    sites = load_sites(args.sites).select(args.site, languages)
    if args.captures:
        from crawler.layout_check import check_captures

        reports = check_captures(CaptureIndex.of(_warc_dir(args)), sites)
    else:
        reports = _check_live(args, languages)
    if args.json:
        print(json.dumps([report.as_json() for report in reports], ensure_ascii=False, indent=2))
    else:
        print(render(reports))
    return exit_code(reports)


def _check_live(args: argparse.Namespace, languages: tuple[str, ...]) -> list[Any]:
    """Two requests per site and language, by Scrapy with the crawl's settings."""
    import logging

    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.layout_spider import LayoutCheckSpider

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("LOG_LEVEL", logging.getLevelName(logging.WARNING), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(LayoutCheckSpider)
    process.crawl(crawler, sites_file=str(args.sites) if args.sites else None,
                  site=",".join(args.site), lang=",".join(languages))  # fmt: skip
    process.start()
    spider = crawler.spider
    assert isinstance(spider, LayoutCheckSpider)
    return spider.reports()


# -- captures --stats / --prune ---------------------------------------------------------------


def _site_of(site: str | None, url: str, hosts: dict[str, str]) -> str:
    """A capture's site: the crawl's word, else its host's site (robots.txt), else its host."""
    return site or hosts.get(urlsplit(url).netloc, urlsplit(url).netloc or "?")


def capture_stats(files: list[FileIndex]) -> dict[str, Any]:
    """Files, records and bytes, in all and by site."""
    hosts: dict[str, str] = {}
    for file in files:
        for entry in file.captures:
            if entry.site:
                hosts[urlsplit(entry.url).netloc] = entry.site
    sites: dict[str, Counter[str]] = defaultdict(Counter)
    for file in files:
        by_id = {entry.record_id: entry for entry in file.captures}
        files_of: set[str] = set()
        for span in file.records:
            entry = by_id.get(span.record_id) or by_id.get(span.concurrent_to or "")
            site = _site_of(entry.site, entry.url, hosts) if entry else "(warcinfo)"
            counts = sites[site]
            counts["records"] += 1
            counts["bytes"] += span.length
            if span.record_type in ("response", "revisit"):
                counts[span.record_type + "s"] += 1
            files_of.add(site)
        for site in files_of:
            sites[site]["files"] += 1
    return {
        "files": len(files),
        "records": sum(len(file.records) for file in files),
        "bytes": sum(file.size for file in files),
        "incomplete_files": [file.name for file in files if not file.complete],
        "sites": {site: dict(counts) for site, counts in sorted(sites.items())},
    }


def cmd_captures(args: argparse.Namespace) -> int:
    from mfa_archive.cli import EXIT_OK

    directory = _warc_dir(args)
    if args.stats:
        stats = capture_stats(list(scan(directory)))
        stats["directory"] = str(directory)
        if args.json:
            print(json.dumps(stats, indent=2))
            return EXIT_OK
        print(f"{directory}: {stats['files']} WARC files, {stats['records']} records, "
              f"{stats['bytes']:,} bytes")  # fmt: skip
        print(
            f"{'site':<20} {'files':>6} {'records':>8} {'responses':>10} {'revisits':>9} {'bytes':>14}"
        )
        for site, counts in stats["sites"].items():
            print(f"{site:<20} {counts.get('files', 0):>6} {counts.get('records', 0):>8} "
                  f"{counts.get('responses', 0):>10} {counts.get('revisits', 0):>9} "
                  f"{counts.get('bytes', 0):>14,}")  # fmt: skip
        for name in stats["incomplete_files"]:
            print(f"incomplete (a crawl was killed while writing it): {name}")
        return EXIT_OK
    return _prune(args, directory)


def _prune(args: argparse.Namespace, directory: Path) -> int:
    from crawler.warc import prune_directory
    from mfa_archive.cli import EXIT_OK, open_archive
    from storage.captures import capture_references, forget_captures, moved_captures

    engine = open_archive(args.db, must_exist=True)
    started = time.monotonic()
    with archive_lock(engine):
        references = capture_references(engine)
        plan = prune_directory(directory, references, rejects=args.rejects, dry_run=args.dry_run)
        if not args.dry_run:
            moved_captures(engine, plan.moved)
            forget_captures(engine, sorted(plan.dropped_referenced))
    verb = "would drop" if args.dry_run else "dropped"
    print(f"{verb} {plan.captures_dropped} captures ({plan.records_dropped} records, "
          f"{plan.bytes_dropped:,} bytes) from {plan.files_rewritten} WARC files; kept "
          f"{plan.captures_kept}; {time.monotonic() - started:.1f}s")  # fmt: skip
    return EXIT_OK
