"""The benchmarks run on a fresh install (`make bench`): each prints its figures.

Only that they run and report is checked here; their goals are timings, which
unit tests on a shared machine cannot judge (bench/README.md holds the figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_parse_benchmark_runs_beside_trafilatura() -> None:
    # trafilatura (the bench extra) is the reference: a missing dependency of
    # it once broke this benchmark on fresh machines.
    result = subprocess.run(
        [sys.executable, "bench/parse_throughput.py", "--pages", "6", "--rounds", "1", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    # Exit code 1 is a missed goal, with the figures printed all the same.
    assert result.returncode in (0, 1) and result.stdout.strip(), result.stderr
    figures = json.loads(result.stdout)
    assert figures["pages"] == 6
    for key in ("lxml_ms_per_page", "mfa_archive_ms_per_page", "trafilatura_ms_per_page"):
        assert figures[key] > 0


def test_dedup_quality_reports_every_copy_and_template_pair_and_the_margins() -> None:
    result = subprocess.run(
        [sys.executable, "bench/dedup_quality.py", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout, result.stderr)
    figures = json.loads(result.stdout)
    assert (figures["pairwise_precision"], figures["pairwise_recall"]) == (1.0, 1.0)
    templates = figures["template_pairs"]
    assert {(p["a"], p["b"]) for p in templates} >= {
        ("main-en-condolences-nepal-earthquake", "main-en-condolences-pakistan-floods"),
        ("main-ru-soboleznovaniya-nepal", "main-ru-soboleznovaniya-pakistan"),
    }
    # what similarity alone merged, the rule keeps apart; its copies it still merges
    assert any(p["similarity"] >= figures["threshold"] for p in templates)
    assert all(p["score"] < figures["threshold"] for p in templates)
    assert all(p["score"] >= figures["threshold"] for p in figures["copy_pairs"])
    assert figures["margin_copies"] > 0 and figures["margin_templates"] > 0
