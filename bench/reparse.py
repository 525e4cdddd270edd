"""Reparse 100,000 captured article pages into an empty SQLite archive, beside lxml.

Generated main-site articles (az, en, ru; rendered with the replica's
templates, 40-60 KB each) are written as WARC files by the project's own
writer (crawler.warc.WarcWriter, as a crawl writes them), with the context a
crawl records. Then, in the same run:

- the reference reads the same WARC records (warcio's ArchiveIterator) and
  parses each page with ``lxml.html.fromstring`` only, in one process;
- ``mfa-archive reparse`` re-derives them into an empty SQLite archive (page
  objects, normalizers, merging, writes), in its own process; its wall time,
  and the peak RSS of its process tree (sampled every 20 ms, its extraction
  workers included).

Goals (issue #13): at least 0.5 of the reference's pages/s, under 10 minutes,
peak RSS under 400 MB. Exit code 1 if a goal is missed.

    python bench/reparse.py [--pages 100000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import lxml.html
from warcio.archiveiterator import ArchiveIterator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from crawl_throughput import ROOT, run_measured  # noqa: E402

from crawler.warc import Exchange, WarcWriter, warc_files  # noqa: E402
from mfa_archive.replica.build import SiteSpec, render_page  # noqa: E402
from mfa_archive.replica.generate import generated_articles  # noqa: E402
from mfa_archive.replica.templates import site_date  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.reports import get_run  # noqa: E402

ORIGIN = "https://mfa.gov.az"
LANGUAGES = ("az", "en", "ru")


def write_captures(directory: Path, pages: int) -> tuple[int, int, float]:
    """The pages as a crawl would have captured them; (pages, bytes, seconds)."""
    spec = SiteSpec(name="main", layout="main", languages=list(LANGUAGES))
    writer = WarcWriter(directory, "mfa-archive-run00001-20261201000000")
    started = time.perf_counter()
    count = 0
    fetched = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    for case in generated_articles(-(-pages // len(LANGUAGES)), LANGUAGES):
        article = case.article
        url = ORIGIN + article.path
        body = render_page(article, spec).replace("{{origin}}", ORIGIN).encode()
        context = {
            "run": 1, "kind": "article", "site": "main", "lang": article.lang, "layout": "main",
            "authoritative": True, "base_url": ORIGIN,
            "listing": {"url": url, "title": article.title,
                        "date_text": site_date(article.date, article.lang),
                        "category": article.category},
        }  # fmt: skip
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        writer.write(Exchange(url, "GET", [("User-Agent", "bench")], 200, headers, body,
                              fetched + dt.timedelta(milliseconds=count), context))  # fmt: skip
        count += 1
    writer.close()
    size = sum(path.stat().st_size for path in warc_files(directory))
    return count, size, time.perf_counter() - started


def reference(directory: Path) -> tuple[int, float]:
    """Read every response record and parse its page with lxml: (pages, seconds)."""
    started = time.perf_counter()
    count = 0
    for path in warc_files(directory):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    lxml.html.fromstring(record.content_stream().read())
                    count += 1
    return count, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mfa-bench-reparse-") as tmp:
        directory = Path(tmp) / "warc"
        pages, size, write_s = write_captures(directory, args.pages)
        ref_pages, ref_s = reference(directory)
        db = Path(tmp) / "reparse.db"
        command = [sys.executable, "-m", "mfa_archive.cli", "reparse", "--db", f"sqlite:///{db}",
                   "--warc-dir", str(directory)]  # fmt: skip
        started = time.perf_counter()
        _, rss = run_measured(command)
        wall = time.perf_counter() - started
        engine = make_engine(f"sqlite:///{db}")
        run = get_run(engine, 1)
        engine.dispose()
    assert ref_pages == pages == run["pages_fetched"], (ref_pages, pages, run)
    ours_rate, ref_rate = pages / wall, ref_pages / ref_s
    result = {
        "pages": pages,
        "warc_bytes": size,
        "warc_bytes_per_page": round(size / pages),
        "write_seconds": round(write_s, 1),
        "reference_pages_per_s": round(ref_rate, 1),
        "reparse_pages_per_s": round(ours_rate, 1),
        "ratio": round(ours_rate / ref_rate, 2),
        "reparse_wall_seconds": round(wall, 1),
        "reparse_peak_rss_mb": round(rss),
        "documents": run["documents_new"] + run["duplicates_merged"],
        "documents_new": run["documents_new"],
    }
    result["goals_met"] = (result["ratio"] >= 0.5 and wall < 600
                           and result["reparse_peak_rss_mb"] < 400)  # fmt: skip
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{pages} captured pages, {size / 1e6:.1f} MB of WARC ({result['warc_bytes_per_page']} "
            f"bytes a page), written in {write_s:.1f} s\n"
            f"  reference (warcio + lxml)  {ref_rate:7.1f} pages/s ({ref_s:.1f} s)\n"
            f"  mfa-archive reparse        {ours_rate:7.1f} pages/s ({wall:.1f} s wall, "
            f"{result['documents']} documents), peak RSS {result['reparse_peak_rss_mb']} MB\n"
            f"  ratio {result['ratio']} (goal >= 0.5), wall goal < 600 s, RSS goal < 400 MB"
        )
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    assert ROOT.is_dir()
    sys.exit(main())
