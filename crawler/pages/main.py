"""https://mfa.gov.az: the ministry's main site.

Documented (SITE_FACTS.md): listing items, their title/category/date markup,
the body container, the boilerplate, URL shapes. Guessed (no public copy shows
them): the article's heading and category-and-date line, hence the fallbacks.
"""

from __future__ import annotations

import re

from parsel import Selector

from crawler.items import ArticleFields
from crawler.normalize.body import Boilerplate
from crawler.normalize.dates import find_date_text
from crawler.normalize.text import clean_text
from crawler.pages.base import (
    MINISTRY_BOILERPLATE,
    Layout,
    article_title,
    first_of,
    inner_html,
    scope,
)


class MainSiteV1(Layout):
    """The layout of mfa.gov.az as public copies show it from 2019 on."""

    name = "main"
    authoritative = True  # the ministry's own site: its copy is the primary one
    boilerplate = MINISTRY_BOILERPLATE | Boilerplate.of(
        lines=("news banner image Desktop", "news banner image Mobile")
    )
    # A numbered release's slug is decoration: /en/news/no43820-head-of-the-press-service
    # is /en/news/no43820 (SITE_FACTS.md); in any language the CMS serves.
    identity_rule = (re.compile(r"^(/[a-z]{2}/news/no\d{5})-[^/]+$"), r"\1")
    # An un-numbered release's slug is shared by its pages in every language.
    release_slug = re.compile(r"^/[a-z]{2}/news/(?P<slug>[^/?#]+)$")

    # Listing: news (/{lang}/news) and category (/{lang}/category/...) pages.
    listing_items = (
        "div.section_content a.section_newsIn_item",
        "div.section_content a.section_archive_item",
        "div.section_content > a",  # the second public configuration's reading
    )
    listing_title = (
        "div.section_newsIn_item_content--header",
        "div.section_archive_item_content--header",
    )
    listing_date = (
        "span.section_newsIn_item_content_information--date",
        "span.section_archive_item_content_information--date",
        "div.section_newsIn_item_content_information span:nth-of-type(2)",
    )
    listing_category = (
        "span.section_newsIn_item_content_information--category",
        "div.section_newsIn_item_content_information span:nth-of-type(1)",
    )

    # Article page. Every query below runs inside the first element that
    # article_scope finds, or the whole page if it finds none.
    article_scope = ("section.section_articleInner", "main")
    article_heading = ("h1",)
    article_date = ("span.section_articleInner_body_information--date",)
    article_category = ("span.section_articleInner_body_information--category",)
    article_info_line = ("div.section_articleInner_body_information",)
    article_body = ("div.section_articleInner_body_content--description",)
    # What tells a page of this CMS, on any host (a host under mfa.gov.az may run it).
    article_markers = (
        "div.section_articleInner_body_content--description",
        "section.section_articleInner",
        "div.section_articleInner_body_information",
    )

    @classmethod
    def parse_article(cls, selector: Selector, url: str) -> ArticleFields:
        page = selector.root
        article = scope(page, cls.article_scope)
        date_text = first_of(article, cls.article_date)
        category = first_of(article, cls.article_category)
        info_line = first_of(article, cls.article_info_line)
        fallbacks = []
        if info_line and not date_text:
            # One text line, "Press release 24 September 2019": split it.
            date_text = find_date_text(info_line)
            fallbacks.append("date")
            if not category:
                category = clean_text(info_line.replace(date_text or "", "")) or None
        title, title_fell_back = article_title(page, article, cls.article_heading, cls.site_names)
        if title_fell_back:
            fallbacks.append("title")
        return ArticleFields(
            title=title,
            date_text=date_text,
            category=category,
            body_html=inner_html(article, cls.article_body),
            fallbacks=tuple(fallbacks),
        )
