"""The archive at 100,000 documents, on SQLite and on PostgreSQL: writes, search, export.

For each backend, in a fresh archive (a SQLite file; a PostgreSQL database
of its own, dropped afterwards):

- insert: 100,000 generated documents (az, en, ru; 20 a day; half numbered;
  1-3 KB bodies whose words follow Zipf's law over a 20,000-word vocabulary,
  as the words of real text do) through Archive.store_many in batches of
  100, as the crawl writes them (deduplication, sources, upserts, search
  index). Reference: the same rows written by a bare SQLAlchemy executemany
  INSERT into the documents table of another fresh archive.
- search: 200 one- and two-word queries through storage.search.search
  (limit 10), p50 and p95; the words drawn evenly from the vocabulary past its
  100 most frequent (which play the part of "the", "of", "ministry": what
  nobody searches for), so that some match a third of the archive and most a
  handful. Reference: a primary-key lookup of a document.
- export: peak RSS of `mfa-archive export` (JSON lines and Parquet) of all
  100,000 documents, in its own process. Reference: the same command
  exporting nothing (--since a future day): what the interpreter and its
  imports weigh.

Goals (issue #5): search p95 under 50 ms on both; 100,000 documents inserted in
under 2 minutes on both; export peak RSS under 200 MB.

    python bench/archive_scale.py [--documents 100000] [--backend sqlite|postgresql]... [--json]

PostgreSQL: $MFA_BENCH_POSTGRES_URL (default the local server's database test).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, select
from sqlalchemy.pool import NullPool

from crawler.pages.main import MainSiteV1
from storage.archive import Archive
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Document
from storage.records import DocumentRecord, content_hash
from storage.scratch import postgres_database
from storage.search import search
from storage.types import utcnow

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "MFA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BATCH = 100  # MFA_WRITE_BATCH
LANGS = ("az", "en", "ru")


def _vocabulary(size: int) -> list[str]:
    rng = random.Random(0)
    onsets, vowels = "b c d f g h k l m n p r s t v x z ş ç".split(), "a e i o u ə ı ö ü".split()
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(onsets) + rng.choice(vowels)
                          for _ in range(rng.randint(1, 4))))  # fmt: skip
    return sorted(words)


VOCABULARY = _vocabulary(20_000)
_ZIPF = list(itertools.accumulate(1 / rank**1.07 for rank in range(1, len(VOCABULARY) + 1)))


def document(n: int) -> DocumentRecord:
    """Document n of the generated archive, the same every time it is asked for."""
    rng = random.Random(n)
    lang = LANGS[n % 3]
    day = dt.date(2026, 11, 1) - dt.timedelta(days=n // 20)
    paragraphs = [
        " ".join(rng.choices(VOCABULARY, cum_weights=_ZIPF, k=rng.randint(40, 90))).capitalize()
        + "."
        for _ in range(rng.randint(3, 6))
    ]
    number = f"{(n // 2) % 999 + 1:03d}/{day.year % 100:02d}-{n}" if n % 2 == 0 else None
    url = f"https://mfa.gov.az/{lang}/news/doc-{n}"
    return DocumentRecord(
        site="main", lang=lang, url=url,
        title=" ".join(rng.choices(VOCABULARY, cum_weights=_ZIPF, k=8)).capitalize(),
        published_on=day, body="\n\n".join(paragraphs), body_html="", doc_number=number,
        # the main layout's rules, as the extraction workers apply them
        layout="main", authoritative=True, canonical_url=MainSiteV1.canonical_url(url),
        release_key=MainSiteV1.release_key(number, url),
    )  # fmt: skip


@contextlib.contextmanager
def fresh_archive(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir}/archive-{uuid.uuid4().hex[:8]}.db"
        return
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with postgres_database(server, prefix="mfa_bench") as url:
            yield url
    finally:
        server.dispose()


def insert_archive(url: str, records: list[DocumentRecord]) -> float:
    engine = make_engine(url)
    upgrade(engine)
    archive = Archive(engine, index_in_background=True)  # as a crawl writes
    start = time.perf_counter()
    for first in range(0, len(records), BATCH):
        archive.store_many(records[first : first + BATCH])
    archive.optimize()  # as a crawl does when it finishes: search index complete
    archive.close()
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds


def insert_bare(url: str, records: list[DocumentRecord]) -> float:
    """The reference: the same documents, one plain executemany INSERT per 1,000."""
    engine = make_engine(url)
    upgrade(engine)
    now = utcnow()
    start = time.perf_counter()
    for first in range(0, len(records), 1000):
        rows = []
        for record in records[first : first + 1000]:
            rows.append({
                "lang": record.lang, "doc_number": record.doc_number, "title": record.title,
                "category": None, "published_on": record.published_on, "body": record.body,
                "body_html": "", "content_hash": content_hash(record.title, record.body),
                "release_key": None, "first_seen": now, "last_seen": now, "updated_at": now,
            })  # fmt: skip
        with engine.begin() as connection:
            connection.execute(insert(Document), rows)
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds


def queries(rng: random.Random) -> list[str]:
    searched = VOCABULARY[100:]  # a word's index is its frequency rank
    one = [rng.choice(searched) for _ in range(100)]
    two = [" ".join(rng.sample(searched, 2)) for _ in range(100)]
    return one + two


def percentile(times: list[float], share: float) -> float:
    return sorted(times)[min(len(times) - 1, int(len(times) * share))]


def time_queries(engine: Engine, asked: list[str]) -> list[float]:
    """Milliseconds each query's first page of hits takes, caches warm."""
    for query in asked[:10]:
        search(engine, query, limit=10)  # warm the caches, as a running service has them
    times = []
    for query in asked:
        start = time.perf_counter()
        search(engine, query, limit=10)
        times.append((time.perf_counter() - start) * 1000)
    return times


