"""mfa-archive: crawl the ministry's press pages into an archive, and read it."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import Engine

from crawler.settings import MFA_RECHECK_DAYS as DEFAULT_RECHECK_DAYS
from crawler.sites import load_sites, parse_languages
from mfa_archive.output import STDOUT, check_output_path, visible, write_atomically, write_text
from storage.engine import DATABASE_ENV, database_url, make_engine, sqlite_path
from storage.errors import ArchiveLockedError, DatabaseError, MfaArchiveError
from storage.lock import archive_lock
from storage.migrate import head_revision, upgrade

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from storage.history import Chunk

EXIT_OK = 0  # the crawl went well
EXIT_PARTIAL = 1  # the crawl finished, but some pages failed or were rejected
EXIT_USAGE = 2  # bad arguments, an unreadable sites file, an unreachable database
EXIT_FAILED = 3  # the layout seems to have changed, or the archive failed (writes, search index)
EXIT_LOCKED = 4  # another crawl holds the archive's lock
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C or SIGTERM, as shells report a SIGINT

EPILOG = f"""\
exit codes of crawl:
  {EXIT_OK}  all went well
  {EXIT_PARTIAL}  finished, but some pages failed or were rejected (see `mfa-archive rejects`)
  {EXIT_USAGE}  usage error: bad arguments, unreadable sites file, unreachable database
  {EXIT_FAILED}  found nothing where items were expected: no page of a site reached at
     all, a listing's first page without items, or most articles unreadable
     (the layout may have changed); or the archive stopped taking writes, or
     could not index them for search (the next crawl indexes them); or
     mfa-archive itself failed (a bug: its traceback is printed)
  {EXIT_LOCKED}  another crawl holds the archive's lock; nothing was done
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C, SIGTERM); what was fetched is kept

The last line crawl prints is a one-line summary beginning with its status
(ok, partial, failed, interrupted, locked), for cron mail and monitoring.

