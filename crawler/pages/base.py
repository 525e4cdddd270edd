"""What every layout offers the spider: listing URLs, listing items, article fields."""

from __future__ import annotations

import functools
import html
from typing import Any, ClassVar

from lxml import etree
from parsel import Selector, css2xpath

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
            if items := select(selector.root, query):
                break
        else:
            return []
        entries = []
        for item in items:
            href = (item.get("href") or "").strip()
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


@functools.cache
def compiled(query: str) -> etree.XPath:
    """A CSS query translated and compiled once. parsel's ``.css()`` does both at
    every call, and wraps every match in a Selector: on a listing item or an
    article's subtree that was most of a query's cost."""
    return etree.XPath(css2xpath(query))


def select(node: etree._Element, query: str) -> list[Any]:
    """What a CSS query finds under a node: elements, or strings for ``::text``/``::attr``."""
    return compiled(query)(node)


def first_text(nodes: list[Any]) -> str | None:
    """All the text of the first matching node, cleaned; None if none or empty."""
    for node in nodes:
        # Text nodes joined by a space: "<span>Press release</span><span>24 ...</span>".
        text = clean_text(" ".join(node.itertext()) if hasattr(node, "itertext") else str(node))
        return text or None
    return None


def first_of(node: etree._Element, queries: tuple[str, ...]) -> str | None:
    """The text of the first CSS query that finds non-empty text."""
    for query in queries:
        text = first_text(select(node, query))
        if text:
            return text
    return None


def inner_html(node: etree._Element, queries: tuple[str, ...]) -> str | None:
    """The inner HTML of the first node the first matching query finds."""
    for query in queries:
        for found in select(node, query):
            return html.escape(found.text or "", quote=False) + "".join(
                etree.tostring(child, encoding=str, method="html") for child in found
            )
    return None


def scope(node: etree._Element, queries: tuple[str, ...]) -> etree._Element:
    """The first node a query finds, else the node itself: later queries search
    a small subtree instead of the whole document (each full scan costs ~0.1 ms)."""
    for query in queries:
        if found := select(node, query):
            return found[0]
    return node


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
    page: etree._Element, article: etree._Element, heading_queries: tuple[str, ...]
) -> str | None:
    """The article's heading; failing that og:title; failing that <title> less the site."""
    return (
        first_of(article, heading_queries)
        or first_of(page, ('meta[property="og:title"]::attr(content)',))
        or title_from_page_title(first_text(select(page, "title")))
    )
