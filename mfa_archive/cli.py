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
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import Engine

from crawler.settings import MFA_RECHECK_DAYS as DEFAULT_RECHECK_DAYS
from crawler.sites import load_sites, parse_languages
from storage.engine import DATABASE_ENV, database_url, make_engine, sqlite_path
from storage.errors import ArchiveLockedError, DatabaseError, MfaArchiveError
from storage.lock import archive_lock
from storage.migrate import head_revision, upgrade

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

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
  {EXIT_FAILED}  found nothing where items were expected: a listing's first page without
     items, or most articles unreadable (the layout may have changed); or the
     archive stopped taking writes, or could not index them for search (the
     next crawl indexes them)
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
    crawl.add_argument("-v", "--verbose", action="store_true", help="log Scrapy's INFO lines")
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
        "--out", type=Path, help="file to write (default: standard output; parquet needs a file)"
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
    history.set_defaults(handler=cmd_history)

    rejects = commands.add_parser("rejects", help="pages that did not become documents, and why")
    rejects.add_argument("--db", help=db_help)
    rejects.add_argument("--json", action="store_true", help="one JSON object per reject")
    rejects.set_defaults(handler=cmd_rejects)

    stats = commands.add_parser("stats", help="documents by language and year, rejects, runs")
    stats.add_argument("--db", help=db_help)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

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


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write path via a temporary file beside it: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(descriptor)
    try:
        write(Path(temporary))
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path | None, write: Callable[[TextIO], None]) -> None:
    """Write text to standard output, or to path atomically."""
    if path is None:
        write(sys.stdout)
        return

    def write_file(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            write(handle)

    write_atomically(path, write_file)


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
    engine = open_archive(url, must_exist=False)
    try:
        with archive_lock(engine):
            crawler = _run_crawler(args, url, languages)
    except ArchiveLockedError as exc:
        print(f"mfa-archive: error: {exc}", file=sys.stderr)
        print(f"locked: another crawl holds the archive; nothing done ({exc})")
        return EXIT_LOCKED

    run = ArchiveRun.of(crawler)
    if run is None or run.record is None:
        print("mfa-archive: error: the crawl did not start (see the log above)", file=sys.stderr)
        print("failed: the crawl did not start")
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


def _run_crawler(args: argparse.Namespace, url: str, languages: Sequence[str]) -> Crawler:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.spiders.press import PressSpider

    console_level = logging.INFO if args.verbose else logging.WARNING
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("MFA_ARCHIVE_DB", url, priority="cmdline")
    if args.log_file:
        args.log_file.parent.mkdir(parents=True, exist_ok=True)
        settings.set("LOG_FILE", str(args.log_file), priority="cmdline")
        settings.set("LOG_FILE_APPEND", True, priority="cmdline")
        settings.set("LOG_LEVEL", "DEBUG" if args.verbose else "INFO", priority="cmdline")
    else:
        settings.set("LOG_LEVEL", logging.getLevelName(console_level), priority="cmdline")
    process = CrawlerProcess(settings)
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
        print(f"{n}. [{hit.lang}] {hit.published_on}{number}  {hit.title}")
        print(f"   {hit.url}")
        print(f"   {hit.snippet}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from storage.export import write_csv, write_parquet
    from storage.reports import export_records

    if args.format == "parquet" and args.out is None:
        raise MfaArchiveError("--format parquet needs --out FILE")
    engine = open_archive(args.db, must_exist=True)
    records = export_records(engine, since=args.since, languages=args.lang)
    if args.format == "parquet":
        write_atomically(args.out, lambda path: write_parquet(records, path))
    elif args.format == "csv":
        write_text_atomically(args.out, lambda out: write_csv(records, out))
    else:
        write_text_atomically(args.out, lambda out: print_json_lines(records, out))
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from crawler.pages import LAYOUTS
    from storage.history import document_history

    engine = open_archive(args.db, must_exist=True)
    # A URL as any site's rules spell its identity: storage knows no site.
    identities = {layout.canonical_url(args.document) for layout in LAYOUTS.values()}
    history = document_history(engine, args.document, identities)
    if args.json:
        print(json.dumps(dataclasses.asdict(history), ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    number = f" No:{history.doc_number}" if history.doc_number else ""
    print(f"document {history.document_id} [{history.lang}]{number}  {history.url}")
    for version in history.versions:
        until = (
            f"replaced {version.replaced_at:%Y-%m-%d %H:%M}" if version.replaced_at else "current"
        )
        print(f"  revision {version.revision}: archived {version.recorded_at:%Y-%m-%d %H:%M}, "
              f"{until}  {version.title}")  # fmt: skip
    for _, _, lines in history.diffs():
        print()
        print("\n".join(lines))
    return EXIT_OK


def cmd_rejects(args: argparse.Namespace) -> int:
    from storage.reports import rejects

    rows = rejects(open_archive(args.db, must_exist=True))
    if args.json:
        print_json_lines(rows)
        return EXIT_OK
    for row in rows:
        print(f"{row['site']}\t{row['lang']}\t{row['kind']}\t{row['reason']}\t{row['url']}")
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


if __name__ == "__main__":
    sys.exit(main())
