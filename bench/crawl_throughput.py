"""End-to-end crawl of a generated replica into SQLite, beside a bare Scrapy spider.

The replica (2,000 main-site articles in az, en and ru, 20 to a listing page)
is served by `mfa-archive serve-fixtures` in its own process. In the same
run, the bare spider (bench/bare_spider.py: same settings, no pipelines) and
`mfa-archive crawl` into a fresh SQLite file each crawl it, alternately,
`--rounds` times; the best round of each counts. Pages/s is responses over
the crawl's own duration (Scrapy's elapsed time for the bare spider, the crawl
run's start to finish for mfa-archive); peak RSS is that of the crawling
process and its extraction workers together.

Goals (issue #2): mfa-archive at least 60% of the bare spider's pages/s, and
peak RSS under 300 MB. The mfa-archive crawl runs twice a round, with its
captures (WARC files, the default) and with --no-warc: goal (issue #13),
captures cost at most 10% of its pages/s; and the WARC bytes per article
page, compressed.

    python bench/crawl_throughput.py [--articles 2000] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from mfa_archive.replica.generate import generate_replica
from storage.engine import make_engine
from storage.reports import get_run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:  # noqa: PTH123
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:  # noqa: PTH123
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (worker processes)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _rss_kb(current)
        stack += _children(current)
    return total / 1024


def run_measured(command: list[str]) -> tuple[str, float]:
    """Run a command to its end; its stdout and the peak RSS of its process tree (MB),
    sampled every 20 ms."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    peak = 0.0
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read()))
    reader.start()
    while process.poll() is None:
        peak = max(peak, tree_rss_mb(process.pid))
        time.sleep(0.02)
    reader.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return "".join(chunks), peak


def bare_round(sites: Path) -> dict:
    out, rss = run_measured([sys.executable, str(HERE / "bare_spider.py"), str(sites)])
    stats = json.loads(out.strip().splitlines()[-1])
    pages = stats["response_received_count"]
    return {"pages": pages, "seconds": stats["elapsed_time_seconds"], "rss_mb": rss}


def archive_round(sites: Path, workdir: Path, captures: bool = True) -> dict:
    db = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    warc = workdir / "bench.warc"  # beside the archive (crawler.warc.warc_dir_for)
    for old in warc.glob("*.warc.gz"):
        old.unlink()
    command = [sys.executable, "-m", "mfa_archive.cli", "crawl", "--db", f"sqlite:///{db}",
               "--sites", str(sites), *([] if captures else ["--no-warc"])]  # fmt: skip
    _, rss = run_measured(command)
    engine = make_engine(f"sqlite:///{db}")
    run = get_run(engine, 1)
    engine.dispose()
    warc_bytes = sum(path.stat().st_size for path in warc.glob("*.warc.gz"))
    return {"pages": run["pages_fetched"], "seconds": run["seconds"], "rss_mb": rss,
            "documents": run["documents_new"], "warc_bytes": warc_bytes}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mfa-bench-") as tmp:
        workdir = Path(tmp)
        per_language = -(-args.articles // 3)
        generate_replica(workdir / "replica", per_language, ("az", "en", "ru"))
        sites = workdir / "sites.toml"
        server = subprocess.Popen(
            [sys.executable, "-m", "mfa_archive.cli", "serve-fixtures", "--root",
             str(workdir / "replica"), "--sites-out", str(sites)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(100):
                if sites.exists():
                    break
                time.sleep(0.1)
            bare, ours, uncaptured = [], [], []
            for _ in range(args.rounds):
                bare.append(bare_round(sites))
                ours.append(archive_round(sites, workdir))
                uncaptured.append(archive_round(sites, workdir, captures=False))
        finally:
            server.terminate()
            server.wait()

    best_bare = max(bare, key=lambda r: r["pages"] / r["seconds"])
    best_ours = max(ours, key=lambda r: r["pages"] / r["seconds"])
    best_off = max(uncaptured, key=lambda r: r["pages"] / r["seconds"])
    bare_rate = best_bare["pages"] / best_bare["seconds"]
    ours_rate = best_ours["pages"] / best_ours["seconds"]
    off_rate = best_off["pages"] / best_off["seconds"]
    result = {
        "articles": per_language * 3,
        "documents_stored": best_ours["documents"],
        "bare_pages": best_bare["pages"],
        "bare_pages_per_s": round(bare_rate, 1),
        "mfa_archive_pages": best_ours["pages"],
        "mfa_archive_pages_per_s": round(ours_rate, 1),
        "ratio": round(ours_rate / bare_rate, 2),
        "bare_peak_rss_mb": round(max(r["rss_mb"] for r in bare)),
        "mfa_archive_peak_rss_mb": round(max(r["rss_mb"] for r in ours)),
        "no_warc_pages_per_s": round(off_rate, 1),
        "captures_cost": round(1 - ours_rate / off_rate, 3),
        "warc_bytes": best_ours["warc_bytes"],
        "warc_bytes_per_article": round(best_ours["warc_bytes"] / best_ours["documents"]),
    }
    result["goals_met"] = (result["ratio"] >= 0.6 and result["mfa_archive_peak_rss_mb"] < 300
                           and result["captures_cost"] <= 0.10)  # fmt: skip
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['articles']} articles, best of {args.rounds} rounds each\n"
            f"  bare Scrapy spider  {result['bare_pages_per_s']:7.1f} pages/s "
            f"({result['bare_pages']} pages), peak RSS {result['bare_peak_rss_mb']} MB\n"
            f"  mfa-archive crawl   {result['mfa_archive_pages_per_s']:7.1f} pages/s "
            f"({result['mfa_archive_pages']} pages, {result['documents_stored']} documents), "
            f"peak RSS {result['mfa_archive_peak_rss_mb']} MB\n"
            f"  ratio {result['ratio']} (goal >= 0.6), peak RSS goal < 300 MB\n"
            f"  with --no-warc      {result['no_warc_pages_per_s']:7.1f} pages/s: captures cost "
            f"{result['captures_cost']:.1%} (goal <= 10%); "
            f"{result['warc_bytes_per_article']:,} bytes of WARC per article page, compressed"
        )
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
