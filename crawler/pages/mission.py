"""https://{city}.mfa.gov.az: the embassies' and consulates' sites.

Known (SITE_FACTS.md): the URL shapes (below); the article's text runs date
(ISO), title, body, "Search in archive"; older pages end with "back news prev
news". Not known: any markup. Every selector below is the replica's
invention and the first thing to check against the live site, so each field
has a fallback chain that needs no markup:

1. the invented selectors (``selectors``);
2. the first ``h1``, the ISO date line nearest it, and the HTML between the
   ``h1`` and "Search in archive" (``fallback``);
3. for the body, a generic main-content extractor (trafilatura) (``fallback``).

Which fields came from a fallback is kept with the page (ArticleFields.fallbacks),
stored with its source (``sources.extraction``) and counted in the crawl's
summary: a first crawl of a real mission site that runs on fallbacks says so,
and says which selectors to fix. Listings likewise: the invented classes, then
the main CMS's listing markup, then every link shaped like an article URL.

A host under mfa.gov.az may run the main site's CMS (nato-pfp does): a page
with the main CMS's article markup is read by the main layout (``detect``).
"""

from __future__ import annotations

import re

from parsel import Selector

from crawler.items import ArticleFields, ListingEntry
from crawler.normalize.dates import find_date_text
from crawler.pages.base import (
    MINISTRY_BOILERPLATE,
    MINISTRY_NAMES,
    Layout,
    first_of,
    first_text,
    inner_html,
    select,
    title_from_page_title,
)
from crawler.pages.chrome import ARCHIVE_LINKS
from crawler.pages.fallback import (
    article_links,
    date_near,
    first_heading,
    html_between,
    main_content,
)
from crawler.pages.main import MainSiteV1

# Article URLs seen on real mission sites (SITE_FACTS.md), after /index.php is
# folded: /{lang}/news/{id}/{slug} (most), /{lang}/news/{slug} (berlin,
# nato-pfp), /{lang}/news/{n}/{id} (sofia: the "slug" is a number).
ARTICLE_URL = re.compile(r"^/(?P<lang>[a-z]{2})/news/(?:(?P<id>\d+)/)?(?P<slug>[^/?#]+)$")


class MissionSiteV1(Layout):
    """The mission sites' CMS, as the replica imagines it, with fallbacks for
    the markup it does not know."""

    name = "mission"
    site_names = (
        *MINISTRY_NAMES,
        "embassy of the republic of azerbaijan",
        "consulate general of the republic of azerbaijan",
        "permanent mission of the republic of azerbaijan",
    )
    boilerplate = MINISTRY_BOILERPLATE  # a sibling of the main site's CMS
    article_url = ARTICLE_URL

    listing_items = ("div.news-list a.news-list__item",)
    listing_title = (".news-list__title",)
    listing_date = (".news-list__date",)

    # Every article query runs inside article_scope's element.
    article_scope = ("div.news-single",)
    article_heading = ("h1",)
    article_date = (".news-single__date",)
    article_body = (".news-single__text",)
    article_markers = article_scope

    @classmethod
    def detect(cls, selector: Selector) -> type[Layout]:
        """The main layout for a page of the main CMS; this one for the rest."""
        page = selector.root
        return MainSiteV1 if not cls.shows(page) and MainSiteV1.shows(page) else cls

    @classmethod
    def parse_listing(cls, selector: Selector, url: str) -> list[ListingEntry]:
        return (
            super().parse_listing(selector, url)
            or MainSiteV1.parse_listing(selector, url)
            or article_links(selector.root, url, cls.article_url, cls.ignored_prefixes)
        )

    @classmethod
    def parse_article(cls, selector: Selector, url: str) -> ArticleFields:
        page = selector.root
        scopes = [found for query in cls.article_scope for found in select(page, query)[:1]]
        article = scopes[0] if scopes else None
        fallbacks: list[str] = []
        heading = first_heading(page, cls.site_names)

        title = first_of(article, cls.article_heading) if article is not None else None
        if not title:
            fallbacks.append("title")
            title = (
                first_text([heading] if heading is not None else [])
                or first_of(page, ('meta[property="og:title"]::attr(content)',))
                or title_from_page_title(first_text(select(page, "title")), cls.site_names)
            )

        date_text = first_of(article, cls.article_date) if article is not None else None
        if not date_text:
            fallbacks.append("date")
            if article is not None and (text := first_text([article])):
                date_text = find_date_text(text)
            date_text = date_text or date_near(heading, page)

        body_html = inner_html(article, cls.article_body) if article is not None else None
        if body_html is None:
            fallbacks.append("body")
            if heading is not None:
                body_html = html_between(page, heading, ARCHIVE_LINKS)
            if body_html is None:
                body_html = main_content(page, title)

        return ArticleFields(
            title=title,
            date_text=date_text,
            category=None,  # mission pages show none
            body_html=body_html,
            fallbacks=tuple(fallbacks),
        )
