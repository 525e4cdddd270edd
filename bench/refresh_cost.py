"""What cron refreshes cost: a first full crawl, then incremental refreshes.

A generated replica of the main site (5,000 articles per language in az, en
and ru, 20 to a listing page) is served in this process; `mfa-archive crawl`
runs as an operator runs it, in its own process, into a fresh SQLite file:

1. the first crawl (the archive is empty: every listing page, every article);
2. a refresh with nothing new;
3. a refresh after the site published 20 new items (7 az, 7 en, 6 ru): the
   replica switches to that later snapshot on the same ports.

For each: requests the server answered (articles, listing pages, robots.txt)
and wall time, with each refresh's time as a fraction of the first crawl's
(the reference, measured in the same run).

Goal (issue #4): the refresh with 20 new items costs at most 20 article
requests, plus two listing pages per site and language, plus robots.txt,
whatever the size of the archive.

    python bench/refresh_cost.py [--articles 5000] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mfa_archive.replica.generate import generate_replica
from mfa_archive.replica.server import ReplicaServer

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("az", "en", "ru")
NEW_ITEMS = {"az": 7, "en": 7, "ru": 6}


def crawl(server: ReplicaServer, sites: Path, db: Path) -> dict[str, object]:
    server.sites["main"].requests.clear()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mfa_archive.cli", "crawl", "--db", f"sqlite:///{db}",
         "--sites", str(sites), "--recheck-days", "0"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"crawl failed ({result.returncode}): {result.stderr[-2000:]}")
    requests = server.requests()["main"]
    return {
        "seconds": round(seconds, 2),
        "requests": len(requests),
        "articles": sum("/news/no" in path for path in requests),
        "listing_pages": sum("/news?" in path for path in requests),
        "robots": requests.count("/robots.txt"),
        "summary": result.stdout.strip().splitlines()[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000, help="per language")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mfa-refresh-") as tmp:
        work = Path(tmp)
        print(f"generating {args.articles} articles per language ...", file=sys.stderr)
        generate_replica(work / "before", args.articles, LANGUAGES)
        generate_replica(work / "after", args.articles, LANGUAGES, new=NEW_ITEMS)
        server = ReplicaServer(work / "before")
        server.start()
        try:
            sites = work / "sites.toml"
            sites.write_text(server.sites_toml(), encoding="utf-8")
            db = work / "archive.db"
            steps = {"first crawl": crawl(server, sites, db)}
            steps["refresh, nothing new"] = crawl(server, sites, db)
            server.switch(work / "after")
            steps["refresh, 20 new items"] = crawl(server, sites, db)
        finally:
            server.stop()

    reference = steps["first crawl"]["seconds"]
    budget = sum(NEW_ITEMS.values()) + 2 * len(LANGUAGES) + 1
    new = steps["refresh, 20 new items"]
    report = {
        "articles": args.articles * len(LANGUAGES),
        "steps": steps,
        "budget_requests": budget,
        "goal_met": new["requests"] <= budget and new["articles"] == sum(NEW_ITEMS.values()),
    }
    for step in steps.values():
        step["time_vs_first_crawl"] = round(step["seconds"] / reference, 4)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['articles']} articles on one site, {len(LANGUAGES)} languages")
    for name, step in steps.items():
        print(f"{name:24} {step['requests']:6d} requests ({step['articles']} articles, "
              f"{step['listing_pages']} listing pages, {step['robots']} robots.txt); "
              f"{step['seconds']:7.2f} s = {step['time_vs_first_crawl']:.4f} of the first crawl")  # fmt: skip
    print(f"goal: refresh with 20 new items <= {budget} requests: "
          f"{'met' if report['goal_met'] else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
