"""Full-text search over the archive: ranked hits with a highlighted snippet.

The Python API behind `mfa-archive search`, for consumers who import the
package::

    from storage.engine import make_engine
    from storage.search import search

    hits = search(make_engine("sqlite:///data/archive.db"), '"peace process" OR Khojaly',
                  languages=["en"], since=dt.date(2020, 1, 1), limit=20, offset=0)
    for hit in hits:
        print(hit.published_on, hit.title, hit.url, hit.snippet)

One query syntax on both backends: words (all must match), "exact phrases",
OR, NOT (``a NOT b``), prefix*, parentheses, and title:word or body:word. SQLite runs it on the FTS5
table (diacritics folded); PostgreSQL on each document's tsvector in its
language's configuration (english and russian stemmed; Azerbaijani unaccented).
A query that is not valid syntax raises SearchQueryError.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Engine, bindparam, text
from sqlalchemy.exc import DBAPIError, OperationalError

from storage.errors import DatabaseError, SearchQueryError

HIGHLIGHT = ("[", "]")
SNIPPET_WORDS = 24
# A hit's primary source, looked up for the page of hits only (one row each).
PRIMARY_URL = "(SELECT v.url FROM documents_v v WHERE v.document_id = hits.id) AS url"


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    lang: str
    doc_number: str | None
    title: str
    published_on: dt.date
    url: str  # the primary source
    snippet: str  # a passage of the body, matches between the highlight marks
    rank: float  # the order of the hits: lower is better (bm25 on SQLite, -ts_rank on PostgreSQL)


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
    """Documents matching ``query``, best first, optionally only
    in ``languages`` and published between ``since`` and ``until`` (inclusive);
    ``limit`` hits after skipping ``offset``."""
    if not query.strip():
        raise SearchQueryError("empty search query")
    if limit < 1 or offset < 0:
        raise SearchQueryError("limit must be at least 1 and offset at least 0")
    filters, params = _filters(languages, since, until)
    params.update({"limit": limit, "offset": offset,
                   "open": highlight[0], "close": highlight[1]})  # fmt: skip
    dialect = engine.dialect.name
    if dialect == "sqlite":
        join = "JOIN documents d ON d.id = documents_fts.rowid" if filters else ""
        statement, params["query"] = _SQLITE_SEARCH.format(join=join, filters=filters), query
    elif dialect == "postgresql":
        statement = _postgres_statement(languages, filters)
        params["query"] = to_tsquery_text(query)
        params["options"] = (
            f'StartSel="{highlight[0]}", StopSel="{highlight[1]}", '
            f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, MaxFragments=1"
        )
    else:
        raise DatabaseError(f"full-text search is not available on {dialect}")
    dates = [bindparam(name, type_=Date) for name in ("since", "until") if name in params]
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(statement).bindparams(*dates), params).all()
    except (OperationalError, DBAPIError) as exc:
        message = str(exc.orig).splitlines()[0]
        if any(sign in message for sign in _SYNTAX_ERRORS):
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
            rank=float(row.rank),
        )
        for row in rows
    ]


def _filters(
    languages: Sequence[str], since: dt.date | None, until: dt.date | None
) -> tuple[str, dict[str, Any]]:
    filters, params = [], {}
    if languages:
        names = [f":lang{i}" for i in range(len(languages))]
        filters.append(f"AND d.lang IN ({', '.join(names)})")
        params.update({f"lang{i}": lang for i, lang in enumerate(languages)})
    if since:
        filters.append("AND d.published_on >= :since")
        params["since"] = since
    if until:
        filters.append("AND d.published_on <= :until")
        params["until"] = until
    return " ".join(filters), params


_SYNTAX_ERRORS = ("fts5", "no such column", "unterminated", "syntax error in tsquery")

# bm25 weights: a match in the title counts five times one in the body. The
# hits are ranked on the index alone (documents joined only to filter), and
# only the page of hits gets its primary source and snippet.
_SQLITE_SEARCH = f"""
WITH hits AS (
    SELECT documents_fts.rowid AS id, bm25(documents_fts, 5.0, 1.0) AS rank
    FROM documents_fts {{join}}
    WHERE documents_fts MATCH :query {{filters}}
    ORDER BY rank, documents_fts.rowid DESC
    LIMIT :limit OFFSET :offset
)
SELECT d.id, d.lang, d.doc_number, d.title, d.published_on, hits.rank, {PRIMARY_URL},
       snippet(documents_fts, 1, :open, :close, '…', {SNIPPET_WORDS}) AS snippet
