import pytest

from crawler.pages.auto import AutoLayout
from crawler.pages.main import MainSiteV1
from crawler.pages.mission import MissionSiteV1
from crawler.urls import canonical_url, strip_tracking


@pytest.mark.parametrize(
    "spelling",
    [
        "https://mfa.gov.az/en/news/no43820-x",
        "http://mfa.gov.az/en/news/no43820-x",
        "https://www.mfa.gov.az/en/news/no43820-x",
        "https://MFA.GOV.AZ/en/news/no43820-x/",
        "https://mfa.gov.az:443/en/news/no43820-x#top",
        "https://mfa.gov.az/en/news/no43820-x?utm_source=fb&utm_campaign=x&fbclid=1",
    ],
)
def test_spellings_of_one_url(spelling):
    assert canonical_url(spelling) == "https://mfa.gov.az/en/news/no43820-x"


def test_what_makes_another_url():
    assert canonical_url("https://mfa.gov.az/en/news?page=2") != canonical_url(
        "https://mfa.gov.az/en/news?page=3"
    )
    assert canonical_url("https://mfa.gov.az/EN/news") != canonical_url(
        "https://mfa.gov.az/en/news"
    )
    assert canonical_url("https://tallinn.mfa.gov.az/en/news/1") != canonical_url(
        "https://sofia.mfa.gov.az/en/news/1"
    )
    assert canonical_url("http://127.0.0.1:8000/x") != canonical_url("http://127.0.0.1:8001/x")


def test_query_order_does_not_matter():
    assert canonical_url("https://x.az/a?b=2&a=1") == canonical_url("https://x.az/a?a=1&b=2")


def test_strip_tracking_keeps_a_fetchable_url():
    assert strip_tracking("http://WWW.Mfa.gov.az/en/news/1/?utm_source=x&page=2#f") == (
        "http://WWW.Mfa.gov.az/en/news/1/?page=2"
    )


def test_the_main_sites_release_slug_is_decoration():
    bare = "https://mfa.gov.az/en/news/no07226"
    slugged = "https://mfa.gov.az/en/news/no07226-press-release-on-the-meeting"
    assert MainSiteV1.canonical_url(slugged) == MainSiteV1.canonical_url(bare) == bare
    # not on mission sites, and not for un-numbered items
    assert MissionSiteV1.canonical_url("https://tallinn.mfa.gov.az/en/news/no07226-x").endswith(
        "/no07226-x"
    )
    assert MainSiteV1.canonical_url("https://mfa.gov.az/en/news/statement-x").endswith(
        "/statement-x"
    )


@pytest.mark.parametrize("layout", [MainSiteV1, MissionSiteV1, AutoLayout])
def test_the_index_php_prefix_is_no_other_url_on_any_layout(layout):
    for plain, prefixed in [
        ("https://mfa.gov.az/en/news/no33122", "https://www.mfa.gov.az/index.php/en/news/no33122"),
        ("https://rome.mfa.gov.az/it/news/5343/x", "https://rome.mfa.gov.az/index.php/it/news/5343/x"),
        ("https://mfa.gov.az/en/news/statement-x", "http://mfa.gov.az/index.php/en/news/statement-x/"),
    ]:  # fmt: skip
        assert layout.canonical_url(prefixed) == layout.canonical_url(plain)
    # only a whole first segment is a prefix
    assert MainSiteV1.canonical_url("https://mfa.gov.az/index.phpx/en/news/1").endswith(
        "/index.phpx/en/news/1"
    )


def test_the_main_cms_folds_a_numbered_slug_in_any_language():
    assert MainSiteV1.canonical_url("https://mfa.gov.az/index.php/de/news/no33122-x") == (
        "https://mfa.gov.az/de/news/no33122"
    )
    # a host of unknown CMS keeps the main CMS's rule: its listing identities must
    # not depend on which layout later reads the page
    assert AutoLayout.canonical_url("https://nato-pfp.mfa.gov.az/en/news/no21019-x") == (
        "https://nato-pfp.mfa.gov.az/en/news/no21019"
    )
