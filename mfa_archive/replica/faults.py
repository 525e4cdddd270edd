"""The fault replica: a hostile, fault-injecting copy of the main site.

The replica of fixtures/ shows the sites as they are on a good day. This one
shows the main site (layout "main": the replica's own listing and article
markup, so the crawler's selectors read it) on a bad one: a server in
trouble, broken transfers, lying headers, redirects that lead astray, pages
too big to hold, hostile markup, and a forger's page linked from the
listing. Its texts are authored in fixtures/faults/faults.toml; nothing is
written to disk, and the huge page and the gzip bomb are built in memory
the first time they are asked for.

Two origins, each on its own free 127.0.0.1 port: "main" (languages en and
az; the only site in :meth:`FaultServer.sites_toml`) and "other", a
forger's host that is in no sites file. Listings: ``/{lang}/news?page=N``;
en has two pages (page 2 answers 500 until healed) and az one; the page
after the last is an empty listing. ``/robots.txt`` allows everything on
both origins.

Every request is counted per origin and path (:meth:`FaultServer.count`,
:meth:`FaultServer.requests`), with its time, so a test can assert what a
crawl asked for, how often, when, and that an offline command asked for
nothing. Fault counters ("the first 2 requests") count per path from the
start or the last :meth:`FaultServer.reset`.

The faults. Paths are on the main site unless marked (other); "Expected" is
what a correct crawler does in one crawl with Scrapy's default RETRY_TIMES
(3 retries). :data:`FAULTS` holds the same programmatically, with the
record each stored page must give.

1. burst-503
   /en/news/no24426-press-release-on-political-consultations-between-the-ministries-of-foreign-affairs
   Answers 503 to the first 2 requests, then the article.
   Expected: retried then stored (3 requests).
2. retry-after-429
   /en/news/no23926-press-release-on-the-ministerial-meeting-on-climate-finance
   Answers 429 with ``Retry-After: 1`` to the first request, then the article.
   Expected: retried then stored (2 requests), the retry at least 1 s after the 429.
3. connection-reset
   /en/news/no23726-press-release-on-the-meeting-with-the-ambassadors-of-the-turkic-states
   Resets the connection (RST, no response at all) on the first request, then
   answers with the article.
   Expected: retried then stored (2 requests).
4. truncated-body
   /en/news/no23426-press-release-on-the-memorandum-on-cooperation-in-higher-education
   EVERY time: Content-Length of the whole page, but the connection closes
   after the bytes before the third paragraph (what arrived parses as an
   article with half its body).
   Expected: reject download_error; the half page is never stored.
5. stall
   /en/news/no23126-press-release-on-the-opening-of-an-honorary-consulate
   EVERY time: waits ``stall_seconds`` (default 5 s; a test sets
   DOWNLOAD_TIMEOUT lower) before answering with the article.
   Expected: reject download_error (a timeout), after 1 to 4 requests.
6. meta-charset-cp1251
   /en/news/no22926-joint-press-release-on-the-working-group-on-humanitarian-issues-enru
   A two-language (En/Ru) page in windows-1251, the charset named only in its
   ``<meta charset>``; the header says ``Content-Type: text/html``.
   Expected: stored, decoded from windows-1251 (its Russian part as a companion).
7. wrong-charset-header
   /az/news/no24326-press-release-on-the-meeting-of-the-deputy-minister-with-young-diplomats
   Header ``text/html; charset=iso-8859-1``; the bytes are UTF-8 Azerbaijani
   (and the page's ``<meta charset>`` says utf-8).
   Expected: stored decoded as UTF-8, or reject bad_encoding; never mojibake.
8. redirect-loop
   /az/news/no24026-statement-on-the-international-day-for-tolerance
   302 to /az/news/no24026, which 302s back.
   Expected: reject redirect_loop.
9. same-host-redirect
   /en/news/no22626-press-release-on-the-meeting-with-the-non-aligned-movement-ambassadors
   301 to /en/news/no22626-press-release-on-the-meeting-with-the-ambassadors-of-the-non-aligned-movement-countries,
   which serves the article.
   Expected: stored (under the redirect's target URL).
10. offsite-redirect
   /en/news/no22326-press-release-on-the-international-conference-on-humanitarian-demining
   302 to the same path on the other host, which serves a (phishing) page.
   Expected: reject offsite, the reason naming the target URL; the other
   host is never requested.
11. offsite-forgery
   (other) /en/news/no21426-statement-on-the-revision-of-consular-fees
   The en listing links straight to the other host. The page there claims
   No:214/26, the number of the main site's genuine
   /en/news/no21426-press-release-on-the-meeting-of-the-intergovernmental-commission-on-transport-corridors,
   a week earlier, with other text.
   Expected: reject offsite, the reason naming the target URL; the other
   host is never requested; No:214/26 stays the genuine release's.
12. huge-page
   /en/news/no22126-press-release-on-the-annex-to-the-agreement-on-international-road-transport
   A valid article page of about 30 MiB (some 200,000 paragraphs), with its
   Content-Length.
   Expected: reject too_large.
13. gzip-bomb
   /en/news/no22026-press-release-on-the-session-of-the-joint-economic-commission
   ``Content-Encoding: gzip``: about 1 MiB on the wire, an article page with
   1 GiB of spaces inside once decompressed.
   Expected: reject too_large, without ever holding the decompressed page.
14. not-html
   /en/news/no21926-text-of-the-joint-declaration-of-the-ministerial-meeting
   ``Content-Type: application/pdf``, a few bytes of ``%PDF-``.
   Expected: reject not_html (the crawler of today files it as
   parse_error, "not an HTML page": accepted too).
15. hostile-markup
   /en/news/no21726-press-release-on-the-expert-consultations-on-information-security
   ``<script>`` (writing a paragraph), ``<style>``, ``<iframe>`` with fallback
   text, ``onclick``/``onerror``/``onmouseover``, ``<svg onload>`` and
   ``javascript:`` links inside the body container.
   Expected: stored; title and body text exactly the authored ones; none of
   :data:`HOSTILE_MARKERS` in the body's HTML or text.
16. control-characters
   /en/news/no24226-statement-on-the-anniversary-of-national-revival-day
   ESC sequences (``\\x1b[31m``), BEL, RLO (U+202E), PDF, RLM (U+200F), RLI/PDI
   in the ``<h1>`` (and so the listing) and the body.
   Expected: stored; title and body without them (:data:`CONTROL_CHARACTERS`;
   an ESC sequence removed whole gives exactly the authored text).
17. listing-until-healed
   /en/news?page=2
   Answers 500 every time until :meth:`FaultServer.heal` ("listing-until-healed");
   then the listing page, with two articles.
   Expected: the en listing is broken off (a listing error; not walked to
   the end); page 2's articles are not requested. After the heal, the next
   crawl reads page 2 and stores both.

Besides these, the main site serves normal articles (:data:`NORMAL`): one
un-numbered en item, the genuine No:214/26 in en and az, an az release, and
the two en releases of listing page 2.

The transient faults (1-5, 17) can be healed: the page is then served plainly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import html
import re
import socket
import struct
import threading
import time
import tomllib
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mfa_archive.replica.build import Case, expected_record
from mfa_archive.replica.server import DEFAULT_ROOT, url_key
from mfa_archive.replica.templates import (
    ORIGIN,
    ListingEntry,
    ReplicaArticle,
    render_main_article,
    render_main_listing,
    site_date,
)

DEFAULT_CONFIG = DEFAULT_ROOT / "faults" / "faults.toml"
OTHER = "{{other}}"  # replaced by the server with the other host's http://127.0.0.1:PORT
MAIN, OTHER_SITE = "main", "other"

# Expected outcomes, as Expectation.expected spells them.
STORED = "stored"
RETRIED_THEN_STORED = "retried then stored"
LISTING_UNTIL_HEALED = "listing error until healed"

# Must appear nowhere in the hostile page's stored body (text or HTML).
HOSTILE_MARKERS = (
    "<script", "<style", "<iframe", "<svg", "onclick", "onerror", "onload", "onmouseover",
    "javascript:", "alert(", "steal(", "Injected paragraph", "display: none",
    "does not support frames", "tracker.invalid",
)  # fmt: skip
# C0 controls but tab and newline, DEL, C1 controls, and the bidi marks,
# embeddings, overrides and isolates: none may reach a stored title or body.
CONTROL_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_ESC_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # ECMA-48 CSI, as terminals read it


def strip_controls(text: str) -> str:
    """The text as the archive must hold it: ESC sequences removed whole, then
    every other character of CONTROL_CHARACTERS."""
    return CONTROL_CHARACTERS.sub("", _ESC_SEQUENCE.sub("", text))


# -- what each fault does and what a crawler must do ---------------------------


@dataclass(frozen=True)
class _Spec:
    number: int  # in the list
    expected: str
    requests: tuple[int, int]  # requests of the fault's path in one crawl: at least, at most
    also: tuple[str, ...] = ()  # other acceptable outcomes
    healable: bool = False


_SPECS: dict[str, _Spec] = {
    "burst-503": _Spec(1, RETRIED_THEN_STORED, (3, 3), healable=True),
    "retry-after-429": _Spec(2, RETRIED_THEN_STORED, (2, 2), healable=True),
    "connection-reset": _Spec(3, RETRIED_THEN_STORED, (2, 2), healable=True),
    "truncated-body": _Spec(4, "reject download_error", (1, 4), healable=True),
    "stall": _Spec(5, "reject download_error", (1, 4), healable=True),
    "meta-charset-cp1251": _Spec(6, STORED, (1, 1)),
    "wrong-charset-header": _Spec(7, STORED, (1, 1), also=("reject bad_encoding",)),
    "redirect-loop": _Spec(8, "reject redirect_loop", (1, 21)),
    "same-host-redirect": _Spec(9, STORED, (1, 1)),
    "offsite-redirect": _Spec(10, "reject offsite", (1, 1)),
    "offsite-forgery": _Spec(11, "reject offsite", (0, 0)),
    "huge-page": _Spec(12, "reject too_large", (1, 1)),
    "gzip-bomb": _Spec(13, "reject too_large", (1, 1)),
    "not-html": _Spec(14, "reject not_html", (1, 1), also=("reject parse_error",)),
    "hostile-markup": _Spec(15, STORED, (1, 1)),
    "control-characters": _Spec(16, STORED, (1, 1)),
    "listing-until-healed": _Spec(17, LISTING_UNTIL_HEALED, (1, 4), healable=True),
}


@dataclass(frozen=True)
class Expectation:
    """One listed URL of the fault replica and what a correct crawl makes of it.

    Strings may hold ``{{origin}}`` (the main site's origin) and ``{{other}}``
    (the other host's); :meth:`FaultServer.resolve` fills them in.
    """

    name: str
    fault: int  # its number in the list; 0: a normal article
    site: str  # the origin that answers `path`: "main" or "other"
    lang: str  # the listing that links to it
    path: str  # as listed (a listing fault: the listing page's path and query)
    expected: str  # "stored", "retried then stored", "reject <kind>", ...
    also: tuple[str, ...] = ()  # other acceptable outcomes
    requests: tuple[int, int] = (1, 1)  # how often one crawl requests `path`
    listing_page: int = 1
    target: str | None = None  # where a redirect leads (absolute, with placeholders)
    reason_contains: str | None = None  # a reject's reason must name this
    record: Mapping[str, Any] | None = None  # the stored record's fields that must match exactly
    forbidden: tuple[str, ...] = ()  # in no stored title, category, body or body_html

    @property
    def url(self) -> str:
        return (ORIGIN if self.site == MAIN else OTHER) + self.path

    @property
    def reject(self) -> str | None:
        """The reject kind expected, for a "reject ..." outcome."""
        kind, _, rest = self.expected.partition(" ")
        return rest if kind == "reject" else None


# -- the authored pages -----------------------------------------------------------


@dataclass(frozen=True)
class AuthoredPage:
    """A [[page]] of faults.toml."""

    name: str
    fault: str  # "" for a normal article
    site: str
    listed: bool
    listing_page: int
    article: ReplicaArticle  # the clean text: what the record must hold
    shown: ReplicaArticle  # what the page shows (hostile title and paragraphs)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def second_part(self) -> int | None:
        return self.options.get("second_part")


@dataclass(frozen=True)
class FaultConfig:
    """faults.toml, read."""

    path: Path
    stall_seconds: float
    huge_page_bytes: int
    bomb_bytes: int
    languages: tuple[str, ...]
    absolute: tuple[str, ...]
    broken_lang: str
    broken_page: int
    pages: tuple[AuthoredPage, ...]

    def page(self, name: str) -> AuthoredPage:
        (page,) = [page for page in self.pages if page.name == name]
        return page

    def fault_page(self, fault: str) -> AuthoredPage:
        (page,) = [page for page in self.pages if page.fault == fault]
        return page

    @property
    def broken_listing(self) -> str:
        return f"/{self.broken_lang}/news?page={self.broken_page}"

    def listing_pages(self, lang: str) -> int:
        return max((p.listing_page for p in self.pages if p.listed and p.article.lang == lang),
                   default=0)  # fmt: skip


_OPTIONS = ("redirect_to", "loop_via", "truncate_before", "encoding", "header_charset",
            "second_part", "raw_body", "target")  # fmt: skip


def load_config(path: Path = DEFAULT_CONFIG) -> FaultConfig:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    pages = tuple(_page(entry, n) for n, entry in enumerate(data["page"]))
    names = [page.name for page in pages]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: page names repeat")
    faults = [page.fault for page in pages if page.fault]
    with_pages = set(_SPECS) - {"listing-until-healed"}
    if sorted(faults) != sorted(with_pages):
        raise ValueError(
            f"{path}: pages for faults {sorted(faults)}, expected {sorted(with_pages)}"
        )
    server, main = data["server"], data["main"]
    return FaultConfig(
        path=path,
        stall_seconds=float(server["stall_seconds"]),
        huge_page_bytes=int(server["huge_page_bytes"]),
        bomb_bytes=int(server["bomb_bytes"]),
        languages=tuple(main["languages"]),
        absolute=tuple(main.get("absolute", ())),
        broken_lang=main["broken_listing"]["lang"],
        broken_page=int(main["broken_listing"]["page"]),
        pages=pages,
    )


def _page(entry: dict[str, Any], n: int) -> AuthoredPage:
    def article(source: dict[str, Any], title: str, paragraphs: Sequence[str]) -> ReplicaArticle:
        return ReplicaArticle(
            site=entry["site"],
            lang=entry["lang"],
            path=entry["path"],
            title=title,
            date=dt.date.fromisoformat(source["date"]),
            paragraphs=tuple(paragraphs),
            category=source.get("category", ""),
            noise_seed=1000 + n,  # fixed: a page renders the same bytes every time
        )

    clean = article(entry, entry["title"], entry.get("paragraphs", ()))
    shown = article(
        entry,
        entry.get("page_title", entry["title"]),
        entry.get("page_paragraphs", entry.get("paragraphs", ())),
    )
    return AuthoredPage(
        name=entry["name"],
        fault=entry.get("fault", ""),
        site=entry["site"],
        listed=entry.get("listed", True),
        listing_page=int(entry.get("listing_page", 1)),
        article=clean,
        shown=shown,
        options={key: entry[key] for key in _OPTIONS if key in entry},
    )


def expectations(config: FaultConfig) -> dict[str, Expectation]:
    """Every listed URL of the replica (and the broken listing page) by name."""
    out: dict[str, Expectation] = {}
    for page in config.pages:
        if not page.listed:
            continue
        spec = _SPECS.get(page.fault, _Spec(0, STORED, (1, 1)))
        record, forbidden = None, ()
        redirect = page.options.get("redirect_to")
        if spec.expected in (STORED, RETRIED_THEN_STORED):
            stored = page.article
            if page.fault == "same-host-redirect":
                stored = replace(stored, path=redirect)
            record = expected_record(Case(page.name, stored, second_part=page.second_part))
            if page.fault == "hostile-markup":
                # Sanitizers may keep a link's text in an <a> without href: the
                # body's HTML is checked for the markers, not compared.
                record = {k: v for k, v in record.items() if k != "body_html"}
                forbidden = HOSTILE_MARKERS
        if page.fault == "wrong-charset-header":
            # ə and ı read as latin-1/cp1252, and the replacement character
            forbidden = ("É™", "É\x99", "Ä±", "Ã¼", "Ã§", "\ufffd")
        if page.fault == "meta-charset-cp1251":
            forbidden = ("\ufffd", "Ð", "Ñ")  # cp1251 read as UTF-8 or latin-1
        if page.fault == "offsite-forgery":
            forbidden = (page.article.paragraphs[0],)
        if page.fault == "offsite-redirect":
            forbidden = (page.options["target"]["paragraphs"][0],)
        target = None
        if page.fault == "redirect-loop":
            target = ORIGIN + page.options["loop_via"]
        elif redirect:
            target = redirect if redirect.startswith(OTHER) else ORIGIN + redirect
        reason = None  # an offsite reject names the URL it refused
        if page.fault == "offsite-redirect":
            reason = target
        elif page.fault == "offsite-forgery":
            reason = OTHER + page.article.path
        out[page.name] = Expectation(
            name=page.name,
            fault=spec.number,
            site=page.site,
            lang=page.article.lang,
            path=page.article.path,
            expected=spec.expected,
            also=spec.also,
            requests=spec.requests,
            listing_page=page.listing_page,
            target=target,
            reason_contains=reason,
            record=record,
            forbidden=forbidden,
        )
    spec = _SPECS["listing-until-healed"]
    out["listing-until-healed"] = Expectation(
        name="listing-until-healed",
        fault=spec.number,
        site=MAIN,
        lang=config.broken_lang,
        path=config.broken_listing,
        expected=spec.expected,
        requests=spec.requests,
        listing_page=config.broken_page,
    )
    return out


_CONFIG = load_config()
#: Every listed URL by name: the faults and the normal articles.
EXPECTATIONS: dict[str, Expectation] = expectations(_CONFIG)
#: The 17 faults, by name, in the issue's order.
FAULTS: dict[str, Expectation] = dict(
    sorted(((k, v) for k, v in EXPECTATIONS.items() if v.fault), key=lambda kv: kv[1].fault)
)
#: The normal articles, by name.
NORMAL: dict[str, Expectation] = {k: v for k, v in EXPECTATIONS.items() if not v.fault}


def expected_documents(*, healed: bool = True) -> list[Mapping[str, Any]]:
    """The records a correct crawl stores (placeholders unfilled): without the
    broken listing page's articles unless healed."""
    return [
        e.record
        for e in EXPECTATIONS.values()
        if e.record is not None
        and (healed or (e.lang, e.listing_page) != (_CONFIG.broken_lang, _CONFIG.broken_page))
    ]


# -- rendering ---------------------------------------------------------------------

_BODY_START = '<div class="section_articleInner_body_content--description">\n'
_BODY_END = "\n</div></div>"
# A real PDF's second line is a comment of high bytes, telling tools it is binary.
_PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
_ROBOTS = b"User-agent: *\nAllow: /\n"
_SPLIT = "\x00FILLER\x00"  # where the huge page's annex and the bomb's spaces go


def with_body(page_html: str, body_html: str) -> str:
    """A rendered main-site article with its body container's content replaced."""
    head, found, rest = page_html.partition(_BODY_START)
    _, found_end, tail = rest.partition(_BODY_END)
    if not (found and found_end):
        raise ValueError("not a main-site article page")
    return head + _BODY_START + body_html + _BODY_END + tail


def render_page(page: AuthoredPage) -> str:
    shown = page.shown
    if page.fault == "same-host-redirect":
        shown = replace(shown, path=page.options["redirect_to"])
    rendered = render_main_article(shown)
    if page.options.get("raw_body"):
        rendered = with_body(rendered, "\n".join(shown.paragraphs))
    return rendered


def _split_page(page: AuthoredPage) -> tuple[str, str]:
    """The page around the place where its filler goes: after its paragraphs."""
    body = "\n".join(f"<p>{p}</p>" for p in page.shown.paragraphs) + f"\n<p>{_SPLIT}</p>"
    head, _, tail = with_body(render_main_article(page.shown), body).partition(_SPLIT)
    return head, tail


_BUILD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def huge_page(head: str, tail: str, size: int) -> bytes:
    """head, about `size` bytes of annex items as paragraphs, tail."""
    items: list[str] = []
    total = n = 0
    while total < size:
        n += 1
        item = (
            f"Item {n}. The carrier shall present the documents listed in section "
            f"{n % 40 + 1} of this annex at the border crossing point named in the permit.</p>\n<p>"
        )
        items.append(item)
        total += len(item)
    return (head + "".join(items) + tail).encode()


@functools.lru_cache(maxsize=1)
def gzip_bomb(head: bytes, filler: int, tail: bytes, chunk: int = 1 << 20) -> bytes:
    """A gzip member of head + `filler` spaces + tail, in about filler/1000 bytes.

    Deflating a GiB takes seconds; this deflates one chunk of spaces after a
    full flush, which resets the compressor, so every further chunk would
    compress to the same bytes: they are repeated instead. The gzip frame
    (header, CRC-32, size) is written by hand around the raw deflate stream.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    spaces = b" " * chunk
    # magic, deflate, no flags, no time, best compression, unknown OS
    parts = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"]
    parts.append(compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH))
    whole, rest = divmod(filler, chunk)
    if whole:
        parts.append((compressor.compress(spaces) + compressor.flush(zlib.Z_FULL_FLUSH)) * whole)
    parts.append(compressor.compress(b" " * rest + tail) + compressor.flush(zlib.Z_FINISH))
    crc = zlib.crc32(head)
    for _ in range(whole):
        crc = zlib.crc32(spaces, crc)
    crc = zlib.crc32(b" " * rest + tail, crc)
    size = len(head) + filler + len(tail)
    parts.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(parts)


# -- serving -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What the server does with one request."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    send: int | None = None  # send only this many bytes of the body, then close
    delay: float = 0.0  # wait this long before answering (interrupted by stop())
    reset: bool = False  # no answer at all: the connection is reset (RST)


Route = Callable[[int], Reply]  # the request's number on its path (1: the first) -> reply
NOT_FOUND = Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>")


@dataclass(frozen=True)
class Hit:
    site: str
    path: str  # path and query, as requested
    time: float  # time.monotonic()


class _OriginServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections a crawler opens
    # in a burst, and each dropped SYN costs a 1 s retransmission.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], faults: FaultServer, site: str) -> None:
        self.faults = faults
        self.site = site
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._resets: set[socket.socket] = set()
        super().__init__(address, _Handler)

    @property
    def origin(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.add(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def reset_on_close(self, connection: socket.socket) -> None:
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._lock:
            self._resets.add(connection)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            reset = request in self._resets
            self._resets.discard(request)
        if reset:
            self.close_request(request)  # no shutdown(SHUT_WR): it would send a FIN first
        else:
            super().shutdown_request(request)

    def drop_connections(self) -> None:
        """End keep-alive and in-flight connections, so no handler outlives stop()."""
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the
    # body would wait for the client's delayed ACK.
    disable_nagle_algorithm = True
    timeout = 30  # a client that stops reading a huge page cannot hold a thread for ever
    server: _OriginServer

    def setup(self) -> None:
        super().setup()
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def do_GET(self) -> None:
        reply = self.server.faults.dispatch(self.server.site, self.path)
        try:
            self._answer(reply)
        except OSError:
            self.close_connection = True  # the client left (a timeout, a size cap): fine

    def _answer(self, reply: Reply) -> None:
        if reply.delay and self.server.faults.stopping.wait(reply.delay):
            self.close_connection = True  # stopping: the stall ends without an answer
            return
        if reply.reset:
            self.server.reset_on_close(self.connection)
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if reply.send is None:
            self.wfile.write(reply.body)
        else:
            self.wfile.write(reply.body[: reply.send])
            self.close_connection = True  # the rest never comes

    def log_message(self, format: str, *args: object) -> None:
        pass  # the hit list is the log; stderr stays quiet during crawls


class FaultServer:
    """The fault replica's two origins, each on its own 127.0.0.1 port.

    stall_seconds, huge_page_bytes, bomb_bytes override faults.toml's [server].
    other_host: the other origin's address; any 127.x.y.z is loopback on
    Linux, so "127.0.0.2" gives the forger a host name of its own (Scrapy's
    offsite checks compare host names, not ports).
    """

    def __init__(
        self,
        config: Path = DEFAULT_CONFIG,
        *,
        stall_seconds: float | None = None,
        huge_page_bytes: int | None = None,
        bomb_bytes: int | None = None,
        other_host: str = "127.0.0.1",
    ) -> None:
        self.config = load_config(config)
        self.stall_seconds = self.config.stall_seconds if stall_seconds is None else stall_seconds
        self.huge_page_bytes = huge_page_bytes or self.config.huge_page_bytes
        self.bomb_bytes = bomb_bytes or self.config.bomb_bytes
        self.hosts = {MAIN: "127.0.0.1", OTHER_SITE: other_host}
        self.expectations = expectations(self.config)
        self.stopping = threading.Event()
        self._servers: dict[str, _OriginServer] = {}
        self._threads: list[threading.Thread] = []
        self._routes: dict[str, dict[str, Route]] = {}
        self._lock = threading.Lock()
        self._hits: list[Hit] = []
        self._attempts: Counter[tuple[str, str]] = Counter()
        self._healed: set[str] = set()

    # -- life cycle

    def start(self, ports: Mapping[str, int] | None = None) -> None:
        self.stopping.clear()
        for site, host in self.hosts.items():
            self._servers[site] = _OriginServer((host, (ports or {}).get(site, 0)), self, site)
        self._routes = self._build_routes()
        for server in self._servers.values():
            # A short poll keeps stop() fast: shutdown() waits for the loop's next turn.
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()  # stalled requests end now
        for server in self._servers.values():
            server.shutdown()
            server.drop_connections()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def __enter__(self) -> FaultServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses

    def origin(self, site: str = MAIN) -> str:
        return self._servers[site].origin

    @property
    def ports(self) -> dict[str, int]:
        return {site: server.server_address[1] for site, server in self._servers.items()}

    def url(self, path: str, site: str = MAIN) -> str:
        return self.origin(site) + path

    def resolve(self, value: Any) -> Any:
        """A string, or the strings inside a record, with the placeholders filled in."""
        if isinstance(value, str):
            return value.replace(ORIGIN, self.origin(MAIN)).replace(OTHER, self.origin(OTHER_SITE))
        if isinstance(value, Mapping):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.resolve(item) for item in value)
        return value

    def expected_record(self, name: str) -> dict[str, Any] | None:
        record = self.expectations[name].record
        return self.resolve(record) if record is not None else None

    def sites_toml(self) -> str:
        """A sites file with the main site only: the other host is in no sites file."""
        langs = ", ".join(f'"{lang}"' for lang in self.config.languages)
        return (
            "# The fault replica (mfa_archive.replica.faults): its main site. The other\n"
            "# host is a forger's and is deliberately absent.\n"
            "# A local server needs no politeness: no delays, no AutoThrottle, no backoff.\n"
            "[crawl]\ndownload_delay = 0\nautothrottle = false\nretry_backoff = 0\n\n"
            f'[[site]]\nname = "{MAIN}"\nbase_url = "{self.origin(MAIN)}"\n'
            f'layout = "main"\nlanguages = [{langs}]\n'
        )

    # -- what was asked for

    def dispatch(self, site: str, raw_path: str) -> Reply:
        parts = urlsplit(raw_path)
        key = url_key(parts.path.rstrip("/") or "/", parts.query)
        with self._lock:
            self._hits.append(Hit(site, raw_path, time.monotonic()))
            self._attempts[(site, key)] += 1
            attempt = self._attempts[(site, key)]
        route = self._routes.get(site, {}).get(key)
        return route(attempt) if route else NOT_FOUND

    def hits(self, site: str | None = None) -> list[Hit]:
        with self._lock:
            return [hit for hit in self._hits if site is None or hit.site == site]

    def requests(self) -> dict[str, list[str]]:
        """Paths asked for, in order, by origin (as ReplicaServer.requests)."""
        return {site: [hit.path for hit in self.hits(site)] for site in self.hosts}

    def counts(self, site: str = MAIN) -> Counter[str]:
        return Counter(hit.path for hit in self.hits(site))

    def count(self, path: str, site: str = MAIN) -> int:
        """How often path (with its query, as requested) was asked for."""
        return self.counts(site)[path]

    def total(self, site: str | None = None) -> int:
        return len(self.hits(site))

    def times(self, path: str, site: str = MAIN) -> list[float]:
        return [hit.time for hit in self.hits(site) if hit.path == path]

    # -- fault state

    def heal(self, name: str) -> None:
        """Serve a transient fault's page plainly from now on."""
        if not _SPECS.get(name, _Spec(0, "", (0, 0))).healable:
            healable = sorted(n for n, spec in _SPECS.items() if spec.healable)
            raise ValueError(f"cannot heal {name!r}; healable: {', '.join(healable)}")
        with self._lock:
            self._healed.add(name)

    def healed(self, name: str) -> bool:
        with self._lock:
            return name in self._healed

    def reset(self) -> None:
        """Forget every request and heal: the faults start over."""
        with self._lock:
            self._hits.clear()
            self._attempts.clear()
            self._healed.clear()

    # -- routes

    def _bytes(self, text: str, site: str = MAIN, encoding: str = "utf-8") -> bytes:
        own = self.origin(site)
        return text.replace(ORIGIN, own).replace(OTHER, self.origin(OTHER_SITE)).encode(encoding)

    def _build_routes(self) -> dict[str, dict[str, Route]]:
        routes: dict[str, dict[str, Route]] = {site: {} for site in self.hosts}
        robots = Reply(body=_ROBOTS, content_type="text/plain; charset=utf-8")
        for site in self.hosts:
            routes[site]["/robots.txt"] = lambda n, r=robots: r
        main = routes[MAIN]
        for lang in self.config.languages:
            main.update(self._listing_routes(lang))
        for page in self.config.pages:
            if page.fault == "offsite-forgery":
                routes[OTHER_SITE][page.article.path] = self._page_route(page)
            elif page.fault == "offsite-redirect":
                main.update(self._offsite_redirect_routes(page, routes[OTHER_SITE]))
            else:
                main.update(self._fault_routes(page))
        return routes

    def _listing_routes(self, lang: str) -> dict[str, Route]:
        pages = self.config.listing_pages(lang)
        listed = sorted(
            (p for p in self.config.pages if p.listed and p.article.lang == lang),
            key=lambda p: p.article.date or dt.date.min,
            reverse=True,  # newest first
        )
        routes: dict[str, Route] = {}
        for number in range(1, pages + 2):  # the page after the last: an empty listing
            entries = [self._entry(p) for p in listed if p.listing_page == number]
            reply = Reply(body=self._bytes(render_main_listing(entries, lang, number, pages)))
            routes[f"/{lang}/news?page={number}"] = lambda n, r=reply: r
            if number == 1:
                routes[f"/{lang}/news"] = lambda n, r=reply: r
        broken = self.config.broken_listing
        if lang == self.config.broken_lang:
            ok = routes[broken]
            failing = Reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>")
            routes[broken] = lambda n: ok(n) if self.healed("listing-until-healed") else failing
        return routes

    def _entry(self, page: AuthoredPage) -> ListingEntry:
        shown = page.shown
        if page.site == OTHER_SITE:
            href = OTHER + shown.path
        elif shown.lang in self.config.absolute:
            href = ORIGIN + shown.path
        else:
            href = shown.path
        date_text = site_date(shown.date, shown.lang) if shown.date else ""
        return ListingEntry(href, shown.title, shown.category, date_text)

    def _page_route(self, page: AuthoredPage, site: str = OTHER_SITE) -> Route:
        reply = Reply(body=self._bytes(render_page(page), site))
        return lambda n: reply

    def _offsite_redirect_routes(
        self, page: AuthoredPage, other: dict[str, Route]
    ) -> dict[str, Route]:
        target = page.options["target"]
        landing = AuthoredPage(
            name=f"{page.name}-target",
            fault="",
            site=OTHER_SITE,
            listed=False,
            listing_page=0,
            article=page.article,
            shown=replace(
                page.shown,
                title=target["title"],
                category=target.get("category", ""),
                date=dt.date.fromisoformat(target["date"]),
                paragraphs=tuple(target["paragraphs"]),
            ),
        )
        location = self.resolve(page.options["redirect_to"])
        other[urlsplit(location).path] = self._page_route(landing)
        redirect = Reply(302, b"", headers=(("Location", location),))
        return {page.article.path: lambda n: redirect}

    def _fault_routes(self, page: AuthoredPage) -> dict[str, Route]:
        fault, path, options = page.fault, page.article.path, page.options
        rendered = render_page(page)
        ok = Reply(body=self._bytes(rendered))

        def unless_healed(route: Route) -> Route:
            return lambda n: ok if self.healed(fault) else route(n)

        if fault == "burst-503":
            unavailable = Reply(503, b"<html><body>Service Unavailable</body></html>")
            return {path: unless_healed(lambda n: unavailable if n <= 2 else ok)}
        if fault == "retry-after-429":
            too_many = Reply(429, b"<html><body>Too Many Requests</body></html>",
                             headers=(("Retry-After", "1"),))  # fmt: skip
            return {path: unless_healed(lambda n: too_many if n == 1 else ok)}
        if fault == "connection-reset":
            return {path: unless_healed(lambda n: Reply(reset=True) if n == 1 else ok)}
        if fault == "truncated-body":
            cut = ok.body.index(html.escape(options["truncate_before"], quote=False).encode())
            return {path: unless_healed(lambda n: replace(ok, send=cut))}
        if fault == "stall":
            return {path: unless_healed(lambda n: replace(ok, delay=self.stall_seconds))}
        if fault == "meta-charset-cp1251":
            encoding = options["encoding"]
            text = rendered.replace('<meta charset="utf-8">', f'<meta charset="{encoding}">', 1)
            reply = Reply(body=self._bytes(text, encoding=encoding), content_type="text/html")
            return {path: lambda n: reply}
        if fault == "wrong-charset-header":
            reply = replace(ok, content_type=f"text/html; charset={options['header_charset']}")
            return {path: lambda n: reply}
        if fault == "redirect-loop":
            via = options["loop_via"]
            to_via = Reply(302, b"", headers=(("Location", self.url(via)),))
            back = Reply(302, b"", headers=(("Location", self.url(path)),))
            return {path: lambda n: to_via, via: lambda n: back}
        if fault == "same-host-redirect":
            target = options["redirect_to"]
            moved = Reply(301, b"", headers=(("Location", self.url(target)),))
            return {path: lambda n: moved, target: lambda n: ok}
        if fault == "huge-page":
            head, tail = _split_page(page)
            size = self.huge_page_bytes

            def huge(n: int) -> Reply:
                with _BUILD_LOCK:
                    return Reply(body=huge_page(head, tail, size))

            return {path: huge}
        if fault == "gzip-bomb":
            head, tail = _split_page(page)
            filler = self.bomb_bytes

            def bomb(n: int) -> Reply:
                with _BUILD_LOCK:
                    body = gzip_bomb(head.encode(), filler, tail.encode())
                return Reply(body=body, headers=(("Content-Encoding", "gzip"),))

            return {path: bomb}
        if fault == "not-html":
            pdf = Reply(body=_PDF, content_type="application/pdf")
            return {path: lambda n: pdf}
        if fault in ("", "hostile-markup", "control-characters"):
            return {path: lambda n: ok}
        raise ValueError(f"no route for fault {fault!r}")


@contextmanager
def serving_faults(**options: Any) -> Iterator[FaultServer]:
    server = FaultServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the fault replica until interrupted (python -m mfa_archive.replica.faults)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sites-out", type=Path, default=Path("data/fault-sites.toml"))
    parser.add_argument("--stall-seconds", type=float)
    args = parser.parse_args(argv)
    with serving_faults(stall_seconds=args.stall_seconds) as server:
        args.sites_out.parent.mkdir(parents=True, exist_ok=True)
        args.sites_out.write_text(server.sites_toml(), encoding="utf-8")
        for site in server.hosts:
            print(f"{site}: {server.origin(site)}", flush=True)
        print(f"sites file: {args.sites_out}", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
