"""How well the archive merges copies of a statement, on the hand-checked replica.

Crawls the replica (fixtures/) into a fresh SQLite file through the CLI, then
compares the archive's documents with the hand-made expectation (each case's
expected.json names the case it duplicates, if any):

* merges by rule (sources.match_rule);
* pairwise precision and recall: of the pairs of URLs the archive put in one
  document, how many the expectation puts together, and the other way round;
* the evidence for the near-duplicate threshold: the similarity of every pair
  of same-language cases published within NEAR_DAYS of each other, for pairs
  that are one statement and pairs that are two.

    python bench/dedup_quality.py [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from mfa_archive.replica.server import DEFAULT_ROOT, serving
from storage.dedup import NEAR_THRESHOLD, similarity, window

ROOT = Path(__file__).resolve().parents[1]


def expected_groups() -> tuple[dict[str, str], dict[str, dict]]:
    """case -> group (the case it duplicates, else itself); case -> expected record."""
    groups, records = {}, {}
    for path in sorted((DEFAULT_ROOT / "cases").iterdir()):
        expected = json.loads((path / "expected.json").read_text(encoding="utf-8"))
        if "rejected" not in expected:
            groups[path.name] = expected.get("duplicate_of") or path.name
            records[path.name] = expected
            if companion := expected.get("companion"):  # a two-language page's second part
                groups[f"{path.name}#ru"] = f"{path.name}#ru"
                records[f"{path.name}#ru"] = companion | {"url": expected["url"] + "#ru"}
    return groups, records


def pairs(clusters: dict[str, set[str]]) -> set[frozenset[str]]:
    return {
        frozenset(pair)
        for members in clusters.values()
        for pair in itertools.combinations(sorted(members), 2)
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    groups, records = expected_groups()

    with tempfile.TemporaryDirectory() as tmp, serving() as server:
        sites = Path(tmp) / "sites.toml"
        sites.write_text(server.sites_toml(), encoding="utf-8")
        db = Path(tmp) / "archive.db"
        subprocess.run(
            [sys.executable, "-m", "mfa_archive.cli", "crawl", "--db", f"sqlite:///{db}",
             "--sites", str(sites)],
            cwd=ROOT, check=False, capture_output=True,
        )  # fmt: skip
        origin_of = {name: site.origin for name, site in server.sites.items()}
        case_of_url = {
            origin_of[record["site"]] + record["url"].removeprefix("{{origin}}"): case
            for case, record in records.items()
        }
        with sqlite3.connect(db) as connection:
            rows = connection.execute("SELECT document_id, url, match_rule FROM sources").fetchall()
    archive_clusters: dict[str, set[str]] = defaultdict(set)
    for document_id, url, _ in rows:
        archive_clusters[str(document_id)].add(case_of_url[url])
    expected_clusters: dict[str, set[str]] = defaultdict(set)
    for case, group in groups.items():
        expected_clusters[group].add(case)
    found, wanted = pairs(archive_clusters), pairs(expected_clusters)
    precision = len(found & wanted) / len(found) if found else 1.0
    recall = len(found & wanted) / len(wanted) if wanted else 1.0

    same, different = [], []
    for a, b in itertools.combinations(sorted(records), 2):
        ra, rb = records[a], records[b]
        day_a, day_b = (dt.date.fromisoformat(r["published_on"]) for r in (ra, rb))
        if ra["lang"] != rb["lang"] or day_b not in window(day_a):
            continue
        score = similarity(ra["body"], rb["body"])
        (same if groups[a] == groups[b] else different).append((round(score, 3), a, b))
    result = {
        "documents": len(archive_clusters),
        "sources": len(rows),
        "merges_by_rule": dict(Counter(rule for _, _, rule in rows if rule != "new")),
        "pairwise_precision": round(precision, 3),
        "pairwise_recall": round(recall, 3),
        "threshold": NEAR_THRESHOLD,
        "same_statement_pairs": sorted(same),
        "distinct_pairs_in_window": len(different),
        "distinct_pairs_merged": sum(score >= NEAR_THRESHOLD for score, _, _ in different),
        "distinct_statement_pairs_most_alike": sorted(different, reverse=True)[:5],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"{result['documents']} documents from {result['sources']} sources; "
              f"merges by rule: {result['merges_by_rule']}")  # fmt: skip
        print(f"pairwise precision {precision:.3f}, recall {recall:.3f} (goal 1.0 and 1.0)")
        print(f"near-duplicate threshold {NEAR_THRESHOLD}; same-language pairs within the window:")
        for score, a, b in result["same_statement_pairs"]:
            print(f"  one statement   {score:.3f}  {a} ~ {b}")
        for score, a, b in result["distinct_statement_pairs_most_alike"]:
            print(f"  two statements  {score:.3f}  {a} ~ {b}")
        print(f"  ({len(different)} pairs of distinct statements in the window, "
              f"{result['distinct_pairs_merged']} of them at or above the threshold)")  # fmt: skip
    return 0 if precision == recall == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