The archive is --db, else ${DATABASE_ENV}, else sqlite:///data/archive.db.
"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _languages(text: str) -> tuple[str, ...]:
    try:
        return parse_languages(text)
    except MfaArchiveError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _version() -> str:
    """The installed distribution's version; the package's own from a bare source tree."""
    from importlib import metadata

    try:
        return metadata.version("mfa-archive")
    except metadata.PackageNotFoundError:
        from crawler import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfa-archive",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db_help = f"SQLAlchemy URL of the archive (default: ${DATABASE_ENV}, else data/archive.db)"

    crawl = commands.add_parser(
        "crawl",
        help="crawl the sites into the archive",
        description="Crawl the chosen sites' listings and articles into the archive. By "
        "default the crawl is incremental: it requests only articles the archive does not "
        "have (and those published in the last --recheck-days), and stops one listing page "
        "after a page of known items.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    crawl.add_argument("--db", help=db_help)
    crawl.add_argument("--sites", type=Path, help="TOML sites file (default: the packaged list)")
    crawl.add_argument(
        "--site", action="append", default=[], metavar="NAME", help="crawl this site (repeatable)"
    )
    crawl.add_argument("--lang", type=_languages, help="languages, e.g. az,en,ru (default: all)")
    crawl.add_argument(
        "--max-pages",
        type=_whole_number(1),
        metavar="N",
        help="listing pages per site and language",
    )
    crawl.add_argument(
        "--full",
        action="store_true",
        help="read every listing page and request every article again (a sweep for edits)",
    )
    crawl.add_argument(
        "--since", type=_date, help="only articles the listings date on or after YYYY-MM-DD"
    )
    crawl.add_argument(
        "--recheck-days",
        type=_whole_number(0),
        default=DEFAULT_RECHECK_DAYS,
        metavar="N",
        help="request known articles published in the last N days again, when corrections "
        f"happen (default {DEFAULT_RECHECK_DAYS}; 0: none)",
    )
    crawl.add_argument(
        "--retry-rejects",
        action="store_true",
        help="request pages rejected by earlier crawls again (failed downloads always are)",
    )
    crawl.add_argument("--log-file", type=Path, metavar="PATH", help="append the full log here")
    warc = crawl.add_mutually_exclusive_group()
    warc.add_argument(
        "--warc-dir",
        type=Path,
        metavar="DIR",
        help="keep every response in WARC files here (default: $MFA_WARC_DIR, else beside "
        "a SQLite archive: data/warc for data/archive.db, data/NAME.warc for data/NAME.db; "
        "else data/warc-DATABASE)",
    )
    warc.add_argument("--no-warc", action="store_true", help="keep no captures")
    crawl.add_argument("-v", "--verbose", action="store_true", help="log Scrapy's INFO lines")
    crawl.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="for cron: standard output is the summary line only, standard error errors "
        "only (no progress lines, no warnings); --log-file still gets the full log",
    )
    crawl.set_defaults(handler=cmd_crawl)

    search = commands.add_parser(
        "search",
        help="full-text search of the archive",
        description="Search titles and bodies. Syntax, the same on SQLite and PostgreSQL: "
        'words (all must match), "a phrase", OR, a NOT b, prefix*, (grouping), title:word.',
    )
    search.add_argument("query")
    search.add_argument("--db", help=db_help)
    search.add_argument("--lang", type=_languages, default=(), help="only these languages")
    search.add_argument("--since", type=_date, help="published on or after YYYY-MM-DD")
    search.add_argument("--until", type=_date, help="published on or before YYYY-MM-DD")
    search.add_argument("--limit", type=_whole_number(1), default=10, help="results (default 10)")
    search.add_argument("--json", action="store_true", help="one JSON object per result")
    search.set_defaults(handler=cmd_search)

    export = commands.add_parser(
        "export",
        help="write the documents as JSON lines, CSV or Parquet",
        description="Write one record per document (fields: see the README), streamed: "
        "an export of any size runs in constant memory.",
    )
    export.add_argument("--db", help=db_help)
    export.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    export.add_argument(
        "--out",
        type=Path,
        help="file to write, replaced whole when done (default or -: standard output; "
        "parquet needs a file)",
    )
    export.add_argument("--since", type=_date, help="only documents published on or after")
    export.add_argument("--lang", type=_languages, default=(), help="only these languages")
    export.set_defaults(handler=cmd_export)

    history = commands.add_parser(
        "history",
        help="a document's edit history, with a diff of each change",
        description="Print every stored version of a document and what changed between them.",
    )
    history.add_argument("document", metavar="DOCUMENT_ID_OR_URL")
    history.add_argument("--db", help=db_help)
    history.add_argument("--json", action="store_true", help="the versions as one JSON object")
    history.add_argument(
        "--words",
        action="store_true",
        help="show each edit word by word ([-deleted-]{+inserted+}) in the paragraphs it "
        "touched, rather than as a diff of whole paragraphs",
    )
    history.set_defaults(handler=cmd_history)

    rejects = commands.add_parser(
        "rejects",
        help="pages that did not become documents, and why",
        description="List every listed link that is not a document, with its latest reason: "
        "site, language, kind (invalid, http_error, robots, download_error, ...: "
        "docs/architecture.md), reason and URL, tab-separated (the count on standard "
        "error). A crawl that exits 1 "
        "left some; failed downloads are retried by the next crawl, the others with "
        "`crawl --retry-rejects`.",
    )
    rejects.add_argument("--db", help=db_help)
    rejects.add_argument("--json", action="store_true", help="one JSON object per reject")
    rejects.set_defaults(handler=cmd_rejects)

    stats = commands.add_parser(
        "stats",
        help="documents by language and year, rejects, runs",
        description="Summarize the archive: documents by language and year, sources and the "
        "rules that merged them, documents by number of sources, releases in more than one "
        "language, documents edited in the last run, rejects by kind, and the last five "
        "runs' summary lines. `mfa-archive changes` lists what changed.",
    )
    stats.add_argument("--db", help=db_help)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

    changes = commands.add_parser(
        "changes",
        help="documents new, edited and merged since a day, or in one crawl run",
        description="List what changed in the archive: documents new to it, edits of "
        "earlier documents (word by word, [-deleted-]{+inserted+}), and URLs merged into "
        "documents as copies of the same statement. Times are when the crawls recorded "
        "them (UTC); the default is since yesterday 00:00 UTC.",
    )
    changes.add_argument("--db", help=db_help)
    since_or_run = changes.add_mutually_exclusive_group()
    since_or_run.add_argument(
        "--since",
        type=_date,
        help="recorded on or after YYYY-MM-DD, 00:00 UTC (default: yesterday)",
    )
    since_or_run.add_argument(
        "--run", type=_whole_number(1), metavar="N", help="what crawl run N did (see `stats`)"
    )
    changes.add_argument("--lang", type=_languages, default=(), help="only these languages")
    changes.add_argument("--json", action="store_true", help="the changes as one JSON object")
    changes.set_defaults(handler=cmd_changes)

    feed = commands.add_parser(
        "feed",
        help="an Atom feed of new and edited statements",
        description="Write an Atom feed of the newest statements and edits (an edit's "
        "entry shows the changed words), for a feed reader; `mfa-archive browse` serves "
        "the same at /-/feed.atom.",
    )
    feed.add_argument("--db", help=db_help)
    feed.add_argument(
        "--out", type=Path, metavar="FILE", help="file to write (default, or -: standard output)"
    )
    feed.add_argument("--lang", type=_languages, default=(), help="only these languages")
    feed.add_argument(
        "--limit", type=_whole_number(1), default=50, metavar="N", help="entries (default 50)"
    )
    feed.set_defaults(handler=cmd_feed)

    browse = commands.add_parser(
        "browse",
        help="browse and search the archive in a web browser (Datasette)",
        description="Serve the archive with Datasette: search (folding case, diacritics, "
        "ə and ı), facets by language, year, category and site, each document with its "
        "sources, translations and revisions, canned queries (recent edits, merges to "
        "audit, rejects by reason) and the Atom feed at /-/feed.atom. A PostgreSQL "
        "archive is copied into a temporary SQLite snapshot first. Runs until interrupted.",
    )
    browse.add_argument("--db", help=db_help)
    browse.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    browse.add_argument(
        "--port", type=_whole_number(1), default=8001, help="port (default 8001, as Datasette's)"
    )
    browse.set_defaults(handler=cmd_browse)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_upgrade = db_commands.add_parser("upgrade", help="create or migrate the archive's schema")
    db_upgrade.add_argument("--db", help=db_help)
    db_upgrade.set_defaults(handler=cmd_db_upgrade)

    serve = commands.add_parser(
        "serve-fixtures",
        help="serve the offline replica, each site on its own 127.0.0.1 port",
        description="Serve the offline replica of the ministry's sites and write a sites "
        "file pointing at it; runs until interrupted.",
    )
    serve.add_argument(
        "--port", type=int, default=0, help="port of the first site; the others follow (0: any)"
    )
    serve.add_argument("--root", type=Path, help="replica directory (default: fixtures/)")
    serve.add_argument(
        "--sites-out",
        type=Path,
        default=Path("data/replica-sites.toml"),
        help="where to write the sites file (default: data/replica-sites.toml)",
    )
    serve.set_defaults(handler=cmd_serve_fixtures)

    from mfa_archive.captures import add_commands

    add_commands(commands, db_help,
                 {"date": _date, "languages": _languages, "whole_number": _whole_number})  # fmt: skip
    return parser


