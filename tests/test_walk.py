"""The listing walk's rules, case by case, without Scrapy or a server (crawler.walk)."""

from __future__ import annotations

import datetime as dt

from crawler.items import ListingEntry
from crawler.pages.main import MainSiteV1
from crawler.sites import Site
from crawler.walk import CrawlPlan, ListingWalk
from storage.state import CrawlState

BASE = "https://mfa.gov.az/en/news/"


def entries(*numbers: int, day: dt.date = dt.date(2025, 5, 1)) -> list[ListingEntry]:
    return [ListingEntry(f"{BASE}no{n:03d}25-x", date_text=f"{day:%d %B %Y}") for n in numbers]


def identities(*numbers: int) -> frozenset[str]:
    return frozenset(MainSiteV1.canonical_url(f"{BASE}no{n:03d}25") for n in numbers)


def walk(**state) -> ListingWalk:
    return ListingWalk("main", "en", MainSiteV1.canonical_url, MainSiteV1.read_date, **state)


def urls(verdict) -> list[int]:
    return [int(entry.url.removeprefix(f"{BASE}no")[:3]) for entry in verdict.articles]


def test_a_first_crawl_requests_every_link_and_reads_to_an_empty_page():
    listing = walk()
    first = listing.read(1, 1, entries(1, 2, 3))
    assert (urls(first), first.next_page) == ([1, 2, 3], 2)
    second = listing.read(2, 2, entries(4, 5))
    assert (urls(second), second.next_page) == ([4, 5], 3)
    last = listing.read(3, 3, [])
    assert (last.next_page, last.end, last.alarm) == (None, "has no items: end of listing", False)
    assert listing.outcome is True


def test_a_404_past_the_last_page_ends_the_walk_as_read():
    listing = walk()
    listing.read(1, 1, entries(1))
    assert listing.not_found(2).next_page is None
    assert listing.outcome is True


def test_a_404_on_the_first_page_is_an_alarm_not_a_walked_listing():
    listing = walk()
    verdict = listing.not_found(1)
    assert (verdict.next_page, verdict.alarm) == (None, True)
    assert listing.first_page_empty and listing.outcome is False


def test_a_page_past_the_last_that_redirects_to_page_1_ends_the_walk():
    listing = walk()
    listing.read(1, 1, entries(1, 2))
    back = listing.read(2, 1, entries(1, 2))  # asked for page 2, shown page 1
    assert (back.articles, back.next_page) == ([], None)
    assert back.end == "leads back to page 1: end of listing"
    assert listing.outcome is True


def test_a_page_repeating_an_earlier_one_ends_the_walk():
    listing = walk()
    listing.read(1, 1, entries(1, 2))
    again = listing.read(2, 2, entries(2, 1))
    assert (again.articles, again.next_page) == ([], None)
    assert listing.outcome is True


def test_an_empty_first_page_is_an_alarm_and_not_a_walked_listing():
    listing = walk()
    verdict = listing.read(1, 1, [])
    assert (verdict.next_page, verdict.alarm) == (None, True)
    assert listing.first_page_empty and listing.outcome is False


def test_a_refresh_with_nothing_new_reads_two_pages_and_requests_nothing():
    listing = walk(known=identities(1, 2, 3, 4), walked=True)
    first = listing.read(1, 1, entries(1, 2))
    assert (urls(first), first.next_page) == ([], 2)
    overlap = listing.read(2, 2, entries(3, 4))
    assert (urls(overlap), overlap.next_page) == ([], None)
    assert overlap.end == "was the overlap page: caught up with earlier crawls"
    assert listing.outcome is True and listing.known_skipped == 4


def test_new_items_straddling_a_page_are_all_requested_then_the_walk_stops():
    listing = walk(known=identities(3, 4, 5, 6), walked=True)
    first = listing.read(1, 1, entries(10, 11))
    assert (urls(first), first.next_page) == ([10, 11], 2)
    straddling = listing.read(2, 2, entries(12, 3))  # the last new item, then known ones
    assert (urls(straddling), straddling.next_page) == ([12], 3)
    overlap = listing.read(3, 3, entries(4, 5))
    assert (urls(overlap), overlap.next_page) == ([], None)
    assert listing.outcome is True


def test_a_listing_not_walked_before_is_read_whole_even_when_all_known():
    listing = walk(known=identities(1, 2, 3, 4))  # e.g. a failed download since
    assert listing.read(1, 1, entries(1, 2)).next_page == 2
    assert listing.read(2, 2, entries(3, 4)).next_page == 3


def test_recently_published_known_links_are_requested_again():
    listing = walk(known=identities(1, 2), recheck=identities(2), walked=True)
    assert urls(listing.read(1, 1, entries(1, 2))) == [2]


def test_a_failed_page_is_stepped_over_and_leaves_the_listing_untrusted():
    listing = walk()
    listing.read(1, 1, entries(1))
    assert listing.failed(2, "HTTP 500").next_page == 3  # the walk goes on
    assert urls(listing.read(3, 3, entries(3))) == [3]
    listing.read(4, 4, [])  # a later page of the walk ends it as read
    assert listing.outcome is False and listing.failed_pages == 1


