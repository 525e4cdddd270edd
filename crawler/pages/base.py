"""What every layout offers the spider: listing URLs, listing items, article fields."""

from __future__ import annotations

import html
from typing import ClassVar

from lxml import etree
from parsel import Selector, SelectorList

from crawler.items import ArticleFields, ListingEntry
from crawler.normalize.text import clean_text


class Layout:
    """A site layout: how to find its listings, and read them and its articles.

    Subclasses set the selectors as class attributes and may override the
    methods where the markup needs more than a selector.
    """

    #: Path of listing page N of a language; {lang} and {page} are filled in.
    listing_path: ClassVar[str] = "/{lang}/news?page={page}"
    #: Name of the page number's query parameter (listing URLs without it are page 1).
    page_parameter: ClassVar[str] = "page"

    # Each selector is a tuple of CSS queries tried in order: the first that
    # finds something wins. An empty tuple: the layout does not show it.
    listing_items: ClassVar[tuple[str, ...]] = ()
    listing_title: ClassVar[tuple[str, ...]] = ()
    listing_date: ClassVar[tuple[str, ...]] = ()
    listing_category: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def listing_url(cls, base_url: str, lang: str, page: int) -> str:
        return base_url + cls.listing_path.format(lang=lang, page=page)

    @classmethod
    def parse_listing(cls, selector: Selector, url: str) -> list[ListingEntry]:
        """The links of a listing page, with what the listing says of each."""
        for query in cls.listing_items:
            if items := selector.css(query):
                break
        else:
            return []
        entries = []
        for item in items:
            href = item.attrib.get("href", "").strip()
            if not href or href.startswith(("#", "javascript:")):
                continue
            entries.append(
                ListingEntry(
                    url=href,
                    title=first_of(item, cls.listing_title),
                    date_text=first_of(item, cls.listing_date),
                    category=first_of(item, cls.listing_category),
                )
            )
        return entries

    @classmethod
    def parse_article(cls, selector: Selector, url: str) -> ArticleFields:
        raise NotImplementedError


def first_text(nodes: SelectorList[Selector]) -> str | None:
    """All the text of the first matching node, cleaned; None if none or empty."""
    for node in nodes:
        root = node.root
        # Text nodes joined by a space: "<span>Press release</span><span>24 ...</span>".
        text = clean_text(" ".join(root.itertext()) if hasattr(root, "itertext") else str(root))
        return text or None
    return None


def first_of(selector: Selector, queries: tuple[str, ...]) -> str | None:
    """The text of the first CSS query that finds non-empty text."""
    for query in queries:
        text = first_text(selector.css(query))
        if text:
            return text
    return None


def inner_html(selector: Selector, queries: tuple[str, ...]) -> str | None:
    """The inner HTML of the first node the first matching query finds."""
    for query in queries:
        for node in selector.css(query):
            root = node.root
            return html.escape(root.text or "", quote=False) + "".join(
                etree.tostring(child, encoding=str, method="html") for child in root
            )
    return None


def scope(selector: Selector, queries: tuple[str, ...]) -> Selector:
    """The first node a query finds, else the whole page: later queries search
    a small subtree instead of the whole document (each full scan costs ~0.1 ms)."""
    for query in queries:
        found = selector.css(query)
        if found:
            return found[0]
    return selector


# What a <title> holds besides the article's title: the sites' own names.
SITE_NAME_PATTERNS = (
    "ministry of foreign affairs of the republic of azerbaijan",
    "azərbaycan respublikası xarici i̇şlər nazirliyi",
    "azərbaycan respublikası xarici işlər nazirliyi",
    "министерство иностранных дел азербайджанской республики",
    "embassy of the republic of azerbaijan",
    "consulate general of the republic of azerbaijan",
    "permanent mission of the republic of azerbaijan",
)
TITLE_SEPARATORS = (" | ", " – ", " — ", " - ")


def title_from_page_title(page_title: str | None) -> str | None:
    """``"Title | Ministry of ..."`` -> ``"Title"``; a bare site name -> None."""
    if not page_title:
        return None
    parts = [page_title]
    for separator in TITLE_SEPARATORS:
        if separator in page_title:
            parts = page_title.split(separator)
            break
    kept = [part for part in parts if not part.strip().casefold().startswith(SITE_NAME_PATTERNS)]
    return clean_text(" | ".join(kept)) or None


def article_title(
    page: Selector, article: Selector, heading_queries: tuple[str, ...]
) -> str | None:
    """The article's heading; failing that og:title; failing that <title> less the site."""
    return (
        first_of(article, heading_queries)
        or clean_text(page.css('meta[property="og:title"]::attr(content)').get(""))
        or None
        or title_from_page_title(first_text(page.css("title")))
    )