# -- helpers ---------------------------------------------------------------------


def open_archive(url: str | None, *, must_exist: bool) -> Engine:
    """An engine on a migrated archive; a missing SQLite file is an error for readers."""
    url = database_url(url)
    path = sqlite_path(url)
    if must_exist and path is not None and not path.exists():
        raise DatabaseError(f"no archive at {path} (run `mfa-archive crawl`)")
    engine = make_engine(url)
    upgrade(engine)
    return engine


def print_json_lines(records: Iterable[dict[str, Any]], out: TextIO = sys.stdout) -> None:
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


# -- commands --------------------------------------------------------------------


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.run import ArchiveRun
    from storage.reports import summary_line

    languages = args.lang or ()
    load_sites(args.sites).select(args.site, languages)  # a bad choice fails here, not mid-crawl
    url = database_url(args.db)
    engine = make_engine(url)
    try:
        # The lock first: a second crawl must not migrate the schema under a running one.
        with archive_lock(engine):
            upgrade(engine)
            crawler = _run_crawler(args, url, languages)
    except ArchiveLockedError as exc:
        print(f"mfa-archive: error: {exc}", file=sys.stderr)
        print(f"locked: another crawl holds the archive; nothing done ({exc})")
        return EXIT_LOCKED

    run = ArchiveRun.of(crawler)
    if run is None or run.record is None:
        what = "did not start" if run is None or run.run_id is None else "could not be finished"
        print(f"mfa-archive: error: the crawl {what} (see the log above)", file=sys.stderr)
        print(f"failed: the crawl {what}")
        return EXIT_FAILED
    if run.archive_error:
        print(f"mfa-archive: error: the archive stopped taking writes: {run.archive_error}",
              file=sys.stderr)  # fmt: skip
    if run.index_error:
        print(f"mfa-archive: error: {run.index_error}", file=sys.stderr)
    line = summary_line(run.record)
    logging.getLogger("mfa_archive").info("%s", line)  # the log file ends with it too
    print(line)
    codes = {"ok": EXIT_OK, "partial": EXIT_PARTIAL, "interrupted": EXIT_INTERRUPTED}
    return codes.get(run.record["status"], EXIT_FAILED)


