"""How well the archive merges copies of a statement, on the hand-checked replica.

Crawls the replica (fixtures/) into a fresh SQLite file through the CLI, then
compares the archive's documents with the hand-made expectation (each case's
expected.json names the case it duplicates, if any):

* merges by rule (sources.match_rule);
* pairwise precision and recall: of the pairs of URLs the archive put in one
  document, how many the expectation puts together, and the other way round;
* the evidence for the near-duplicate rule: for every pair of same-language
  cases published within NEAR_DAYS of each other, the bodies' similarity and
  the rule's score (storage.dedup.near_duplicate: the similarity less
  NAME_PENALTY for each name or number that differs on both sides), for pairs
  that are one statement (copies), pairs written on one template (each case's
  expected.json names its twin in template_of), and the other distinct pairs;
  and the rule's margin on each side of NEAR_THRESHOLD: the lowest copy's
  score above it, the highest template pair's (and any distinct pair's) below.

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
from storage.dedup import NEAR_THRESHOLD, near_duplicate, similarity, unmatched_names, window

ROOT = Path(__file__).resolve().parents[1]


def expected_groups() -> tuple[dict[str, str], dict[str, dict]]:
    """case -> group (the case it duplicates, else itself); case -> expected record."""
    groups: dict[str, str] = {}
    records: dict[str, dict] = {}
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

    # Statements on one template, with every copy of each: pairs of their groups.
    twins = {
        frozenset((groups[case], groups[record["template_of"]]))
        for case, record in records.items()
        if record.get("template_of")
    }
    copies, templates, different = [], [], []
    for a, b in itertools.combinations(sorted(records), 2):
        ra, rb = records[a], records[b]
        day_a, day_b = (dt.date.fromisoformat(r["published_on"]) for r in (ra, rb))
        if ra["lang"] != rb["lang"] or day_b not in window(day_a):
            continue
        pair = {
            "similarity": round(similarity(ra["body"], rb["body"]), 3),
            "score": round(near_duplicate(ra["body"], rb["body"]), 3),
            "a": a, "b": b,
        }  # fmt: skip
        if groups[a] == groups[b]:
            copies.append(pair)
        elif frozenset((groups[a], groups[b])) in twins:
            pair["names"] = [unmatched_names(ra["body"], rb["body"]),
                             unmatched_names(rb["body"], ra["body"])]  # fmt: skip
            templates.append(pair)
        else:
            different.append(pair)
    by_score = lambda pair: (pair["score"], pair["similarity"], pair["a"])  # noqa: E731
    lowest_copy = min(copies, key=by_score)
    highest_template = max(templates, key=by_score)
    highest_distinct = max([*templates, *different], key=by_score)
    result = {
        "documents": len(archive_clusters),
        "sources": len(rows),
        "merges_by_rule": dict(Counter(rule for _, _, rule in rows if rule != "new")),
        "pairwise_precision": round(precision, 3),
        "pairwise_recall": round(recall, 3),
        "threshold": NEAR_THRESHOLD,
        "copy_pairs": sorted(copies, key=by_score),
        "template_pairs": sorted(templates, key=by_score, reverse=True),
        "distinct_pairs_in_window": len(templates) + len(different),
        "distinct_pairs_merged": sum(
            p["score"] >= NEAR_THRESHOLD for p in [*templates, *different]
        ),
        "distinct_statement_pairs_most_alike": sorted(different, key=by_score, reverse=True)[:5],
        # how far the rule's threshold is from the nearest pair on each side
        "margin_copies": round(lowest_copy["score"] - NEAR_THRESHOLD, 3),
        "margin_templates": round(NEAR_THRESHOLD - highest_template["score"], 3),
        "margin_distinct": round(NEAR_THRESHOLD - highest_distinct["score"], 3),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"{result['documents']} documents from {result['sources']} sources; "
              f"merges by rule: {result['merges_by_rule']}")  # fmt: skip
        print(f"pairwise precision {precision:.3f}, recall {recall:.3f} (goal 1.0 and 1.0)")
        print(f"near-duplicate threshold {NEAR_THRESHOLD}; same-language pairs within the window "
              "(similarity, then the rule's score):")  # fmt: skip
        for pair in result["copy_pairs"]:
            print(f"  one statement  {pair['similarity']:.3f} {pair['score']:.3f}  "
                  f"{pair['a']} ~ {pair['b']}")  # fmt: skip
        for pair in result["template_pairs"]:
            print(f"  on a template  {pair['similarity']:.3f} {pair['score']:.3f}  "
                  f"{pair['a']} ~ {pair['b']}  (names on each side only: {pair['names']})")  # fmt: skip
        for pair in result["distinct_statement_pairs_most_alike"]:
            print(f"  two statements {pair['similarity']:.3f} {pair['score']:.3f}  "
                  f"{pair['a']} ~ {pair['b']}")  # fmt: skip
        print(f"  ({result['distinct_pairs_in_window']} pairs of distinct statements in the window, "
              f"{result['distinct_pairs_merged']} of them at or above the threshold)")  # fmt: skip
        print(f"margins: lowest copy {result['margin_copies']:+.3f} above the threshold; "
              f"highest template pair {result['margin_templates']:.3f} below it "
              f"(highest distinct pair of any kind {result['margin_distinct']:.3f} below)")  # fmt: skip
    separated = result["margin_copies"] > 0 and result["margin_distinct"] > 0
    return 0 if precision == recall == 1.0 and separated else 1


if __name__ == "__main__":
    sys.exit(main())
