"""What the crawler hands the archive: plain values, decided before they arrive.

Storage knows no site and no layout: a record carries its URL's identity
(``canonical_url``), the key its release's translations share
(``release_key``), and whether its site is the ministry's own
(``authoritative``); the crawler's layouts compute them (crawler.pages).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass

# Why a page did not become a document; stored with every reject.
REJECT_INVALID = "invalid"  # fetched, but unusable: no title, no date, empty body
REJECT_HTTP = "http_error"  # answered 4xx
REJECT_ROBOTS = "robots"  # robots.txt forbids it: never requested
REJECT_DOWNLOAD = "download_error"  # timeouts, refused connections, 5xx after retries
REJECT_PARSE = "parse_error"  # the page object raised: a layout change or a bug
# Reject kinds that mean "something broke" rather than "the page is unusable".
ERROR_KINDS = frozenset({REJECT_DOWNLOAD, REJECT_PARSE})


def number_key(doc_number: str) -> str:
    """The release key of a numbered release: what its languages share."""
    return f"no:{doc_number}"


@dataclass(frozen=True)
class DocumentRecord:
    """A normalized article, ready to store."""

    site: str
    lang: str
    url: str  # as fetched
    canonical_url: str  # the URL's identity (its layout's rules): one copy per identity
    title: str
    published_on: dt.date
    body: str
    body_html: str
    layout: str  # the site's layout, kept with the source for audits
    authoritative: bool = False  # the ministry's own site: its copy outranks any other
    doc_number: str | None = None
    category: str | None = None
    title_as_published: str | None = None  # the page's title, release number included
    release_key: str | None = None  # number_key(doc_number), or what the layout derives
    part: str | None = None  # a two-language page's second part: "ru"

    @property
    def identity(self) -> str:
        """The copy's identity; a page's second language part is a copy of its own."""
        return f"{self.canonical_url}#{self.part}" if self.part else self.canonical_url


@dataclass(frozen=True)
class RejectRecord:
    """A listed link that did not become a document, and why."""

    url: str
    canonical_url: str
    site: str
    lang: str
    kind: str  # REJECT_*
    reason: str


class Outcome(enum.StrEnum):
    NEW = "new"  # a document the archive did not have
    UPDATED = "updated"  # a known URL whose new text changed its document: a revision
    UNCHANGED = "unchanged"  # a known URL whose document stays as it was
    MERGED = "merged"  # a new URL carrying a document the archive has: a new source


def content_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()