def _without_traceback(record: logging.LogRecord) -> bool:
    """A logging filter: the record's message, not its traceback."""
    record.exc_info, record.exc_text = None, None
    return True


def _run_crawler(args: argparse.Namespace, url: str, languages: Sequence[str]) -> Crawler:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.spiders.press import PressSpider

    console_level = logging.INFO if args.verbose else logging.WARNING
    if args.quiet:  # errors only on the terminal; the log file keeps its level
        console_level = logging.ERROR
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("MFA_ARCHIVE_DB", url, priority="cmdline")
    if args.no_warc:
        settings.set("MFA_WARC_ENABLED", False, priority="cmdline")
    elif args.warc_dir:
        settings.set("MFA_WARC_DIR", str(args.warc_dir), priority="cmdline")
    if args.quiet:
        settings.set("MFA_PROGRESS_INTERVAL", 0, priority="cmdline")
    if args.log_file:
        args.log_file.parent.mkdir(parents=True, exist_ok=True)
        settings.set("LOG_FILE", str(args.log_file), priority="cmdline")
        settings.set("LOG_FILE_APPEND", True, priority="cmdline")
        settings.set("LOG_LEVEL", "DEBUG" if args.verbose else "INFO", priority="cmdline")
    else:
        settings.set("LOG_LEVEL", logging.getLevelName(console_level), priority="cmdline")
    process = CrawlerProcess(settings)
    if not args.verbose:
        # A robots.txt that cannot be fetched (a site unreachable) is a failure the
        # run reports in one line; Scrapy logs each with a traceback besides.
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_without_traceback)
    if args.log_file:
        # Scrapy logs to the file only; warnings and errors still reach the
        # terminal (or the cron mail).
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(console_level)
        console.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        logging.getLogger().addHandler(console)
    crawler = process.create_crawler(PressSpider)
    process.crawl(
        crawler,
        sites_file=str(args.sites) if args.sites else None,
        site=",".join(args.site),
        lang=",".join(languages),
        max_pages=args.max_pages,
        full=args.full,
        since=args.since.isoformat() if args.since else None,
        recheck_days=args.recheck_days,
        retry_rejects=args.retry_rejects,
    )
    process.start()
    return crawler


