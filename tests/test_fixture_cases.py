"""Every stored page of the replica against its hand-checked expected record.

One case per folder under fixtures/cases/: page.html, meta.json (site,
layout, language, URL, what the listing showed), expected.json (the record,
or the exact reason the page is rejected). New cases are picked up here
without touching this file.
"""

from __future__ import annotations

import json

import pytest

from crawler.exceptions import PageRejected
from crawler.extract import extract_article
from crawler.items import Article, FetchedPage, ListingEntry
from tests.conftest import CASES, load_case

ORIGIN = "http://replica.test"
REQUIRED = ("site", "lang", "url", "title", "published_on", "body", "body_html")


def process(case_name: str) -> Article:
    """What a crawl makes of the case's page: page object, then normalizers."""
    case = load_case(next(p for p in CASES if p.name == case_name))
    url = ORIGIN + case.meta["url"]
    page = FetchedPage(
        url=url,
        site=case.meta["site"],
        lang=case.meta["lang"],
        layout=case.meta["layout"],
        body=case.html.replace("{{origin}}", ORIGIN).encode(),
        encoding="utf-8",
        listing=ListingEntry(url=url, **case.meta["listing"]),
    )
    return extract_article(page)


@pytest.mark.parametrize("case_path", CASES, ids=[p.name for p in CASES])
def test_case_matches_expected_record(case_path):
    case = load_case(case_path)
    expected = json.loads(json.dumps(case.expected).replace("{{origin}}", ORIGIN))
    expected.pop("duplicate_of", None)  # archive-level expectations (tests/test_e2e.py)
    expected.pop("template_of", None)
    if "rejected" in expected:
        with pytest.raises(PageRejected) as dropped:
            process(case.name)
        assert str(dropped.value) == expected["rejected"]
        return
    record = process(case.name).record()
    assert record == expected
    for field in REQUIRED:
        assert record[field], f"{field} is empty"


def test_the_replica_has_the_cases_the_issue_asks_for():
    cases = [load_case(p) for p in CASES]
    documents = [c for c in cases if "rejected" not in c.expected]
    assert len(documents) >= 30
    assert {c.meta["lang"] for c in documents if c.meta["site"] == "main"} == {"az", "en", "ru"}
    assert any(c.expected["doc_number"] for c in documents)
    assert any(c.expected["doc_number"] is None for c in documents)
    assert {c.meta["layout"] for c in documents} == {"main", "mission", "auto"}
    reasons = {c.expected["rejected"].split(" (")[0] for c in cases if "rejected" in c.expected}
    assert reasons == {"empty body", "no title", "no readable publication date"}


def test_the_replica_has_the_real_shapes_issue_12_asks_for():
    documents = [c for c in map(load_case, CASES) if "rejected" not in c.expected]
    urls = {c.meta["url"] for c in documents} | {
        alias for c in documents for alias in c.meta.get("aliases", ())
    }
    # an az and a ru page of a two-language release: ordinary pages of their language
    assert {c.meta["lang"] for c in documents if c.meta["url"].endswith("-enru")} == {"az", "en",
                                                                                    "ru"}  # fmt: skip
    assert any(url.startswith("/index.php/en/") for url in urls)  # main site
    assert any(url.startswith("/index.php/it/news/") for url in urls)  # a mission
    assert {"de", "bg", "it"} <= {c.meta["lang"] for c in documents if c.meta["site"] != "main"}
    # mission URL shapes: /{lang}/news/{slug}, /{lang}/news/{n}/{id}
    assert any(c.meta["url"].startswith("/de/news/no") for c in documents)
    assert any(c.meta["url"] == "/bg/news/152/2211" for c in documents)
    # a host on the main CMS, read by the main layout; a page read by fallbacks
    assert any(c.meta["layout"] == "auto" and c.expected["layout"] == "main" for c in documents)
    assert any(c.expected["extraction"] == "fallback" for c in documents)
    # a release key that had to be shortened, and template pairs in two languages
    assert any(len(c.meta["url"]) > 300 for c in documents)
    templates = [c for c in documents if c.expected.get("template_of")]
    assert {c.meta["lang"] for c in templates} == {"en", "ru"}
