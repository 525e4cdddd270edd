"""Every stored page of the replica against its hand-checked expected record.

One case per folder under fixtures/cases/: page.html, meta.json (site,
layout, language, URL, what the listing showed), expected.json (the record,
or the exact reason the page is rejected). New cases are picked up here
without touching this file.
"""

from __future__ import annotations

import pytest
from parsel import Selector
from scrapy.exceptions import DropItem

from crawler.items import Article, ListingEntry
from crawler.pages import LAYOUTS
from crawler.pipelines import normalize
from tests.conftest import CASES, load_case

ORIGIN = "http://replica.test"
REQUIRED = ("site", "lang", "url", "title", "published_on", "body", "body_html")


def process(case_name: str) -> Article:
    case = load_case(next(p for p in CASES if p.name == case_name))
    url = ORIGIN + case.meta["url"]
    html = case.html.replace("{{origin}}", ORIGIN)
    fields = LAYOUTS[case.meta["layout"]].parse_article(Selector(text=html), url)
    listing = ListingEntry(url=url, **case.meta["listing"])
    article = Article(url=url, site=case.meta["site"], lang=case.meta["lang"], raw=fields,
                      listing=listing)  # fmt: skip
    return normalize(article)


@pytest.mark.parametrize("case_path", CASES, ids=[p.name for p in CASES])
def test_case_matches_expected_record(case_path):
    case = load_case(case_path)
    expected = {k: v.replace("{{origin}}", ORIGIN) if isinstance(v, str) else v
                for k, v in case.expected.items()}  # fmt: skip
    if "rejected" in expected:
        with pytest.raises(DropItem) as dropped:
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
