"""What every layout offers: listing URLs, listing items, article fields, and the
site's rules (URL identity, release keys, two-language pages, boilerplate, dates),
and which layout reads a page (``detect``: a host may run another CMS than stated).

Nothing outside a layout knows a site's rules: the spider and the pipelines
ask the site's layout, and storage receives the values it computed.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector, css2xpath

from crawler.items import ArticleFields, ListingEntry
from crawler.normalize.bilingual import languages_of
from crawler.normalize.body import Boilerplate
from crawler.normalize.dates import parse_site_date
from crawler.normalize.text import clean_text
from crawler.pages.chrome import ministry_boilerplate
from crawler.urls import canonical_url, without_prefix
from storage.records import fitted_key, number_key

# What the ministry's sites put in a <title> besides the article's title.
MINISTRY_NAMES = (
    "ministry of foreign affairs of the republic of azerbaijan",
    "azərbaycan respublikası xarici i̇şlər nazirliyi",
    "azərbaycan respublikası xarici işlər nazirliyi",
    "министерство иностранных дел азербайджанской республики",
)
TITLE_SEPARATORS = (" | ", " – ", " — ", " - ")
# Chrome the ministry's CMSs share, in every language (crawler.pages.chrome).
MINISTRY_BOILERPLATE = ministry_boilerplate()
# A numbered release's number as its slug opens with it, on the main site and on
# missions alike: /en/news/no43820-..., /en/news/3605/no43823-..., /de/news/no43823-...
RELEASE_NUMBER_IN_SLUG = re.compile(
    r"^/[a-z]{2}/news/(?:\d+/)?no(?P<number>\d{3})(?P<year>\d{2})(?:-[^/]*)?$"
)


class Layout:
    """A site layout: how to find its listings, read them and its articles, and
    the site's own rules.

    Subclasses set the selectors and rules as class attributes and may
    override the methods where the markup needs more than a selector.
    """

    #: The name a sites file gives this layout (``layout = "main"``).
    name: ClassVar[str]
    #: The ministry's own site: its copy of a statement outranks every other.
    authoritative: ClassVar[bool] = False
    #: What a <title> holds besides the article's title: the site's names.
    site_names: ClassVar[tuple[str, ...]] = MINISTRY_NAMES
    #: Chrome that must never reach a body.
    boilerplate: ClassVar[Boilerplate] = Boilerplate()
    #: A path rule of URL identity beyond crawler.urls's: (pattern, replacement).
    identity_rule: ClassVar[tuple[re.Pattern[str], str] | None] = None
    #: Path prefixes the site ignores: /index.php/en/news/x is /en/news/x (SITE_FACTS.md).
    ignored_prefixes: ClassVar[tuple[str, ...]] = ("/index.php",)
    #: A release's number in its URL, as a path pattern with ``number`` and
    #: ``year`` groups: the release key of a page whose title shows no number.
    slug_number: ClassVar[re.Pattern[str] | None] = RELEASE_NUMBER_IN_SLUG
    #: The slug un-numbered releases share across languages, as a path pattern
    #: with a ``slug`` group; None: the layout's releases share none.
    release_slug: ClassVar[re.Pattern[str] | None] = None
    #: CSS queries of which any finding something says a page has this layout's
    #: article markup (``detect``); empty: nothing tells.
    article_markers: ClassVar[tuple[str, ...]] = ()

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
    def canonical_url(cls, url: str) -> str:
        """The identity of a URL of this site, for comparing, never for fetching."""
        return canonical_url(url, cls.identity_rule, cls.ignored_prefixes)

    @classmethod
    def path(cls, url: str) -> str:
        """The URL's path as the site means it: without the prefixes it ignores."""
        return without_prefix(urlsplit(url).path, cls.ignored_prefixes)

    @classmethod
    def release_key(cls, doc_number: str | None, url: str) -> str | None:
        """What a release's languages share: its number (from the title, else
        from the slug), else the layout's slug; None for an item of its own.
        Long slugs are shortened to fit the archive (storage.records.fitted_key)."""
        if doc_number:
            return number_key(doc_number)
        path = cls.path(url)
        if cls.slug_number is not None and (match := cls.slug_number.match(path)):
            return number_key(f"{match['number']}/{match['year']}")
        if cls.release_slug is not None and (match := cls.release_slug.match(path)):
            return fitted_key(f"slug:{match['slug']}")
        return None

    @classmethod
    def read_date(cls, text: str | None, lang: str) -> dt.date | None:
        """The calendar day a date line of this site names, or None."""
        return parse_site_date(text, lang)

    @classmethod
    def two_languages(
        cls, title: str, url: str, lang: str, paragraphs: tuple[str, ...]
    ) -> tuple[str, str] | None:
        """(first, second) language of a two-language page, or None: decided by
        what the page holds (crawler.normalize.bilingual.languages_of)."""
        return languages_of(title, cls.path(url), lang, paragraphs)

    @classmethod
    def shows(cls, page: etree._Element) -> bool:
        """Whether a page has this layout's article markup."""
        return any(select(page, query) for query in cls.article_markers)

    @classmethod
    def detect(cls, selector: Selector) -> type[Layout]:
        """The layout that reads this page: this one, unless a layout overrides
        this to recognise another CMS's markup (a host may run another CMS than
        the sites file says)."""
        return cls

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


def title_from_page_title(page_title: str | None, site_names: tuple[str, ...]) -> str | None:
    """``"Title | Ministry of ..."`` -> ``"Title"``; a bare site name -> None."""
    if not page_title:
        return None
    parts = [page_title]
    for separator in TITLE_SEPARATORS:
        if separator in page_title:
            parts = page_title.split(separator)
            break
    kept = [part for part in parts if not part.strip().casefold().startswith(site_names)]
    return clean_text(" | ".join(kept)) or None


def article_title(
    page: etree._Element,
    article: etree._Element,
    heading_queries: tuple[str, ...],
    site_names: tuple[str, ...],
) -> tuple[str | None, bool]:
    """The article's heading; failing that og:title; failing that <title> less
    the site. And whether it came from a fallback rather than the heading."""
    if heading := first_of(article, heading_queries):
        return heading, False
    return (
        first_of(page, ('meta[property="og:title"]::attr(content)',))
        or title_from_page_title(first_text(select(page, "title")), site_names)
    ), True
