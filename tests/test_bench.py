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
