"""URL identity as migrations 0002 and 0003 computed it, frozen.

A migration must do tomorrow what it did the day it was written, so it does
not import the live rules (crawler.urls and the layouts', which may change
and which storage must not import). Nothing but those migrations uses this.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that say where a reader came from, not which page it is.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
     "mc_cid", "mc_eid", "_ga", "_gl", "ref_src"}
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)


def _is_tracking(name: str) -> bool:
    return name.lower() in TRACKING_PARAMETERS or name.lower().startswith(TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """The URL without tracking parameters and fragment: what a crawl requests."""
    if "?" not in url and "#" not in url:
        return url  # nothing to strip; the common case, and splitting is not free
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


# The main site's own rule: a numbered release's slug is decoration,
# /en/news/no43820-head-of-the-press-service is /en/news/no43820 (SITE_FACTS.md).
_MAIN_RELEASE_SLUG = re.compile(r"^(/(?:az|en|ru)/news/no\d{5})-[^/]+$")


def canonical_url(url: str, layout: str | None = None) -> str:
    """The identity of a URL, for comparing, never for fetching: scheme, ``www.``,
    host case, default port, trailing slash, fragment, tracking parameters and
    the order of the query do not make another URL; nor, on a site of the main
    layout, a numbered release's slug."""
    parts = urlsplit(canonicalize_url(strip_tracking(url), keep_fragments=False))
    host = (parts.hostname or "").removeprefix("www.")
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    if layout == "main":
        path = _MAIN_RELEASE_SLUG.sub(r"\1", path)
    return urlunsplit(("https", netloc, path, parts.query, ""))
