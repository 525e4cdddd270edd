"""Layout checks: does each layout's markup still match the site?

The role Scrapy contracts and Fundus's daily tests play: for a site and
language, the first listing page and its newest article are read with the
site's layout; every selector (a class attribute of the layout, a tuple of
CSS queries tried in order) is tried on them, and the page goes through the
crawl's own extraction (crawler.extract). The report says, per field, which
query matched, which field fell back to a reading without selectors, and
which required field failed (listing items; an article's title, date, body),
naming the module and class attribute to correct.

Pages come from a live fetch (crawler.layout_spider: two requests per site
and language) or from the newest captures (``check_captures``: none).
Scrapy-free but for the captures' replay.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from crawler.exceptions import PageRejected
from crawler.extract import extract_article, page_encoding
from crawler.items import FetchedPage, ListingEntry
from crawler.pages import LAYOUTS, Layout
from crawler.pages.base import first_text, select
from crawler.sites import SitesConfig
from crawler.urls import strip_tracking

# Exit codes (as crawl's): every field by its selectors; some fell back; a
# required field failed or a page could not be had.
EXIT_MATCHED, EXIT_FELL_BACK, EXIT_FAILED = 0, 1, 3

# The article's fields and the selectors that read them, in the layouts that
# have those attributes (the mission layout shows no category).
ARTICLE_FIELDS = {
    "title": ("article_heading",),
    "date": ("article_date", "article_info_line"),
    "category": ("article_category",),
    "body": ("article_body",),
}
REQUIRED = ("title", "date", "body")


@dataclass
class SelectorCheck:
    """One selector: a layout's class attribute, and which of its queries matched."""

    attribute: str
    where: str  # "crawler/pages/main.py MainSiteV1.article_date": what to correct
    queries: tuple[str, ...]
    matched: str | None  # the first query that found something; None: none did


@dataclass
class PageCheck:
    url: str
    layout: str  # the layout that read it (a mission host may run the main CMS)
    selectors: list[SelectorCheck] = field(default_factory=list)
    # field -> "selectors", "fallback", "missing" (optional), or "failed: <why>"
    fields: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # the page could not be had


@dataclass
class LayoutReport:
    site: str
    lang: str
    layout: str
    listing: PageCheck | None = None
    article: PageCheck | None = None
    source: str = "fetched"  # or "captured <date>"

    @property
    def verdict(self) -> int:
        pages = [self.listing, self.article]
        if any(page is None or page.error for page in pages):
            return EXIT_FAILED
        states = [state for page in pages if page for state in page.fields.values()]
        if any(state.startswith("failed") for state in states):
            return EXIT_FAILED
        return EXIT_FELL_BACK if "fallback" in states else EXIT_MATCHED

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"verdict": VERDICTS[self.verdict]}


VERDICTS = {EXIT_MATCHED: "matched", EXIT_FELL_BACK: "fell back", EXIT_FAILED: "failed"}


def where(layout: type[Layout], attribute: str) -> str:
    """The module and class that define a layout's attribute: where to correct it."""
    owner = next(cls for cls in layout.__mro__ if attribute in vars(cls))
    path = Path(inspect.getsourcefile(owner) or "?")
    parts = path.parts
    shown = "/".join(parts[parts.index("crawler") :]) if "crawler" in parts else str(path)
    return f"{shown} {owner.__name__}.{attribute}"


def _selector(layout: type[Layout], attribute: str, node: Any) -> SelectorCheck:
    queries: tuple[str, ...] = getattr(layout, attribute)
    matched = None
    for query in queries:
        found = select(node, query)
        if found and (query.endswith("::attr(href)") or first_text(found) or len(found) > 1):
            matched = query
            break
    return SelectorCheck(attribute, where(layout, attribute), queries, matched)


def _attributes(layout: type[Layout], prefix: str) -> list[str]:
    """The layout's selectors of one page kind: tuples of CSS queries."""
    names = sorted(
        {name for cls in layout.__mro__ for name in vars(cls) if name.startswith(prefix)}
    )
    return [
        name for name in names
        if isinstance(getattr(layout, name), tuple) and getattr(layout, name)
        and all(isinstance(q, str) for q in getattr(layout, name)) and name != "article_markers"
    ]  # fmt: skip


def check_listing(
    layout: type[Layout], body: bytes, encoding: str, url: str
) -> tuple[PageCheck, list[ListingEntry]]:
    """The listing selectors on a listing page, and its entries as the crawl reads them."""
    selector = Selector(
        body=body, encoding=page_encoding(body, encoding), type="html", base_url=url
    )
    check = PageCheck(url, layout.name)
    root = selector.root
    items = _selector(layout, "listing_items", root) if layout.listing_items else None
    if items is not None:
        check.selectors.append(items)
    first = select(root, items.matched)[0] if items and items.matched else None
    for attribute in _attributes(layout, "listing_"):
        if attribute != "listing_items" and first is not None:
            check.selectors.append(_selector(layout, attribute, first))
    entries = layout.parse_listing(selector, url)
    if not entries:
        check.fields["items"] = "failed: no items"
    else:
        check.fields["items"] = "selectors" if items and items.matched else "fallback"
    return check, entries