FROM hits
JOIN documents_fts ON documents_fts.rowid = hits.id
JOIN documents d ON d.id = hits.id
WHERE documents_fts MATCH :query
ORDER BY hits.rank, hits.id DESC
"""


# The text search configuration of each language (migrations 0005, 0008).
POSTGRES_CONFIGS = {"en": "english", "ru": "russian", "az": "mfa_az"}

# Each language's documents against the query in that language's configuration
# (a NOT term must be lexed as the document was); each branch is a GIN index
# scan of document_search (migration 0008), whose narrow rows are all the
# ranking reads. Documents are read, and snippets made, for the page of hits only.
_POSTGRES_SEARCH = f"""
WITH hits AS (
    SELECT d.document_id AS id, -ts_rank(d.search_vector, to_tsquery({{config}}, :query)) AS rank
    FROM document_search d
    WHERE ({{branches}}) {{filters}}
    ORDER BY rank, d.document_id DESC
    LIMIT :limit OFFSET :offset
)
SELECT doc.id, doc.lang, doc.doc_number, doc.title, doc.published_on, hits.rank,
       {PRIMARY_URL},
       ts_headline({{hit_config}}, doc.body, to_tsquery({{hit_config}}, :query), :options)
           AS snippet
FROM hits JOIN documents doc ON doc.id = hits.id
ORDER BY hits.rank, hits.id DESC
"""


def _postgres_statement(languages: Sequence[str], filters: str) -> str:
    branches = " OR ".join(
        f"(d.lang = '{lang}' AND d.search_vector @@ to_tsquery('{config}'::regconfig, :query))"
        for lang, config in POSTGRES_CONFIGS.items()
        if not languages or lang in languages
    )
    cases = " ".join(
        f"WHEN '{lang}' THEN '{config}'::regconfig" for lang, config in POSTGRES_CONFIGS.items()
    )
    return _POSTGRES_SEARCH.format(
        branches=branches,
        filters=filters,
        config=f"CASE d.lang {cases} END",
        hit_config=f"CASE doc.lang {cases} END",
    )


_TOKENS = re.compile(r'(?:\w+:)?"[^"]*"|\(|\)|[^\s()"]+|"')
_OPERATORS = {"OR": "|", "AND": "&", "NOT": "& !"}
# title:word and body:word, as on SQLite: the tsvector weighs the title A, the body B.
_COLUMN_WEIGHTS = {"title": "A", "body": "B"}


def to_tsquery_text(query: str) -> str:
    """The search syntax as PostgreSQL's to_tsquery input: each word a quoted
    lexeme (the configuration stems it), phrases as <->, prefix* as :*."""
    out: list[str] = []
    depth = 0
    for token in _TOKENS.findall(query):
        if token == '"':
            raise SearchQueryError(f"malformed search query {query!r}: unterminated phrase")
        operator = _OPERATORS.get(token)
        if operator is not None:
            if not out or out[-1] in {"|", "&", "& !", "("}:
                raise SearchQueryError(f"malformed search query {query!r}: {token} needs a term")
            out.append(operator)
            continue
        if token not in {"(", ")"} and not token.startswith('"') and not _words(token):
            continue  # punctuation alone: nothing to search
        if out and out[-1] not in {"|", "&", "& !", "("} and token != ")":
            out.append("&")  # juxtaposed terms: all must match
        if token == "(":
            depth += 1
            out.append(token)
        elif token == ")":
            depth -= 1
            if depth < 0 or not out or out[-1] in {"|", "&", "& !", "("}:
                raise SearchQueryError(f"malformed search query {query!r}: unbalanced )")
            out.append(token)
        else:
            out.append(_term(token, query))
    if depth != 0:
        raise SearchQueryError(f"malformed search query {query!r}: unbalanced (")
    if not out or out[-1] in {"|", "&", "& !"}:
        raise SearchQueryError(f"malformed search query {query!r}: nothing to search for")
    return " ".join(out)


def _term(token: str, query: str) -> str:
    """A word, word*, "a phrase", each optionally column:..., as tsquery text."""
    weight = ""
    column, colon, rest = token.partition(":")
    if colon and column.isalpha() and rest:  # a column filter, as FTS5 has them
        if column not in _COLUMN_WEIGHTS:
            raise SearchQueryError(f"malformed search query {query!r}: no such column: {column}")
        weight, token = _COLUMN_WEIGHTS[column], rest
    prefix = "*" if token.endswith("*") and not token.startswith('"') else ""
    words = _words(token)
    if not words:
        raise SearchQueryError(f"malformed search query {query!r}: {token!r} has no word")
    marks = [weight] * (len(words) - 1) + [prefix + weight]
    lexemes = [
        _lexeme(word) + (f":{mark}" if mark else "")
        for word, mark in zip(words, marks, strict=True)
    ]
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _lexeme(word: str) -> str:
    return "'" + word.replace("'", "''") + "'"
