"""Page objects on the markup variants SITE_FACTS leaves open."""

import pytest
from parsel import Selector

from crawler.extract import extract_article
from crawler.items import FetchedPage, ListingEntry
from crawler.normalize.body import normalize_body
from crawler.normalize.text import clean_text
from crawler.pages import LAYOUTS
from crawler.pages.auto import AutoLayout
from crawler.pages.base import title_from_page_title
from crawler.pages.main import MainSiteV1
from crawler.pages.mission import ARTICLE_URL, MissionSiteV1
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
    fields = article(html, MissionSiteV1)
    assert (fields.date_text, fields.fallbacks) == ("2020-09-29", ("date", "body"))


def test_layouts_are_registered_by_sites_file_name():
    assert LAYOUTS == {"main": MainSiteV1, "mission": MissionSiteV1, "auto": AutoLayout}


# -- the mission layout's fallback chain ----------------------------------------

MISSION_CHROME = (
    '<div class="top"><a href="/en">Embassy of the Republic of Azerbaijan in Berlin</a>'
    '<ul><li><a href="/en/about">About</a></li><li><a href="/en/news">News</a></li></ul></div>'
)
PARAGRAPHS = (
    "On 4 March 2025, the Ambassador met students of the Humboldt University in Berlin and "
    "spoke about the history and culture of Azerbaijan.",
    "The students asked about the peace process in the South Caucasus and the energy projects "
    "of the region.",
)


def mission_page(main: str) -> str:
    return (
        "<html><head><title>Embassy</title></head><body>"
        "<h1>Embassy of the Republic of Azerbaijan in Germany</h1>"  # a header's logo
        f"{MISSION_CHROME}{main}</body></html>"
    )


def body_of(fields) -> str:
    return normalize_body(fields.body_html or "", "https://berlin.mfa.gov.az/en/news/x",
                          MissionSiteV1.boilerplate).text  # fmt: skip


def test_a_mission_page_read_by_its_selectors_says_so():
    html = mission_page(
        '<div class="news-single"><div class="news-single__date">2025-03-04</div>'
        '<h1>Ambassador meets students</h1><div class="news-single__text">'
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div></div>"
    )  # fmt: skip
    fields = article(html, MissionSiteV1)
    assert (fields.title, fields.date_text, fields.fallbacks) == (
        "Ambassador meets students", "2025-03-04", ()
    )  # fmt: skip
    assert fields.extraction == "selectors"
    assert body_of(fields) == "\n\n".join(PARAGRAPHS)


def test_a_mission_page_without_the_invented_classes_is_read_from_its_text_order():
    """h1, the ISO date line beside it, the text up to "Search in archive";
    "back news prev news" is navigation, not body."""
    html = mission_page(
        '<div class="content"><span class="when">2025-03-04</span><h1>Ambassador meets '
        'students</h1><div class="text">' + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + '</div><p><a href="/en/news/1">back news</a> <a href="/en/news/2">prev news</a></p>'
        '<div class="more"><a href="/en/news">Search in archive</a></div></div>'
        '<div class="sidebar"><p>2024-01-01 Older news you may like</p></div>'
    )  # fmt: skip
    fields = article(html, MissionSiteV1)
    assert (fields.title, fields.date_text) == ("Ambassador meets students", "2025-03-04")
    assert fields.fallbacks == ("title", "date", "body")
    assert fields.extraction == "fallback"
    assert body_of(fields) == "\n\n".join(PARAGRAPHS)


def test_the_text_order_fallback_leaves_the_page_as_it_was():
    html = mission_page('<h1>T</h1>tail<p>Body.</p><a href="/en/news">Search in archive</a>')
    selector = Selector(text=html)
    before = selector.root.xpath("string(//body)")
    MissionSiteV1.parse_article(selector, "https://x.mfa.gov.az/en/news/1/t")
    assert selector.root.xpath("string(//body)") == before


def test_a_mission_page_with_no_known_order_falls_back_to_a_main_content_extractor():
    """No invented classes, no archive link: trafilatura finds the main text
    (and the title it repeats is left out)."""
    html = mission_page(
        '<main><h1>Ambassador meets students</h1><p class="meta">Published 2025-03-04</p>'
        "<section>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</section></main>"
        "<footer><p>© Embassy of the Republic of Azerbaijan</p></footer>"
    )  # fmt: skip
    fields = article(html, MissionSiteV1)
    assert (fields.title, fields.date_text) == ("Ambassador meets students", "2025-03-04")
    assert fields.fallbacks == ("title", "date", "body")
    assert body_of(fields) == "\n\n".join(PARAGRAPHS)


@pytest.mark.parametrize(
    ("path", "lang", "id_", "slug"),
    [
        ("/en/news/3031/statement-by-the-ministry", "en", "3031", "statement-by-the-ministry"),
        ("/de/news/no43823-erklaerung-des-ministeriums", "de", None, "no43823-erklaerung-des-ministeriums"),
        ("/en/news/151/3074", "en", "151", "3074"),
        ("/it/news/5343/no07226-incontro", "it", "5343", "no07226-incontro"),
    ],
)  # fmt: skip
def test_every_mission_url_shape_parses(path, lang, id_, slug):
    match = ARTICLE_URL.match(path)
    assert match is not None
    assert (match["lang"], match["id"], match["slug"]) == (lang, id_, slug)


