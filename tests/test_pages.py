"""Page objects on the markup variants SITE_FACTS leaves open."""

import pytest
from parsel import Selector

from crawler.normalize.text import clean_text
from crawler.pages import LAYOUTS
from crawler.pages.base import title_from_page_title
from crawler.pages.main import MainSiteV1
from crawler.pages.mission import MissionSiteV1
from tests.conftest import CASES, ROOT, load_case

# The real page's text, copied into the project so that a clone without the
# ../shared directory beside it (CI has one, a user's clone does not) can test it.
SEED = ROOT / "fixtures" / "seed" / "press-release-2020-10-03.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / SEED.name


def article(html: str, layout=MainSiteV1):
    return layout.parse_article(Selector(text=html), "https://mfa.gov.az/en/news/no1")


def test_title_falls_back_to_og_title_then_page_title():
    assert article('<meta property="og:title" content="From og"><h1> </h1>').title == "From og"
    page = "<title>From title | Ministry of Foreign Affairs of the Republic of Azerbaijan</title>"
    assert article(page).title == "From title"
    assert article("<title>Azərbaycan Respublikası Xarici İşlər Nazirliyi</title>").title is None
    assert article('<section class="section_articleInner"><h1>H1 wins</h1></section>'
                   '<meta property="og:title" content="og">').title == "H1 wins"  # fmt: skip


def test_page_title_without_the_site_name():
    names = MissionSiteV1.site_names
    assert title_from_page_title("A – B | Embassy of the Republic of Azerbaijan in Estonia",
                                 names) == "A – B"  # fmt: skip
    assert title_from_page_title("Just a title", names) == "Just a title"
    assert title_from_page_title(None, names) is None


def test_category_and_date_from_one_text_line():
    fields = article('<div class="section_articleInner_body_information">Press release '
                     "24 September 2019</div>")  # fmt: skip
    assert (fields.category, fields.date_text) == ("Press release", "24 September 2019")


def test_missing_body_container_gives_no_body():
    assert article("<h1>Title</h1><p>Not in the body container</p>").body_html is None


def test_listing_second_public_configuration():
    html = (
        '<div class="section_content"><h1>News</h1></div><div class="section_content">'
        '<a href="/en/news/no1-x"><div class="section_newsIn_item_content--header">T</div>'
        '<span class="section_newsIn_item_content_information--date">03 October 2020</span></a>'
        "</div>"
    )
    (entry,) = MainSiteV1.parse_listing(Selector(text=html), "https://mfa.gov.az/en/news")
    assert (entry.url, entry.title, entry.date_text) == ("/en/news/no1-x", "T", "03 October 2020")


def test_listing_category_archive_family():
    html = (
        '<div class="section_content"><a class="section_archive_item" href="/en/news/no2">'
        '<div class="section_archive_item_content--header">Archived</div>'
        '<span class="section_archive_item_content_information--date">24 May 2019</span></a></div>'
    )
    (entry,) = MainSiteV1.parse_listing(Selector(text=html), "https://mfa.gov.az/en/category/x")
    assert (entry.title, entry.date_text) == ("Archived", "24 May 2019")


def test_mission_date_found_in_the_article_text_when_its_element_is_unknown():
    html = '<div class="news-single"><p>2020-09-29</p><h1>T</h1></div>'
    assert article(html, MissionSiteV1).date_text == "2020-09-29"


def test_layouts_are_registered_by_sites_file_name():
    assert LAYOUTS == {"main": MainSiteV1, "mission": MissionSiteV1}


def test_the_seed_page_is_in_the_replica_as_published():
    """The real page's text, less its date line, title and archive link, is the case's
    body once normalized (the real page has a non-breaking space, for one)."""
    text = SEED.read_text(encoding="utf-8")
    lines = [clean_text(line) for line in text.split("\n\n") if line.strip()]
    date_line, title, *paragraphs, archive_link = lines
    assert (date_line, archive_link) == ("2020-10-03", "Search in archive")
    (case,) = [load_case(p) for p in CASES if "seed" in p.name]
    assert case.expected["title"] == title
    assert case.expected["published_on"] == date_line
    assert case.expected["body"] == "\n\n".join(paragraphs)


@pytest.mark.skipif(
    not SHARED_SEED.exists(), reason=f"no {SHARED_SEED} beside this clone to compare the copy with"
)
def test_the_seed_copy_is_the_shared_seed():
    assert SEED.read_bytes() == SHARED_SEED.read_bytes(), f"{SEED} differs from {SHARED_SEED}"
