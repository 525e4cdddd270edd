"""URL identity: which spellings of a URL are one URL, on any site.

A layout adds its own site's rules on top (crawler.pages.base.Layout.canonical_url).
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


def canonical_url(
    url: str,
    path_rule: tuple[re.Pattern[str], str] | None = None,
    ignored_prefixes: tuple[str, ...] = (),
) -> str:
    """The identity of a URL, for comparing, never for fetching: scheme, ``www.``,
    host case, default port, trailing slash, fragment, tracking parameters and
    the order of the query do not make another URL; nor a path prefix the
    site ignores (``/index.php``), nor what a site's path rule, (pattern,
    replacement), folds (crawler.pages.base.Layout.identity_rule)."""
    try:
        parts = urlsplit(canonicalize_url(strip_tracking(url), keep_fragments=False))
        port = parts.port
    except ValueError:  # a link no browser could follow (a bad port, a broken host)
        return url
    host = (parts.hostname or "").removeprefix("www.")
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = without_prefix(parts.path.rstrip("/") or "/", ignored_prefixes)
    if path_rule is not None:
        path = path_rule[0].sub(path_rule[1], path)
    return urlunsplit(("https", netloc, path, parts.query, ""))


def without_prefix(path: str, prefixes: tuple[str, ...]) -> str:
    """``/index.php/en/news/x`` -> ``/en/news/x`` for the prefix ``/index.php``."""
    for prefix in prefixes:
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return path