def time_search(url: str) -> dict[str, float]:
    engine = make_engine(url)
    times = time_queries(engine, queries(random.Random(11)))
    lookups = []
    with engine.connect() as connection:
        for n in range(1, 201):
            start = time.perf_counter()
            connection.execute(select(Document.title).where(Document.id == n * 7)).all()
            lookups.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    return {
        "search_p50_ms": round(statistics.median(times), 2),
        "search_p95_ms": round(percentile(times, 0.95), 2),
        "lookup_p50_ms": round(statistics.median(lookups), 3),
    }


# Runs the CLI and, as it exits, writes its peak RSS (VmHWM: this program's
# own, not the parent's from before exec, which ru_maxrss would count).
_WITH_PEAK_RSS = """
import atexit, os, runpy, sys
def report():
    status = open("/proc/self/status").read()
    with open(os.environ["MFA_BENCH_HWM_FILE"], "w") as out:
        out.write(status.split("VmHWM:")[1].split()[0])
atexit.register(report)
sys.argv = ["mfa-archive", *sys.argv[1:]]
runpy.run_module("mfa_archive.cli", run_name="__main__")
"""


def export_peak_rss_mb(url: str, out: Path, *options: str) -> float:
    """Peak RSS of one `mfa-archive export` run, in its own process."""
    hwm = out.with_suffix(".hwm")
    result = subprocess.run(
        [sys.executable, "-c", _WITH_PEAK_RSS, "export", "--db", url, "--out", str(out),
         *options],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "MFA_BENCH_HWM_FILE": str(hwm)},
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"export failed: {result.stderr[-2000:]}")
    out.unlink(missing_ok=True)
    return int(hwm.read_text()) / 1024  # kB


def measure(backend: str, records: list[DocumentRecord], workdir: Path) -> dict[str, object]:
    count = len(records)
    result: dict[str, object] = {"backend": backend, "documents": count}
    with fresh_archive(backend, workdir) as bare_url:
        bare = insert_bare(bare_url, records)
    with fresh_archive(backend, workdir) as url:
        seconds = insert_archive(url, records)
        result.update({
            "insert_seconds": round(seconds, 1),
            "insert_docs_per_s": round(count / seconds),
            "bare_insert_docs_per_s": round(count / bare),
            "insert_ratio_to_bare": round(bare / seconds, 3),
        })  # fmt: skip
        result.update(time_search(url))
        result["search_p95_ratio_to_lookup"] = round(
            result["search_p95_ms"] / result["lookup_p50_ms"],
            1,  # type: ignore[operator]
        )
        rss = {"baseline": export_peak_rss_mb(url, workdir / "none.jsonl", "--since", "2999-01-01")}
        rss["jsonl"] = export_peak_rss_mb(url, workdir / "all.jsonl")
        rss["parquet"] = export_peak_rss_mb(url, workdir / "all.parquet", "--format", "parquet")
        result.update({f"export_rss_mb_{k}": round(v, 1) for k, v in rss.items()})
        result["export_rss_ratio_to_baseline"] = round(
            max(rss["jsonl"], rss["parquet"]) / rss["baseline"], 2
        )
    result["goals_met"] = (
        result["search_p95_ms"] < 50  # type: ignore[operator]
        and seconds < 120 * count / 100_000
        and max(rss["jsonl"], rss["parquet"]) < 200
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    records = [document(n) for n in range(args.documents)]  # made before any timing
    results = []
    with tempfile.TemporaryDirectory(prefix="mfa-scale-") as tmp:
        for backend in args.backend or ("sqlite", "postgresql"):
            results.append(measure(backend, records, Path(tmp)))
    if args.json:
        print(json.dumps(results, indent=2))
    for r in [] if args.json else results:
        print(
            f"{r['backend']}: {r['documents']} documents inserted in {r['insert_seconds']} s "
            f"({r['insert_docs_per_s']}/s; {r['insert_ratio_to_bare']} of a bare INSERT's "
            f"{r['bare_insert_docs_per_s']}/s); search p50 {r['search_p50_ms']} ms, "
            f"p95 {r['search_p95_ms']} ms ({r['search_p95_ratio_to_lookup']}x a key lookup); "
            f"export peak RSS {r['export_rss_mb_jsonl']} MB jsonl, "
            f"{r['export_rss_mb_parquet']} MB parquet ({r['export_rss_ratio_to_baseline']}x "
            f"an empty export's {r['export_rss_mb_baseline']} MB); goals "
            f"{'met' if r['goals_met'] else 'NOT met'}"
        )
    return 0 if all(r["goals_met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
