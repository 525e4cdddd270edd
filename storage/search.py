"""Full-text search over the archive: ranked hits with a highlighted snippet.

SQLite FTS5 query syntax applies: words, "exact phrases", OR, NOT, prefix*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from crawler.exceptions import DatabaseError, SearchQueryError

HIGHLIGHT = ("[", "]")


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    lang: str
    doc_number: str | None
    title: str
    published_on: dt.date
    url: str  # the primary source
    snippet: str  # a passage of the body, matches between HIGHLIGHT marks
    rank: float  # lower is better (bm25)


# bm25 weights: a match in the title counts five times one in the body.
_SQLITE_SEARCH = """
SELECT d.id, d.lang, d.doc_number, d.title, d.published_on,
       (SELECT s.url FROM sources s WHERE s.document_id = d.id  -- the primary source
        ORDER BY s.layout != 'main', s.published_on, s.canonical_url LIMIT 1) AS url,
       snippet(documents_fts, 1, :open, :close, '…', 24) AS snippet,
       bm25(documents_fts, 5.0, 1.0) AS rank
FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid
WHERE documents_fts MATCH :query {filters}
ORDER BY rank, d.published_on DESC
LIMIT :limit OFFSET :offset
"""


def search(
    engine: Engine,
    query: str,
    *,
    languages: Sequence[str] = (),
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 20,
    offset: int = 0,
    highlight: tuple[str, str] = HIGHLIGHT,
) -> list[SearchHit]:
    """Documents matching ``query``, best first, optionally by language and date range."""
    if not query.strip():
        raise SearchQueryError("empty search query")
    if engine.dialect.name != "sqlite":
        raise DatabaseError(f"full-text search is not available on {engine.dialect.name} yet")
    filters = []
    params: dict[str, object] = {
        "query": query,
        "open": highlight[0],
        "close": highlight[1],
        "limit": limit,
        "offset": offset,
    }
    if languages:
        names = [f":lang{i}" for i in range(len(languages))]
        filters.append(f"AND d.lang IN ({', '.join(names)})")
        params.update({f"lang{i}": lang for i, lang in enumerate(languages)})
    if since:
        filters.append("AND d.published_on >= :since")
        params["since"] = since.isoformat()
    if until:
        filters.append("AND d.published_on <= :until")
        params["until"] = until.isoformat()
    statement = text(_SQLITE_SEARCH.format(filters=" ".join(filters)))
    try:
        with engine.connect() as connection:
            rows = connection.execute(statement, params).all()
    except OperationalError as exc:
        message = str(exc.orig)
        if "fts5" in message or "no such column" in message or "unterminated" in message:
            raise SearchQueryError(f"malformed search query {query!r}: {message}") from exc
        raise
    return [
        SearchHit(
            document_id=row.id,
            lang=row.lang,
            doc_number=row.doc_number,
            title=row.title,
            published_on=dt.date.fromisoformat(str(row.published_on)),
            url=row.url,
            snippet=" ".join(row.snippet.split()),  # one line, paragraphs run together
            rank=row.rank,
        )
        for row in rows
    ]