@pytest.mark.parametrize(
    ("url", "title_number", "key"),
    [
        # a number in the slug, in the main site's form, is the release's
        ("https://x.mfa.gov.az/en/news/3605/no43823-azerbaycan-respublikasinin", None, "no:438/23"),
        ("https://berlin.mfa.gov.az/de/news/no31225-minister-bayramov", None, "no:312/25"),
        ("https://rome.mfa.gov.az/index.php/it/news/5343/no07226-incontro", None, "no:072/26"),
        # the title's number wins; without either, a mission page stands alone
        ("https://x.mfa.gov.az/en/news/3605/no43823-x", "438/20", "no:438/20"),
        ("https://sofia.mfa.gov.az/bg/news/151/3074", None, None),
        ("https://berlin.mfa.gov.az/de/news/botschaft-empfaengt", None, None),
    ],
)  # fmt: skip
def test_mission_release_keys_come_from_the_title_else_the_slug(url, title_number, key):
    assert MissionSiteV1.release_key(title_number, url) == key


def test_the_main_sites_slug_keys_fold_index_php_and_fit_the_archive():
    slug = "joint-" + "communique-" * 40
    plain = MainSiteV1.release_key(None, f"https://mfa.gov.az/en/news/{slug}")
    assert plain == MainSiteV1.release_key(None, f"https://mfa.gov.az/index.php/az/news/{slug}")
    assert plain is not None and len(plain) == 160 and plain.startswith("slug:joint-communique-")
    assert plain != MainSiteV1.release_key(None, f"https://mfa.gov.az/en/news/{slug}x")
    assert (
        MainSiteV1.release_key(None, "https://mfa.gov.az/index.php/en/news/short") == "slug:short"
    )


# -- which layout reads a page ----------------------------------------------------


def main_cms_page() -> str:
    (case,) = [load_case(p) for p in CASES if p.name == "natopfp-en-no21019-baku-forum"]
    return case.html.replace("{{origin}}", "https://nato-pfp.mfa.gov.az")


def test_a_page_of_the_main_cms_is_read_by_the_main_layout_whatever_the_site_says():
    selector = Selector(text=main_cms_page())
    assert AutoLayout.detect(selector) is MainSiteV1
    assert MissionSiteV1.detect(selector) is MainSiteV1  # a layout stated wrongly
    assert MainSiteV1.detect(selector) is MainSiteV1
    mission = Selector(text=mission_page('<div class="news-single"><h1>T</h1></div>'))
    assert (
        AutoLayout.detect(mission) is MissionSiteV1
        and MissionSiteV1.detect(mission) is MissionSiteV1
    )
    unknown = Selector(text=mission_page("<h1>T</h1><p>2025-01-01</p>"))
    assert AutoLayout.detect(unknown) is MissionSiteV1  # its fallbacks read anything


@pytest.mark.parametrize("stated", ["auto", "mission", "main"])
def test_the_layout_that_read_a_page_is_recorded_and_the_record_is_the_same(stated):
    url = "https://nato-pfp.mfa.gov.az/en/news/no21019-press-release-on-the-baku-global-forum"
    page = FetchedPage(url=url, site="natopfp", lang="en", layout=stated,
                       body=main_cms_page().encode(), encoding="utf-8",
                       listing=ListingEntry(url=url))  # fmt: skip
    article_ = extract_article(page)
    assert (article_.layout, article_.raw.extraction) == ("main", "selectors")
    assert (article_.doc_number, article_.category, article_.release_key) == (
        "210/19", "Press release", "no:210/19"
    )  # fmt: skip
    # the URL's identity is the stated layout's, as that site's listings see it
    assert article_.canonical_url == LAYOUTS[stated].canonical_url(url)


def test_auto_listings_are_read_by_the_layout_whose_markup_they_show():
    main_listing = (
        '<div class="section_content"></div><div class="section_content">'
        '<a class="section_newsIn_item" href="/en/news/no21019-x">'
        '<div class="section_newsIn_item_content--header">T</div>'
        '<span class="section_newsIn_item_content_information--date">14 March 2019</span></a></div>'
    )
    (entry,) = AutoLayout.parse_listing(Selector(text=main_listing), "https://n.az/en/news")
    assert (entry.url, entry.title, entry.date_text) == ("/en/news/no21019-x", "T", "14 March 2019")


def test_a_mission_listing_of_unknown_markup_gives_its_links_shaped_like_articles():
    listing = mission_page(
        '<ul class="items"><li><a href="/de/news/botschaft-empfaengt">Botschaft empfängt'
        " Studierende</a><span>2025-11-20</span></li>"
        '<li><a href="/index.php/de/news/3074/x">2025-11-19 Zweite</a></li>'
        '<li><a href="/en/news/1/english">English</a></li></ul>'
        '<a href="/de/news?page=2">2</a><a href="/de/news">Archiv</a>'
    )  # fmt: skip
    entries = MissionSiteV1.parse_listing(
        Selector(text=listing), "https://berlin.mfa.gov.az/de/news?page=1"
    )
    assert [(e.url, e.title, e.date_text) for e in entries] == [
        ("/de/news/botschaft-empfaengt", "Botschaft empfängt Studierende", "2025-11-20"),
        ("/index.php/de/news/3074/x", "Zweite", "2025-11-19"),
    ]


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
