"""Typed items: what a spider yields and the pipelines refine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.records import CaptureRef


@dataclass
class ListingEntry:
    """One link of a listing page, with what the listing says of it."""

    url: str
    title: str | None = None
    date_text: str | None = None
    category: str | None = None


@dataclass
class ArticleFields:
    """What a page object reads off an article page: raw text, not yet normalized."""

    title: str | None
    date_text: str | None
    category: str | None
    body_html: str | None  # the body container's inner HTML, untouched
    # The fields ("title", "date", "body") read by a fallback rather than the
    # layout's selectors: the markup is not what the layout expects.
    fallbacks: tuple[str, ...] = ()

    @property
    def extraction(self) -> str:
        """How the page was read, as sources.extraction keeps it."""
        return "fallback" if self.fallbacks else "selectors"


@dataclass
class FetchedPage:
    """An article page as downloaded: what the extraction pipeline turns into an Article."""

    url: str
    site: str
    lang: str
    layout: str
    body: bytes  # as downloaded: decoding is the parser's job, in the worker
    encoding: str  # as the response declares it (crawler.extract decides what to trust)
    listing: ListingEntry  # url: the link as listed (a redirect may have led to ``url``)
    authoritative: bool = False  # the site is the ministry's own (crawler.sites.Site)
    capture: CaptureRef | None = None  # where the response is kept (crawler.capture)


@dataclass
class Article:
    """An article on its way to the archive.

    The page object fills ``raw``, the listing ``listing``; the normalizers
    fill the rest in order: title, date, body (see crawler.extract).
    """

    url: str
    site: str
    lang: str
    layout: str  # the layout that read the page (crawler.pages.LAYOUTS), whose rules apply
    raw: ArticleFields
    listing: ListingEntry
    # The sites file's layout when another read the page ("auto", or a mission
    # host on the main CMS): URL identity stays the site's, as its listings see it.
    site_layout: str | None = None
    canonical_url: str | None = None  # the layout's URL identity, computed with the rest
    release_key: str | None = None  # what the release's languages share (the layout's rule)
    listed_canonical_url: str | None = None  # the listed URL's identity, if a redirect led away
    authoritative: bool = False  # the site is the ministry's own (crawler.sites.Site)
    doc_number: str | None = None
    title: str | None = None
    category: str | None = None
    published_on: dt.date | None = None
    body: str | None = None
    body_html: str | None = None
    # A two-language page: this article is its first language's part, and the
    # companion its second's ("ru"), stored as a document of its own.
    part: str | None = None
    companion: Article | None = None
    capture: CaptureRef | None = None  # the page's response, kept (crawler.capture)

    def record(self) -> dict[str, object]:
        """The normalized record, as the fixtures' expected.json spell it."""
        return {
            "site": self.site,
            "lang": self.lang,
            "url": self.url,
            "doc_number": self.doc_number,
            "title": self.title,
            "category": self.category,
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "body": self.body,
            "body_html": self.body_html,
            "release_key": self.release_key,
            "layout": self.layout,
            "extraction": self.raw.extraction,
        } | ({"companion": self.companion.record()} if self.companion else {})


@dataclass
class RejectedPage:
    """A listed link that did not become a document, and why."""

    url: str
    site: str
    lang: str
    reason: str
    kind: str  # storage.records REJECT_*
    layout: str  # the site's layout, whose URL rules give the page's identity
    capture: CaptureRef | None = None  # the response that made it one, if kept