def check_article(layout: type[Layout], page: FetchedPage) -> PageCheck:
    """The article selectors on an article page, and what extraction made of it."""
    encoding = page_encoding(page.body, page.encoding)
    selector = Selector(body=page.body, encoding=encoding, type="html", base_url=page.url)
    reader = LAYOUTS[page.layout].detect(selector)
    check = PageCheck(page.url, reader.name)
    root = selector.root
    scope_queries: tuple[str, ...] = getattr(reader, "article_scope", ())
    scope = root
    if scope_queries:
        scoped = _selector(reader, "article_scope", root)
        check.selectors.append(scoped)
        if scoped.matched:
            scope = select(root, scoped.matched)[0]
    for attribute in _attributes(reader, "article_"):
        if attribute != "article_scope":
            check.selectors.append(_selector(reader, attribute, scope))
    try:
        article = extract_article(page)
    except PageRejected as exc:
        failed = _failed_field(str(exc))
        for name in ARTICLE_FIELDS:
            if hasattr(reader, ARTICLE_FIELDS[name][0]):
                check.fields[name] = f"failed: {exc}" if name == failed else "?"
        if failed not in check.fields:
            check.fields[failed] = f"failed: {exc}"
        return check
    fallbacks = set(article.raw.fallbacks)
    values = {"title": article.title, "date": article.published_on,
              "category": article.category, "body": article.body}  # fmt: skip
    for name, attributes in ARTICLE_FIELDS.items():
        if not hasattr(reader, attributes[0]):
            continue
        if name in fallbacks:
            check.fields[name] = "fallback"
        elif values[name] is None or values[name] == "":
            check.fields[name] = "failed: none" if name in REQUIRED else "missing"
        elif name == "category" and not _matched(check, "article_category"):
            check.fields[name] = "from the listing"
        else:
            check.fields[name] = "selectors"
    return check


def _matched(check: PageCheck, attribute: str) -> bool:
    return any(s.attribute == attribute and s.matched for s in check.selectors)


def _failed_field(reason: str) -> str:
    if reason.startswith("no title"):
        return "title"
    if "date" in reason:
        return "date"
    if reason.startswith(("empty body", "two-language")):
        return "body"
    return "page"


# -- from captures ------------------------------------------------------------------------


def check_captures(index: Any, sites: SitesConfig) -> list[LayoutReport]:
    """The same check on each site's and language's newest captures of its
    first listing page and of that page's newest article: no request."""
    from crawler.reparse import Replay, offline_crawler  # Scrapy's, for the replay

    replay = Replay(offline_crawler())
    reports = []
    for site in sites.sites:
        layout = LAYOUTS[site.layout]
        for lang in site.languages:
            report = LayoutReport(site.name, lang, site.layout, source="captured")
            reports.append(report)
            ours = [e for e in index.entries
                    if e.site == site.name and e.lang == lang]  # fmt: skip
            listings = [e for e in ours if e.kind == "listing" and e.page == 1
                        and 200 <= e.status < 300]  # fmt: skip
            if not listings:
                report.listing = PageCheck(layout.listing_url(site.base_url, lang, 1), layout.name,
                                           error="no capture of listing page 1")  # fmt: skip
                continue
            newest = max(listings, key=lambda e: e.fetched_at)
            stored = index.read(newest)
            body = _decoded(stored.body, stored.header("Content-Encoding"))
            report.source = f"captured {newest.fetched_at:%Y-%m-%d %H:%M} UTC"
            report.listing, entries = check_listing(
                layout, body, _charset(stored.header("Content-Type")), stored.url
            )
            articles = [e for e in ours if e.kind == "article" and 200 <= e.status < 300]
            # The first listed link, as the spider requests it (crawler.spiders.press).
            listed = {strip_tracking(urljoin(stored.url, entries[0].url))} if entries else set()
            candidates = [e for e in articles if e.listed_url in listed] or articles
            if not candidates:
                report.article = PageCheck("", layout.name, error="no capture of an article")
                continue
            entry = max(candidates, key=lambda e: e.fetched_at)
            item = replay.item(index, entry)
            if not isinstance(item, FetchedPage):
                report.article = PageCheck(entry.url, layout.name, error=item.reason)
                continue
            report.article = check_article(layout, item)
    index.close()
    return reports


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def _decoded(body: bytes, encoding: str | None) -> bytes:
    import gzip
    import zlib

    for name in reversed([e.strip().lower() for e in (encoding or "").split(",") if e.strip()]):
        if name in ("gzip", "x-gzip"):
            body = gzip.decompress(body)
        elif name == "deflate":
            body = zlib.decompress(body)
    return body


# -- the report ----------------------------------------------------------------------------


def render(reports: list[LayoutReport]) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(f"{report.site} {report.lang} ({report.layout} layout, {report.source}): "
                     f"{VERDICTS[report.verdict]}")  # fmt: skip
        for kind, page in (("listing", report.listing), ("article", report.article)):
            if page is None:
                lines.append(f"  {kind}: not reached")
                continue
            if page.error:
                lines.append(f"  {kind} {page.url}: {page.error}")
                continue
            read = f" (read by the {page.layout} layout)" if page.layout != report.layout else ""
            lines.append(f"  {kind} {page.url}{read}")
            for name, state in page.fields.items():
                lines.append(f"    field {name:<9} {state}")
            for check in page.selectors:
                if check.matched is None:
                    state = "no query matched: " + " | ".join(check.queries)
                elif check.matched == check.queries[0]:
                    state = f"matched {check.matched!r}"
                else:
                    state = f"matched its fallback query {check.matched!r}"
                lines.append(f"    {check.attribute:<22} {state}   [{check.where}]")
    failed = sum(report.verdict == EXIT_FAILED for report in reports)
    fell = sum(report.verdict == EXIT_FELL_BACK for report in reports)
    lines.append(f"{len(reports)} listings checked: {len(reports) - failed - fell} matched, "
                 f"{fell} fell back, {failed} failed")  # fmt: skip
    if failed or fell:
        lines.append("Correct the selectors named above (docs/sites-and-selectors.md).")
    return "\n".join(lines)


def exit_code(reports: list[LayoutReport]) -> int:
    return max((report.verdict for report in reports), default=EXIT_MATCHED)
