"""Reading a page whose markup no selector knows: the mission sites' fallbacks.

What SITE_FACTS.md knows of a mission article is the order of its text (the
date in ISO form on a line of its own, the title, the body, then "Search in
archive") and its URL shapes; its markup is not known. These readers use only
that order, and last a generic main-content extractor (trafilatura), which
runs only when everything else failed: it is imported then, not before (it
costs some 0.2 s to import and 10 ms a page).
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.items import ListingEntry
from crawler.normalize.dates import find_date_text
from crawler.normalize.text import clean_text
from crawler.urls import without_prefix

_START, _STOP = "mfa-archive-start", "mfa-archive-stop"
_BETWEEN = re.compile(f"<!--{_START}-->(.*)<!--{_STOP}-->", re.DOTALL)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_TAG = re.compile(r"<[^>]*>")


def first_heading(page: etree._Element, site_names: tuple[str, ...] = ()) -> etree._Element | None:
    """The page's first h1 with text that is not the site's name (a header's logo)."""
    for h1 in page.iter("h1"):
        text = clean_text("".join(h1.itertext())).casefold()
        if text and not text.startswith(site_names):
            return h1
    return None


def date_near(heading: etree._Element | None, page: etree._Element) -> str | None:
    """The ISO date line closest to the title: in the smallest container of the
    heading that holds one, else anywhere on the page."""
    containers = list(heading.iterancestors()) if heading is not None else []
    for container in [*containers, page]:
        text = " ".join(container.itertext())
        if _ISO_DATE.search(text):
            return find_date_text(text)
    return None


def html_between(
    page: etree._Element, start: etree._Element, stop_texts: frozenset[str]
) -> str | None:
    """The HTML after ``start`` up to the first later element whose own text is
    one of ``stop_texts`` (casefolded), or None if none is: the body of a page
    that runs title, body, "Search in archive". The tags it cuts through are
    left open or stray; the body normalizer's HTML parser closes them."""
    inside_start = set(start.iter())
    stop = None
    passed = False
    for element in page.iter():
        if element is start:
            passed = True
            continue
        if not passed or element in inside_start or not isinstance(element.tag, str):
            continue
        if clean_text(element.text or "").casefold() in stop_texts:
            stop = element
            break
    if stop is None:
        return None
    # Comments mark the two ends, the page is serialized once, and the text
    # between them cut out; then the page is put back as it was.
    begin, end = etree.Comment(_START), etree.Comment(_STOP)
    begin.tail, start.tail = start.tail, None
    start.addnext(begin)
    stop.addprevious(end)
    try:
        match = _BETWEEN.search(etree.tostring(page, encoding=str, method="html"))
    finally:
        start.tail = begin.tail
        for marker in (begin, end):
            marker.getparent().remove(marker)
    if not match or not clean_text(html.unescape(_TAG.sub(" ", match[1]))):
        return None  # nothing between them: the body is elsewhere
    return match[1]


def main_content(page: etree._Element, title: str | None) -> str | None:
    """The page's main text as HTML paragraphs, by trafilatura (favouring
    precision: chrome left out), without the title if it repeats it."""
    import trafilatura  # here: only pages no other reader could read pay for it

    found = trafilatura.extract(
        etree.tostring(page, encoding=str, method="html"),
        output_format="html", favor_precision=True, include_comments=False,
        include_tables=True, include_links=True, include_formatting=True,
        with_metadata=False, deduplicate=False,
    )  # fmt: skip
    if not found or not (body := _BODY.search(found)):
        return None
    content = body[1]
    if title:
        # trafilatura may keep the heading: it is the title, not the body.
        heading = re.escape(html.escape(title, quote=False))
        content = re.sub(rf"^\s*<(h\d|p)>\s*{heading}\s*</\1>", "", content, count=1)
    return content


def article_links(
    page: etree._Element, url: str, shape: re.Pattern[str], ignored_prefixes: tuple[str, ...]
) -> list[ListingEntry]:
    """Every link of a listing page whose path has the shape of an article URL
    in the listing's language, once each, in order, with its text as title and
    the ISO date next to it (in the link or its parent) as date."""
    lang = _language_of(url, ignored_prefixes)
    entries: list[ListingEntry] = []
    seen: set[str] = set()
    for link in page.iter("a"):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        path = without_prefix(urlsplit(urljoin(url, href)).path.rstrip("/"), ignored_prefixes)
        match = shape.match(path)
        if not match or match["lang"] != lang or href in seen:
            continue
        seen.add(href)
        parent: Any = link.getparent()
        date_text = _iso_in(link) or (_iso_in(parent) if parent is not None else None)
        title = clean_text(" ".join(link.itertext())) or None
        if date_text and title:
            title = clean_text(title.replace(date_text, "")) or None
        entries.append(ListingEntry(url=href, title=title, date_text=date_text))
    return entries


def _iso_in(element: etree._Element) -> str | None:
    match = _ISO_DATE.search(" ".join(element.itertext()))
    return match[0] if match else None


def _language_of(url: str, ignored_prefixes: tuple[str, ...]) -> str:
    """The first path segment of a listing URL: /en/news?page=2 -> en."""
    path = without_prefix(urlsplit(url).path, ignored_prefixes)
    return path.strip("/").split("/")[0]
