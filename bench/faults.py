"""Integrity under faults: what the hostile replica costs in memory and in search.

1. The fault replica (mfa_archive.replica.faults) crawled end to end with
   `mfa-archive crawl`, the peak RSS of the crawl's process tree (the crawl and
   its extraction worker) sampled throughout, beside the same crawl of the
   same replica with the huge page and the gzip bomb left out (served at a
   normal size). Goals: under 300 MB, at most 1.3x the reference.
2. Search p95 over 200 queries on an archive of generated documents that also
   holds the largest document the limits allow (crawler.extract's
   MAX_BODY_CHARACTERS), beside the same archive without it. Goal: at most
   1.2x. Two sets of queries: the ordinary mix of bench/archive_scale.py, and
   the worst case, queries every one of which matches the large document (its
   words, and "annex", which only it holds), so that it is among the hits
   whose snippets are made.

    python bench/faults.py [--documents 20000] [--backend sqlite|postgresql] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import random
import sys
import tempfile
from pathlib import Path

from archive_scale import (
    VOCABULARY,
    document,
    fresh_archive,
    insert_archive,
    percentile,
    queries,
    time_queries,
)
from crawl_throughput import run_measured

from crawler.extract import MAX_BODY_CHARACTERS
from mfa_archive.replica.faults import FaultServer
from storage.engine import make_engine
from storage.records import DocumentRecord

NORMAL_SIZE = 60_000  # bytes: what the huge page and the bomb are served at for the reference
LARGE_WORDS = VOCABULARY[100:2000]  # the large document's words: common ones


def crawl_peak_rss(workdir: Path, *, hostile: bool) -> tuple[float, str]:
    """Peak RSS (MB) of a crawl of the fault replica, and its summary line."""
    sizes = {} if hostile else {"huge_page_bytes": NORMAL_SIZE, "bomb_bytes": NORMAL_SIZE}
    with FaultServer(stall_seconds=2, other_host="127.0.0.2", **sizes) as server:
        sites = workdir / f"faults-{hostile}.toml"
        sites.write_text(server.sites_toml().replace("retry_backoff = 0\n",
                         "retry_backoff = 0\ndownload_timeout = 1\n"), encoding="utf-8")  # fmt: skip
        db = f"sqlite:///{workdir}/faults-{hostile}.db"
        command = [sys.executable, "-m", "mfa_archive.cli", "crawl", "--db", db,
                   "--sites", str(sites)]  # fmt: skip
        out, rss = run_measured(command)
    return rss, out.strip().splitlines()[-1]


def largest_document(count: int) -> DocumentRecord:
    """A document at the body limit, of the words most documents hold."""
    rng = random.Random(5)
    words, size = [], 0
    while size < MAX_BODY_CHARACTERS - 20:
        word = rng.choice(LARGE_WORDS)
        words.append(word)
        size += len(word) + 1
    body = ("annex " + " ".join(words))[: MAX_BODY_CHARACTERS - 1] + "."
    paragraphs = [body[i : i + 5000] for i in range(0, len(body), 5000)]
    base = document(count)
    return dataclasses.replace(
        base, url=base.url + "-annex", canonical_url=base.canonical_url + "-annex",
        doc_number=None, release_key=None, body="\n\n".join(paragraphs), title="Annex",
    )  # fmt: skip


def matching_queries(rng: random.Random) -> list[str]:
    """200 queries that each match the large document (and many others)."""
    one = ["annex", *(rng.choice(LARGE_WORDS) for _ in range(99))]
    two = [" ".join(rng.sample(LARGE_WORDS, 2)) for _ in range(100)]
    return one + two


def search_p95(backend: str, count: int, workdir: Path, *, with_largest: bool) -> dict[str, float]:
    """p95 (ms) of the ordinary queries and of the matching ones."""
    records = [document(n) for n in range(count)]
    if with_largest:
        records.append(largest_document(count))
    with fresh_archive(backend, workdir) as url:
        insert_archive(url, records)
        engine = make_engine(url)
        result = {}
        for name, asked in (("ordinary", queries(random.Random(11))),
                            ("matching", matching_queries(random.Random(12)))):  # fmt: skip
            result[name] = round(percentile(time_queries(engine, asked), 0.95), 2)
        engine.dispose()
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        reference_rss, reference_summary = crawl_peak_rss(workdir, hostile=False)
        hostile_rss, hostile_summary = crawl_peak_rss(workdir, hostile=True)
        without = search_p95(args.backend, args.documents, workdir, with_largest=False)
        with_largest = search_p95(args.backend, args.documents, workdir, with_largest=True)
    result = {
        "crawl_peak_rss_mb": round(hostile_rss),
        "reference_peak_rss_mb": round(reference_rss),
        "rss_ratio": round(hostile_rss / reference_rss, 2),
        "crawl_summary": hostile_summary,
        "reference_summary": reference_summary,
        "backend": args.backend,
        "documents": args.documents,
        "search_p95_ms_with_largest": with_largest,
        "search_p95_ms_without": without,
        "search_ratio": {name: round(with_largest[name] / without[name], 2) for name in without},
    }
    result["goals_met"] = (
        result["crawl_peak_rss_mb"] < 300
        and result["rss_ratio"] <= 1.3
        and all(ratio <= 1.2 for ratio in result["search_ratio"].values())
    )
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"fault replica crawl: peak RSS {result['crawl_peak_rss_mb']} MB, "
            f"{result['rss_ratio']}x the same crawl without the huge page and the bomb "
            f"({result['reference_peak_rss_mb']} MB) (goals < 300 MB, <= 1.3x)\n"
            f"  {hostile_summary}\n"
            + "".join(
                f"\nsearch p95 over 200 {name} queries, {args.documents} documents "
                f"({args.backend}): {with_largest[name]} ms with a document at the body limit, "
                f"{without[name]} ms without: {result['search_ratio'][name]}x (goal <= 1.2x)"
                for name in without
            )
        )
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