def test_pages_failing_in_a_row_stop_the_walk():
    listing = walk()
    listing.read(1, 1, entries(1))
    assert listing.failed(2, "HTTP 500").next_page == 3
    listing.read(3, 3, entries(3))  # a page read resets the count
    assert listing.failed(4, "HTTP 500").next_page == 5
    assert listing.failed(5, "HTTP 500").next_page == 6
    stop = listing.failed(6, "HTTP 500")
    assert (stop.next_page, stop.alarm) == (None, True)
    assert listing.outcome is False and listing.failed_pages == 4


def test_a_site_that_answers_nothing_is_unreachable_with_the_first_reason():
    main = Site("main", "https://mfa.gov.az", "main", ("az", "en"))
    sofia = Site("sofia", "https://sofia.mfa.gov.az", "mission", ("en",))
    plan = CrawlPlan([(main, "az"), (main, "en"), (sofia, "en")])
    plan.walk("main", "az").failed(1, "download failed: DNSLookupError")
    plan.walk("main", "en").failed(1, "download failed: ConnectionRefusedError")
    plan.walk("sofia", "en").failed(1, "HTTP 503")
    plan.walk("sofia", "en").read(2, 2, entries(1))  # one page answered: reached
    assert plan.unreachable() == {"main": "download failed: DNSLookupError"}


def test_links_to_another_host_are_never_requested():
    site = Site("main", "https://mfa.gov.az", "main", ("en",))
    listing = walk(serves=site.serves)
    forged = ListingEntry("https://mfa-gov.az.example/en/news/no00125-x")
    verdict = listing.read(1, 1, [*entries(2), forged])
    assert urls(verdict) == [2]
    assert verdict.offsite == [forged]


def test_a_site_serves_its_host_and_www_alias_only():
    site = Site("main", "https://mfa.gov.az", "main", ("en",))
    assert site.serves("https://mfa.gov.az/en/news/1")
    assert site.serves("http://www.mfa.gov.az:80/en/news/1")
    assert not site.serves("https://tallinn.mfa.gov.az/en/news/1")
    assert not site.serves("https://mfa.gov.az:8443/en/news/1")
    assert not site.serves("https://mfa.gov.az.evil.example/en/news/1")
    local = Site("main", "http://127.0.0.1:8001", "main", ("en",))
    assert not local.serves("http://127.0.0.1:8002/en/news/1")  # another origin


def test_since_skips_older_links_and_stops_at_a_page_all_older():
    listing = walk(since=dt.date(2025, 5, 1))
    new = listing.read(
        1, 1, entries(1, day=dt.date(2025, 5, 2)) + entries(2, day=dt.date(2025, 4, 30))
    )
    assert (urls(new), new.next_page) == ([1], 2)
    old = listing.read(2, 2, entries(3, 4, day=dt.date(2025, 4, 1)))
    assert (old.articles, old.next_page) == ([], None)
    assert listing.outcome is None  # cut short on purpose: not trusted as walked


def test_an_unreadable_listing_date_is_not_older_than_since():
    listing = walk(since=dt.date(2025, 5, 1))
    undated = [ListingEntry(f"{BASE}no00125-x", date_text="yesterday")]
    assert urls(listing.read(1, 1, undated)) == [1]


def test_max_pages_stops_the_walk_without_trusting_it():
    listing = walk(max_pages=2)
    assert listing.read(1, 1, entries(1)).next_page == 2
    assert listing.read(2, 2, entries(2)).next_page is None
    assert listing.outcome is None


def test_a_plan_has_a_walk_per_site_and_language_and_reports_what_ended():
    main = Site("main", "https://mfa.gov.az", "main", ("az", "en"))
    state = CrawlState(known=identities(1), walked=frozenset({("main", "en")}))
    plan = CrawlPlan([(main, "az"), (main, "en")], state, max_pages=5)
    assert set(plan.walks) == {("main", "az"), ("main", "en")}
    assert plan.walk("main", "en").walked and not plan.walk("main", "az").walked
    assert plan.walk("main", "az").max_pages == 5
    plan.walk("main", "az").read(1, 1, entries(1))
    plan.walk("main", "az").not_found(2)
    plan.walk("main", "en").failed(1, "HTTP 500")
    assert plan.outcomes() == {("main", "az"): True, ("main", "en"): False}
    assert plan.failed_pages == 1 and not plan.first_page_empty


def test_a_page_listed_under_two_spellings_is_requested_once_under_the_first():
    plan = CrawlPlan([(Site("main", "https://mfa.gov.az", "main", ("en", "az")), lang)
                      for lang in ("en", "az")])  # fmt: skip
    en, az = plan.walk("main", "en"), plan.walk("main", "az")
    listed = [ListingEntry(f"{BASE}no00125-statement"), ListingEntry(f"{BASE}no00225")]
    again = [
        ListingEntry("https://mfa.gov.az/index.php/en/news/no00125"),  # the same page
        ListingEntry("https://www.mfa.gov.az/en/news/no00225-with-its-slug"),  # the same page
        ListingEntry(f"{BASE}no00325"),
    ]
    assert [e.url for e in en.read(1, 1, listed).articles] == [e.url for e in listed]
    assert [e.url for e in en.read(2, 2, again).articles] == [f"{BASE}no00325"]
    # another listing of the same crawl knows them too; another crawl does not
    assert az.read(1, 1, [ListingEntry(f"{BASE}no00125")]).articles == []
    fresh = CrawlPlan([(Site("main", "https://mfa.gov.az", "main", ("en",)), "en")])
    assert len(fresh.walk("main", "en").read(1, 1, again).articles) == 3