def cmd_search(args: argparse.Namespace) -> int:
    from storage.search import search

    engine = open_archive(args.db, must_exist=True)
    bold = sys.stdout.isatty() and not args.json
    hits = search(
        engine,
        args.query,
        languages=args.lang,
        since=args.since,
        until=args.until,
        limit=args.limit,
        highlight=("\033[1m", "\033[0m") if bold else ("[", "]"),
    )
    if args.json:
        print_json_lines(
            {
                "id": hit.document_id,
                "lang": hit.lang,
                "doc_number": hit.doc_number,
                "title": hit.title,
                "published_on": hit.published_on.isoformat(),
                "url": hit.url,
                "snippet": hit.snippet,
                "rank": hit.rank,
            }
            for hit in hits
        )
        return EXIT_OK
    if not hits:
        print("no documents match")
    for n, hit in enumerate(hits, start=1):
        number = f" No:{hit.doc_number}" if hit.doc_number else ""
        # Stored text may hold control characters: shown as escapes, never obeyed.
        print(f"{n}. [{hit.lang}] {hit.published_on}{number}  {visible(hit.title)}")
        print(f"   {visible(hit.url)}")
        print(f"   {visible(hit.snippet)}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from storage.export import write_csv, write_parquet
    from storage.reports import export_records

    if args.format == "parquet" and args.out in (None, STDOUT):
        raise MfaArchiveError("--format parquet needs --out FILE")
    if args.out not in (None, STDOUT):
        check_output_path(args.out)  # before any work: a bad path fails at once
    engine = open_archive(args.db, must_exist=True)
    records = export_records(engine, since=args.since, languages=args.lang)
    if args.format == "parquet":
        write_atomically(args.out, lambda path: write_parquet(records, path))
    elif args.format == "csv":
        write_text(args.out, lambda out: write_csv(records, out))
    else:
        write_text(args.out, lambda out: print_json_lines(records, out))
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from crawler.pages import LAYOUTS
    from storage.history import document_history, marked

    engine = open_archive(args.db, must_exist=True)
    # A URL as any site's rules spell its identity: storage knows no site.
    identities = {layout.canonical_url(args.document) for layout in LAYOUTS.values()}
    history = document_history(engine, args.document, identities)
    if args.json:
        record = dataclasses.asdict(history)
        if args.words:
            record["word_diffs"] = [
                {"from": old.revision, "to": new.revision,
                 "paragraphs": [_paragraph_json(p) for p in paragraphs]}
                for old, new, paragraphs in history.word_diffs()
            ]  # fmt: skip
        print(json.dumps(record, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    number = f" No:{history.doc_number}" if history.doc_number else ""
    print(f"document {history.document_id} [{history.lang}]{number}  {visible(history.url)}")
    for version in history.versions:
        until = (
            f"replaced {version.replaced_at:%Y-%m-%d %H:%M}" if version.replaced_at else "current"
        )
        if version.reason:
            until += f" ({version.reason})"
        print(f"  revision {version.revision}: archived {version.recorded_at:%Y-%m-%d %H:%M}, "
              f"{visible(until)}  {visible(version.title)}")  # fmt: skip
    if args.words:
        for old, new, paragraphs in history.word_diffs():
            print()
            print(f"revision {old.revision} -> revision {new.revision}:")
            for paragraph in paragraphs:
                print(f"  {visible(marked(paragraph))}")
        return EXIT_OK
    for _, _, lines in history.diffs():
        print()
        print("\n".join(visible(line) for line in lines))
    return EXIT_OK


def cmd_rejects(args: argparse.Namespace) -> int:
    from storage.reports import rejects

    rows = rejects(open_archive(args.db, must_exist=True))
    if args.json:
        print_json_lines(rows)
        return EXIT_OK
    for row in rows:
        # a reason may quote what a server sent (a Content-Type): never obeyed
        print(f"{row['site']}\t{row['lang']}\t{row['kind']}\t{visible(row['reason'])}\t"
              f"{visible(row['url'])}")  # fmt: skip
    print(f"{len(rows)} rejected pages", file=sys.stderr)
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from storage.reports import stats, summary_line

    report = stats(open_archive(args.db, must_exist=True))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"documents: {report['documents']}")
    for lang, years in report["documents_by_language_and_year"].items():
        counts = ", ".join(f"{year}: {n}" for year, n in years.items())
        print(f"  {lang}: {sum(years.values())} ({counts})")
    rules = ", ".join(f"{rule}: {n}" for rule, n in sorted(report["sources_by_rule"].items()))
    print(f"sources: {report['sources']}; merged by rule: {rules}")
    if fallbacks := report["fallback_sources_by_site"]:
        sites = ", ".join(f"{site}: {n}" for site, n in fallbacks.items())
        print(f"sources read by fallbacks (check those sites' selectors): {sites}")
    spread = ", ".join(
        f"{n} source{'s' if n != '1' else ''}: {docs}"
        for n, docs in sorted(report["documents_by_sources"].items(), key=lambda kv: int(kv[0]))
    )
    print(f"documents by number of sources: {spread}")
    print(f"releases in more than one language: {report['translated_releases']}")
    print(f"documents edited in the last run: {report['documents_changed_last_run']}")
    kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(report["rejects_by_kind"].items()))
    print(f"rejects: {report['rejects']}" + (f" ({kinds})" if kinds else ""))
    print("last runs:")
    for run in report["last_runs"]:
        print(f"  {run['started_at'][:19]}  {summary_line(run)}")
    return EXIT_OK


def _iso(value: dt.date) -> str:
    """Dates and times in JSON: ISO 8601 (a time in UTC, with its offset)."""
    return value.isoformat()


def _paragraph_json(paragraph: list[Chunk]) -> dict[str, Any]:
    """A changed paragraph in JSON: marked as text, and its chunks."""
    from storage.history import marked

    return {"marked": marked(paragraph), "chunks": [dataclasses.asdict(c) for c in paragraph]}


def cmd_changes(args: argparse.Namespace) -> int:
    from storage.changes import changes, since_day, yesterday
    from storage.history import marked

    engine = open_archive(args.db, must_exist=True)
    if args.run is not None:
        found = changes(engine, run_id=args.run, languages=args.lang)
    else:
        found = changes(engine, since=since_day(args.since or yesterday()), languages=args.lang)
    if args.json:
        record = dataclasses.asdict(found)
        for edit, as_json in zip(found.edited, record["edited"], strict=True):
            as_json["paragraphs"] = [_paragraph_json(p) for p in edit.paragraphs]
        print(json.dumps(record, ensure_ascii=False, indent=2, default=_iso))
        return EXIT_OK
    span = (
        f"in run {found.run_id}"
        if found.run_id is not None
        else f"since {found.since:%Y-%m-%d %H:%M} UTC"
        if found.since
        else "ever"
    )
    print(f"changes {span}: {len(found.new)} new, {len(found.edited)} edited, "
          f"{len(found.merged)} merged")  # fmt: skip
    if found.new:
        print("\nnew:")
    for new in found.new:
        number = f" No:{new.doc_number}" if new.doc_number else ""
        print(f"  {new.document_id} [{new.lang}] {new.published_on}{number}  {visible(new.title)}")
        print(f"      {visible(new.url)}")
    if found.edited:
        print("\nedited:")
    for edit in found.edited:
        reason = f" ({edit.reason})" if edit.reason else ""
        print(
            f"  {edit.document_id} [{edit.lang}] revision {edit.old_revision} -> "
            f"{edit.new_revision}, {edit.replaced_at:%Y-%m-%d %H:%M}{reason}  "
            f"{visible(edit.new_title)}"
        )
        print(f"      {visible(edit.url)}")
        for paragraph in edit.paragraphs:
            print(f"      {visible(marked(paragraph))}")
    if found.merged:
        print("\nmerged:")
    for merge in found.merged:
        similarity = f" {merge.similarity:.2f}" if merge.similarity is not None else ""
        print(f"  {merge.document_id} [{merge.lang}] {visible(merge.title)}")
        print(f"      + {visible(merge.url)} ({merge.site}, by {merge.match_rule}{similarity})")
    return EXIT_OK


def cmd_feed(args: argparse.Namespace) -> int:
    from mfa_archive.feed import atom_feed

    engine = open_archive(args.db, must_exist=True)
    body = atom_feed(engine, languages=args.lang, limit=args.limit)
    if args.out is None or args.out == STDOUT:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        write_atomically(args.out, lambda path: path.write_bytes(body))
    return EXIT_OK


def cmd_browse(args: argparse.Namespace) -> int:
    from mfa_archive.browse import make_datasette, serve
    from storage.snapshot import copy_archive

    url = database_url(args.db)
    engine = open_archive(url, must_exist=True)
    with tempfile.TemporaryDirectory(prefix="mfa-archive-browse-") as scratch:
        path = sqlite_path(url)
        if path is None:  # Datasette reads SQLite only: serve a snapshot
            path = Path(scratch) / "archive.db"
            print(f"copying {engine.url!r} into a SQLite snapshot for Datasette ...",
                  file=sys.stderr, flush=True)  # fmt: skip
            snapshot = make_engine(f"sqlite:///{path}")
            copied = copy_archive(engine, snapshot)
            snapshot.dispose()
            print(f"copied {copied.get('documents', 0)} documents: the browser shows the "
                  "archive as it was now", file=sys.stderr, flush=True)  # fmt: skip
        engine.dispose()
        datasette = make_datasette(path, immutable=sqlite_path(url) is None)
        print(f"browse the archive at http://{args.host}:{args.port}/archive/documents_v "
              "(Ctrl-C stops)", flush=True)  # fmt: skip
        serve(datasette, args.host, args.port)
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    engine = open_archive(args.db, must_exist=False)
    print(f"archive {engine.url!r} is at revision {head_revision()}")
    return EXIT_OK


def cmd_serve_fixtures(args: argparse.Namespace) -> int:
    from mfa_archive.replica.server import DEFAULT_ROOT, ReplicaServer

    root: Path = args.root or DEFAULT_ROOT
    if not (root / "replica.toml").is_file():
        raise MfaArchiveError(f"not a replica directory (it has no replica.toml): {root}")
    try:
        server = ReplicaServer(root)
    except (OSError, ValueError, KeyError) as exc:  # tomllib's errors are ValueErrors
        raise MfaArchiveError(f"cannot read the replica in {root}: {exc!r}") from exc
    ports = {name: args.port + n for n, name in enumerate(server.sites)} if args.port else None
    try:
        server.start(ports)
    except OSError as exc:
        raise MfaArchiveError(f"cannot listen on port {args.port}: {exc.strerror}") from exc
    # Before the sites file appears: whoever saw it may stop the server at once.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sites_toml = server.sites_toml()
    # Written whole under a temporary name, then renamed: whoever waits for the file
    # to appear (scripts/demo.sh, the tests) never reads half of it.
    partial = args.sites_out.with_name(f".{args.sites_out.name}.{os.getpid()}")
    try:
        args.sites_out.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(sites_toml, encoding="utf-8")
        partial.replace(args.sites_out)
    except OSError as exc:
        server.stop()
        partial.unlink(missing_ok=True)
        raise MfaArchiveError(f"cannot write {args.sites_out}: {exc.strerror}") from exc
    for name, site in server.sites.items():
        print(f"{name}: {site.origin}  ({site.layout}, {', '.join(site.languages)})", flush=True)
    print(f"sites file: {args.sites_out}  (Ctrl-C stops)", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        # Another replica may have written the same path since (each site's port is
        # in the file): remove the sites file only while it is still this one's.
        try:
            if args.sites_out.read_text(encoding="utf-8") == sites_toml:
                args.sites_out.unlink()
        except FileNotFoundError:
            pass
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except MfaArchiveError as exc:
        print(f"mfa-archive: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `mfa-archive export | head`: the reader left; not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        # A bug: its traceback for the report, and a failing exit code. Python's
        # own 1 would read as "partial", a normal day, to cron and systemd.
        traceback.print_exc()
        print(f"mfa-archive: error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
