"""https://{city}.mfa.gov.az: the embassies' and consulates' sites.

Known (SITE_FACTS.md): article URLs /{lang}/news/{id}/{slug}; the article's
text runs date (ISO), title, body, "Search in archive". Not known: any
markup. Every selector below is the replica's invention, and the first thing
to check against the live site.
"""

from __future__ import annotations

from parsel import Selector

from crawler.items import ArticleFields
from crawler.normalize.dates import find_date_text
from crawler.pages.base import (
    MINISTRY_BOILERPLATE,
    MINISTRY_NAMES,
    Layout,
    article_title,
    first_of,
    first_text,
    inner_html,
    scope,
)


class MissionSiteV1(Layout):
    """The mission sites' CMS, as the replica imagines it."""

    name = "mission"
    site_names = (
        *MINISTRY_NAMES,
        "embassy of the republic of azerbaijan",
        "consulate general of the republic of azerbaijan",
        "permanent mission of the republic of azerbaijan",
    )
    boilerplate = MINISTRY_BOILERPLATE  # a sibling of the main site's CMS

    listing_items = ("div.news-list a.news-list__item",)
    listing_title = (".news-list__title",)
    listing_date = (".news-list__date",)

    # Every article query runs inside article_scope's element (else the whole page).
    article_scope = ("div.news-single",)
    article_heading = ("h1",)
    article_date = (".news-single__date",)
    article_body = (".news-single__text",)

    @classmethod
    def parse_article(cls, selector: Selector, url: str) -> ArticleFields:
        page = selector.root
        article = scope(page, cls.article_scope)
        date_text = first_of(article, cls.article_date)
        if not date_text:
            # The date line is the first ISO date in the article's text.
            text = first_text([article])
            date_text = find_date_text(text) if text else None
        return ArticleFields(
            title=article_title(page, article, cls.article_heading, cls.site_names),
            date_text=date_text,
            category=None,  # mission pages show none
            body_html=inner_html(article, cls.article_body),
        )
