"""Parse + normalize throughput of article pages, beside trafilatura and bare lxml.

For realistic main-site pages (40-60 KB, the replica's templates) this times,
on one core and in one process:

* reference 1: ``lxml.html.fromstring`` of the page (parsing, nothing else);
* reference 2: ``trafilatura.extract`` of the page (a general extractor);
* mfa-archive: crawler.extract.extract_article, what the extraction
  pipeline runs on each page: the page object (parsel + selectors) and the
  normalizers (title, date, body) that turn the page into a record.

Each method runs over all pages several times; the best round counts (the
least disturbed by a noisy machine). The date cache is emptied before every
round, as every page here has a date of its own. Goals (issue #2): at least
5x trafilatura's pages/s, at most 2x the bare lxml parse time.

    python bench/parse_throughput.py [--pages 200] [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable

import lxml.html
import trafilatura

from crawler.extract import extract_article
from crawler.items import FetchedPage, ListingEntry
from crawler.normalize.dates import parse_site_date
from mfa_archive.replica.build import SiteSpec, render_page
from mfa_archive.replica.generate import generated_articles

ORIGIN = "https://mfa.gov.az"


def pages(count: int) -> list[tuple[str, str, bytes]]:
    spec = SiteSpec(name="main", layout="main", languages=["en", "az", "ru"])
    per_lang = max(1, count // 3)
    out = []
    for case in generated_articles(per_lang, ("en", "az", "ru")):
        html = render_page(case.article, spec).replace("{{origin}}", ORIGIN)
        out.append((ORIGIN + case.article.path, case.article.lang, html.encode()))
    return out


def ours(url: str, lang: str, html: bytes) -> None:
    extract_article(FetchedPage(url, "main", lang, "main", html, "utf-8", ListingEntry(url)))


def bare_lxml(url: str, lang: str, html: bytes) -> None:
    lxml.html.fromstring(html)


def with_trafilatura(url: str, lang: str, html: bytes) -> None:
    trafilatura.extract(html, url=url)


def best_round(method: Callable[[str, str, str], None], corpus, rounds: int) -> float:
    """Seconds per page in the fastest of `rounds` passes over the corpus."""
    times = []
    for _ in range(rounds):
        parse_site_date.cache_clear()
        gc.collect()
        start = time.perf_counter()
        for page in corpus:
            method(*page)
        times.append((time.perf_counter() - start) / len(corpus))
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=210)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    corpus = pages(args.pages)
    sizes = [len(html) for _, _, html in corpus]
    for page in corpus[:3]:  # warm up imports, caches of compiled selectors
        ours(*page), bare_lxml(*page), with_trafilatura(*page)
    lxml_s = best_round(bare_lxml, corpus, args.rounds)
    ours_s = best_round(ours, corpus, args.rounds)
    traf_s = best_round(with_trafilatura, corpus, max(1, args.rounds // 2))
    result = {
        "pages": len(corpus),
        "page_kb_median": round(statistics.median(sizes) / 1024, 1),
        "lxml_ms_per_page": round(lxml_s * 1000, 2),
        "mfa_archive_ms_per_page": round(ours_s * 1000, 2),
        "trafilatura_ms_per_page": round(traf_s * 1000, 2),
        "mfa_archive_pages_per_s": round(1 / ours_s),
        "speedup_vs_trafilatura": round(traf_s / ours_s, 2),
        "time_vs_bare_lxml": round(ours_s / lxml_s, 2),
    }
    result["goals_met"] = result["speedup_vs_trafilatura"] >= 5 and result["time_vs_bare_lxml"] <= 2
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['pages']} pages, median {result['page_kb_median']} KB, one core\n"
            f"  lxml.html.fromstring  {result['lxml_ms_per_page']:6.2f} ms/page (reference)\n"
            f"  mfa-archive           {result['mfa_archive_ms_per_page']:6.2f} ms/page  "
            f"= {result['time_vs_bare_lxml']}x lxml (goal <= 2x)\n"
            f"  trafilatura.extract   {result['trafilatura_ms_per_page']:6.2f} ms/page  "
            f"mfa-archive is {result['speedup_vs_trafilatura']}x faster (goal >= 5x)"
        )
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
