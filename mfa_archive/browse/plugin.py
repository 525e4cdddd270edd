"""The archive's Datasette plugin: what `mfa-archive browse` adds to Datasette.

- search folding: ``?_search=`` is folded as the FTS index is (ə, ı, ё: the
  triggers of migration "search folding" index folded text, and FTS5's
  tokenizer folds case and the other diacritics), so ``Xocalı`` finds what
  ``Xocali`` finds;
- a ``year`` facet (``{"year": "published_on"}`` in the metadata);
- links: a ``document_id`` opens the ``document`` query (the document with its
  translations, sources and revisions), whose translations and sources are
  links in turn, and a ``release`` lists the release's translations;
- the Atom feed of new and edited statements at ``/-/feed.atom[?lang=en]``.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import nh3
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Request, Response
from markupsafe import Markup
from sqlalchemy import Engine

from mfa_archive.feed import atom_feed
from storage.engine import make_engine
from storage.query import fold

DATABASE = "archive"  # the name `mfa-archive browse` serves the archive under
LANGUAGE = re.compile(r"[a-z]{2}")  # a language code as the archive keeps it
FTS_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})  # raw mode's, upper case only
_WORD = re.compile(r"[^\W_]+")

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


# -- search folding --------------------------------------------------------------------


def fold_search(text: str) -> str:
    """A search as the index holds words: each word folded (storage.query.fold),
    FTS5's upper-case operators kept for ``_searchmode=raw``."""
    return _WORD.sub(lambda m: m[0] if m[0] in FTS_OPERATORS else fold(m[0]), text)


def fold_query_string(query_string: bytes) -> bytes:
    """The query string with its ``_search`` values folded; untouched if none changes."""
    pairs = urllib.parse.parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True)
    folded = [
        (key, fold_search(value) if key.startswith("_search") and key != "_searchmode" else value)
        for key, value in pairs
    ]
    if folded == pairs:
        return query_string  # not re-encoded: Datasette reads it as the browser sent it
    return urllib.parse.urlencode(folded).encode("ascii")


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def folding(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http" and b"_search" in scope.get("query_string", b""):
                scope = {**scope, "query_string": fold_query_string(scope["query_string"])}
            await app(scope, receive, send)

        return folding

    return wrap


# -- the year facet ------------------------------------------------------------------


class YearFacet(Facet):  # type: ignore[misc]
    """Counts by year of a date column (``YYYY-MM-DD`` text, as SQLite keeps
    dates); a year selects ``column__startswith=YYYY``."""

    type = "year"

    async def suggest(self) -> list[dict[str, Any]]:
        return []  # offered by the metadata only

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            year = f"substr({escape_sqlite(column)}, 1, 4)"
            sql = (
                f"select {year} as value, count(*) as count from ({self.sql}) "
                f"where {escape_sqlite(column)} is not null "
                f"group by value order by value desc limit {size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )  # fmt: skip
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = args.get(key) == row["value"]
                path = (
                    path_with_removed_args(self.request, {key: row["value"]})
                    if selected
                    else path_with_added_args(self.request, {key: row["value"]})
                )
                values.append({
                    "value": row["value"], "label": row["value"], "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, path), "selected": selected,
                })  # fmt: skip
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                "truncated": len(rows.rows) > size,
            })  # fmt: skip
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [YearFacet]


# -- links -------------------------------------------------------------------------


def _document_url(datasette: Any, document_id: Any) -> str:
    return f"{datasette.urls.query(DATABASE, 'document')}?id={int(document_id)}"


def _json_list(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    return items if isinstance(items, list) else None


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    if database != DATABASE or value is None:
        return None
    if column == "document_id" and isinstance(value, int):
        return Markup('<a href="{}">{}</a>').format(_document_url(datasette, value), value)
    if column == "release" and table == "documents_v" and isinstance(value, str):
        href = (
            datasette.urls.table(DATABASE, "documents_v")
            + "?"
            + urllib.parse.urlencode({"release": value})
        )
        return Markup('<a href="{}" title="this release in every language">{}</a>').format(
            href, value
        )
    if table is not None:
        return None
    # The `document` query's lists (JSON arrays built in its SQL).
    if column == "translations" and (items := _json_list(value)) is not None:
        return _joined(
            Markup('<a class="translation" href="{}" lang="{}">{}: {}</a>').format(
                _document_url(datasette, item["document_id"]), item["lang"], item["lang"],
                item["title"],
            )
            for item in items
        ) or Markup("none")  # fmt: skip
    if column == "sources" and (items := _json_list(value)) is not None:
        return _joined(
            Markup('<a class="source" href="{}">{}</a> ({}{})').format(
                item["url"], item["site"], item["match_rule"],
                f", {item['similarity']:.2f}" if item.get("similarity") is not None else "",
            )
            for item in items
        )  # fmt: skip
    if column == "earlier_revisions" and (items := _json_list(value)) is not None:
        return _joined(
            Markup("revision {}, replaced {}: {}").format(
                item["revision"], str(item["replaced_at"])[:16], item["title"]
            )
            for item in items
        ) or Markup("none (never edited)")
    if column == "body_html" and isinstance(value, str):
        # Sanitized when archived; cleaned again here, since this page trusts no stored HTML.
        return Markup('<div class="document-body">{}</div>').format(Markup(nh3.clean(value)))
    return None


def _joined(items: Any) -> Markup:
    return Markup("<br>").join(items)


# -- the Atom feed -----------------------------------------------------------------

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(path: str) -> Engine:
    with _engines_lock:
        if path not in _engines:
            _engines[path] = make_engine(f"sqlite:///{path}")
        return _engines[path]


async def feed(datasette: Any, request: Request) -> Response:
    languages = tuple(
        lang for value in request.args.getlist("lang") for lang in value.split(",") if lang
    )
    if unknown := [lang for lang in languages if not LANGUAGE.fullmatch(lang)]:
        return Response.text(f"not a language code: {unknown[0]!r} (az, en, ru, ...)", status=400)
    path = datasette.get_database(DATABASE).path
    body = await asyncio.to_thread(
        atom_feed,
        _engine(path),
        languages=languages,
        self_url=datasette.absolute_url(request, request.full_path),
        archive_url=datasette.absolute_url(request, datasette.urls.table(DATABASE, "documents_v")),
    )
    return Response(body, content_type="application/atom+xml; charset=utf-8")


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [(r"^/-/feed\.atom$", feed)]
