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
    expected.pop("duplicate_of", None)  # an archive-level expectation (tests/test_e2e.py)
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
    assert {c.meta["layout"] for c in documents} == {"main", "mission"}
    reasons = {c.expected["rejected"].split(" (")[0] for c in cases if "rejected" in c.expected}
    assert reasons == {"empty body", "no title", "no readable publication date"}
