"""The cost of checking a new page against the archive, at 1,000 and at 50,000 documents.

Builds two archives of generated documents (SQLite files; az, en and ru; about
20 a day; numbered and un-numbered; 1-3 KB bodies), then times what a batch's
write does before it writes (storage.archive.load_merger, then the merge
rules of storage/dedup.py for one page), on the same
200 new pages against each: pages unlike any stored one, near-duplicates of a
stored one (a sentence edited, the number left out), copies of a stored number.
Goals (issue #3): under 5 ms a check at 50,000 documents, and no more than
twice the time at 1,000.

    python bench/dedup_lookup.py [--small 1000] [--large 50000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from crawler.pages import LAYOUTS
from storage.archive import Archive, load_merger
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.records import DocumentRecord, content_hash
from storage.types import utcnow

WORDS = (
    "ministry foreign affairs republic azerbaijan minister statement press release meeting "
    "cooperation peace process region international community security council resolution "
    "delegation visit bilateral relations agreement development energy transport embassy "
    "parties discussed prospects strengthening partnership dialogue mutual interest baku "
    "armenia territories humanitarian mine action return displaced persons obligations law"
).split()
LANGS = ("az", "en", "ru")


def body(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(3, 6)):
        words = rng.choices(WORDS, k=rng.randint(40, 90))
        paragraphs.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(paragraphs)


def document(n: int) -> DocumentRecord:
    """Document n of a generated archive, the same every time it is asked for."""
    rng = random.Random(n)
    lang = LANGS[n % 3]
    day = dt.date(2026, 11, 1) - dt.timedelta(days=n // 20)
    numbered = n % 2 == 0
    number = f"{(n // 2) % 999 + 1:03d}/{day.year % 100:02d}-{n}" if numbered else None
    return page(f"https://mfa.gov.az/{lang}/news/doc-{n}", "main", site="main", lang=lang,
                title=f"Statement {n}", published_on=day, body=body(rng), body_html="",
                doc_number=number)  # fmt: skip


def page(url: str, layout: str, **fields: object) -> DocumentRecord:
    """A record with the values its layout's rules give it, as the crawl makes them."""
    rules = LAYOUTS[layout]
    return DocumentRecord(url=url, layout=layout, canonical_url=rules.canonical_url(url),
                          authoritative=rules.authoritative,
                          release_key=rules.release_key(fields.get("doc_number"), url),  # type: ignore[arg-type]
                          **fields)  # type: ignore[arg-type]  # fmt: skip


def build(path: Path, count: int) -> Archive:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    archive = Archive(engine)
    for start in range(0, count, 1000):
        archive.store_many([document(n) for n in range(start, min(count, start + 1000))])
    return archive


def probes(count: int, rng: random.Random) -> list[DocumentRecord]:
    """New pages against documents 0..count: unrelated, near-duplicates, numbered copies."""
    pages = []
    for i in range(200):
        n = rng.randrange(min(count, 1000))  # both archives hold these
        original = document(n)
        if i % 3 == 0:
            pages.append(document(10_000_000 + i))
        elif i % 3 == 1:
            edited = original.body.replace(".", " again.", 1)
            pages.append(page(f"https://x.mfa.gov.az/{i}", "mission", **{
                **copied(original), "doc_number": None, "title": "Republished", "body": edited,
            }))  # fmt: skip
        else:
            pages.append(page(f"https://y.mfa.gov.az/{i}", "mission", **copied(original)))
    return pages


def copied(record: DocumentRecord) -> dict[str, object]:
    """What a copy of record on another site says: its text, not its URL's values."""
    keep = ("site", "lang", "title", "published_on", "body", "body_html", "doc_number")
    return {name: getattr(record, name) for name in keep}


def match(archive: Archive, probe: DocumentRecord) -> int | None:
    """The stored document probe would join, or None; writes nothing."""
    with archive.engine.connect() as connection:
        merger = load_merger(connection, [probe], utcnow())
    if probe.identity in merger.known:
        return merger.known[probe.identity].document_id
    document, _, _ = merger.match(probe, content_hash(probe.title, probe.body))
    return document.id if document else None


def time_checks(archive: Archive, pages: list[DocumentRecord]) -> list[float]:
    for probe in pages[:10]:
        match(archive, probe)  # warm caches
    times = []
    for probe in pages:
        start = time.perf_counter()
        match(archive, probe)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = build(Path(tmp) / "small.db", args.small)
        large = build(Path(tmp) / "large.db", args.large)
        pages = probes(args.small, random.Random(7))
        matched = sum(match(large, probe) is not None for probe in pages)
        small_ms = statistics.median(time_checks(small, pages))
        large_times = time_checks(large, pages)
    large_ms = statistics.median(large_times)
    result = {
        "documents_small": args.small,
        "documents_large": args.large,
        "check_ms_median_small": round(small_ms, 2),
        "check_ms_median_large": round(large_ms, 2),
        "check_ms_p95_large": round(sorted(large_times)[int(len(large_times) * 0.95)], 2),
        "ratio": round(large_ms / small_ms, 2),
        "probes_matched": f"{matched}/{len(pages)}",
    }
    result["goals_met"] = result["check_ms_median_large"] < 5 and result["ratio"] <= 2
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"check of one new page: {small_ms:.2f} ms at {args.small} documents, "
            f"{large_ms:.2f} ms at {args.large} (p95 {result['check_ms_p95_large']} ms), "
            f"ratio {result['ratio']} (goals: < 5 ms, <= 2x); "
            f"{result['probes_matched']} probes matched a document (expected 133/200)"
        )
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
