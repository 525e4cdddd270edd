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
REJECT_NOT_HTML = "not_html"  # a PDF, an image: not a page to read
REJECT_OFFSITE = "offsite"  # listed on, or redirected to, another host: never requested
REJECT_REDIRECT_LOOP = "redirect_loop"  # redirects that come back, or never end
REJECT_TOO_LARGE = "too_large"  # past the download or the body limit
REJECT_BAD_ENCODING = "bad_encoding"  # bytes its charset cannot decode cleanly
REJECT_LISTING = "listing_error"  # a listing page that failed after retries
# Reject kinds that mean "something broke" rather than "the page is unusable".
ERROR_KINDS = frozenset({REJECT_DOWNLOAD, REJECT_PARSE, REJECT_LISTING})


def number_key(doc_number: str) -> str:
    """The release key of a numbered release: what its languages share."""
    return f"no:{doc_number}"


# The width of documents.release_key. Keys made from slugs can be longer (real
# slugs run past 300 characters): see fitted_key.
RELEASE_KEY_LENGTH = 160


def fitted_key(key: str) -> str:
    """A release key that fits documents.release_key: a longer one keeps its
    opening, for people, and ends in a digest of the whole, so that two long
    keys are equal exactly when they were (the same slug in every language)."""
    if len(key) <= RELEASE_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: RELEASE_KEY_LENGTH - len(digest) - 1]}~{digest}"


@dataclass(frozen=True)
class CaptureRef:
    """Where a fetched response is kept: a record of a WARC file (crawler.warc).

    A ``revisit`` record holds the response's headers only: its payload is
    ``original``'s, an earlier capture of the same URL with the same payload
    digest.
    """

    record_id: str  # WARC-Record-ID, "<urn:uuid:...>"
    url: str  # WARC-Target-URI: the URL as fetched
    warc_file: str  # the file's name in the WARC directory
    offset: int  # of the record's gzip member in the file
    length: int  # of that member, compressed
    record_type: str  # "response" or "revisit"
    payload_digest: str  # WARC-Payload-Digest, "sha1:<base32>"
    status: int  # the HTTP status
    fetched_at: dt.datetime  # WARC-Date
    original: CaptureRef | None = None  # a revisit's: the capture holding the payload


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
    # The identity of the URL the listing gave, when a redirect led elsewhere:
    # refreshes know it, and do not request it again.
    listed_canonical_url: str | None = None
    # How the page was read: "selectors" (its layout's), or "fallback" (the
    # markup was not what the layout expects); kept with the source.
    extraction: str = "selectors"
    # The response it was read from, as kept in a WARC file (None: not captured).
    capture: CaptureRef | None = None

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
    capture: CaptureRef | None = None  # the response that made it one, if fetched and kept


class Outcome(enum.StrEnum):
    NEW = "new"  # a document the archive did not have
    UPDATED = "updated"  # a known URL whose new text changed its document: a revision
    UNCHANGED = "unchanged"  # a known URL whose document stays as it was
    MERGED = "merged"  # a new URL carrying a document the archive has: a new source


def content_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()
