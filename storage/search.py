"""Full-text search over the archive: ranked hits with a highlighted snippet.

The Python API behind `mfa-archive search`, for consumers who import the
package::

    from storage.engine import make_engine
    from storage.search import search

    hits = search(make_engine("sqlite:///data/archive.db"), '"peace process" OR Khojaly',
                  languages=["en"], since=dt.date(2020, 1, 1), limit=20, offset=0)
    for hit in hits:
        print(hit.published_on, hit.title, hit.url, hit.snippet)

One query language on both backends (storage.query parses it once and
compiles it for each; docs/schema.md is the reference): words (all must
match), "exact phrases", OR, NOT (``a NOT b``, ``-b``), prefix*, parentheses,
title:word and body:word, and release numbers in any spelling (No:312/25,
312/25, no31225). SQLite runs it on the FTS5 table, PostgreSQL on each
document's tsvector in its language's configuration; both fold case,
diacritics, ə and ı. PostgreSQL stems English and Russian words; for Russian
words SQLite looks up the indexed forms with the same stem, so that both
find the same documents. A query that is not valid syntax raises
SearchQueryError, in one line.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Date, Engine, bindparam, text
from sqlalchemy.exc import DBAPIError, OperationalError

from storage import query as q
from storage.errors import DatabaseError, SearchQueryError

HIGHLIGHT = ("[", "]")
SNIPPET_WORDS = 24
# Snippets are made from this much of a body at most: a snippet function reads
# its whole text, and no stored document (crawler.extract allows up to 200,000
# characters) may slow every search that matches it. Longer than any statement
# yet seen; a longer body's snippet is its opening words on SQLite, and the
# passage of its first SNIPPET_CHARACTERS on PostgreSQL.
SNIPPET_CHARACTERS = 50_000
# A hit's primary source, looked up for the page of hits only (one row each).
PRIMARY_URL = "(SELECT v.url FROM documents_v v WHERE v.document_id = hits.id) AS url"
# The text search configuration of each language (migrations 0005, 0010); the
# documents of any other language (a mission's host language) are in mfa_az's,
# which has no stemmer, as mfa_search_vector makes them.
POSTGRES_CONFIGS = {"en": "mfa_en", "ru": "mfa_ru", "az": "mfa_az"}
STEMMED = ("en", "ru")
# Lowered from the rank of a document whose release number the query names:
# the release itself comes before the documents that only mention it.
RELEASE_RANK = 1000.0


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
    tree = q.parse(query)
    if limit < 1 or offset < 0:
        raise SearchQueryError("limit must be at least 1 and offset at least 0")
    filters, params = _filters(languages, since, until)
    params.update({"limit": limit, "offset": offset,
                   "open": highlight[0], "close": highlight[1]})  # fmt: skip
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise DatabaseError(f"full-text search is not available on {dialect}")
    searched = list(dict.fromkeys(languages))  # empty: every language
    dates = [bindparam(name, type_=Date) for name in ("since", "until") if name in params]
    try:
        with engine.connect() as connection:
            if dialect == "sqlite":
                statement = _sqlite_statement(connection, tree, searched, filters, params)
            else:
                statement = _postgres_statement(tree, searched, filters, params)
            rows = connection.execute(text(statement).bindparams(*dates), params).all()
    except (OperationalError, DBAPIError) as exc:
        message = str(exc.orig).splitlines()[0]
        if any(sign in message for sign in _SYNTAX_ERRORS):  # a compiler bug, said as such
            shown = query if len(query) <= 80 else query[:77] + "..."
            raise SearchQueryError(f"malformed search query {shown!r}: {message}") from exc
        raise
    return [
        SearchHit(
            document_id=row.id,
            lang=row.lang,
            doc_number=row.doc_number,
            title=row.title,
            published_on=dt.date.fromisoformat(str(row.published_on)),
            url=row.url,
            snippet=" ".join(_snippet(row, dialect, highlight).split()),  # one line
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


def _render(
    condition: q.Condition,
    match: Callable[[q.Node], str],
    numbered: Callable[[tuple[str, ...]], str],
) -> str:
    """A storage.query Condition as SQL: ``match`` says how a part of the
    query matches the full-text index, ``numbered`` how doc_number does."""
    match condition:
        case q.Text(node=node):
            return match(node)
        case q.Numbered(numbers=numbers):
            return numbered(numbers)
        case q.AllOf(parts=parts):
            return "(" + " AND ".join(_render(part, match, numbered) for part in parts) + ")"
        case q.AnyOf(parts=parts):
            return "(" + " OR ".join(_render(part, match, numbered) for part in parts) + ")"
        case q.NoneOf(part=part):
            return f"NOT {_render(part, match, numbered)}"
    raise AssertionError(f"unexpected condition {condition!r}")


# Every language the archive has, one index seek each. lang leads the (lang,
# doc_number) index: a doc_number lookup that names the languages can use it.
_LANGUAGES = """RECURSIVE languages(lang) AS (
    SELECT min(lang) FROM documents
    UNION ALL
    SELECT (SELECT min(d.lang) FROM documents d WHERE d.lang > languages.lang)
    FROM languages WHERE languages.lang IS NOT NULL
),
"""


def _in_languages(searched: list[str], names: _Params) -> str:
    """SQL for "lang is one of the searched languages" (all when none is named)."""
    if searched:
        return f"lang IN ({names.names('lang', searched)})"
    return "lang IN (SELECT lang FROM languages)"


class _Params:
    """Names bound parameters for the values a statement needs, once each."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self._names: dict[tuple[str, object], str] = {}
        self._count = itertools.count()

    def name(self, prefix: str, value: object) -> str:
        key = (prefix, value)
        if key not in self._names:
            self._names[key] = f"{prefix}_{next(self._count)}"
            self.params[self._names[key]] = value
        return ":" + self._names[key]

    def names(self, prefix: str, values: Sequence[object]) -> str:
        return ", ".join(self.name(prefix, value) for value in values)


# --- SQLite --------------------------------------------------------------------

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
       CASE WHEN length(d.body) <= {SNIPPET_CHARACTERS}
            THEN snippet(documents_fts, 1, :open, :close, '…', {SNIPPET_WORDS}) END AS snippet,
       substr(d.body, 1, 2000) AS opening
FROM hits
JOIN documents_fts ON documents_fts.rowid = hits.id
JOIN documents d ON d.id = hits.id
WHERE documents_fts MATCH :query
ORDER BY hits.rank, hits.id DESC
"""

# A query that names release numbers, or whose Russian words have other forms:
# its parts are full-text matches and doc_number conditions, combined in SQL.
# The candidates are what the query looks for without its exclusions (ranked
# on the index, as above) and the releases it names; the condition decides.
_SQLITE_COMBINED = f"""
WITH {{languages}}ranked AS MATERIALIZED (
    SELECT rowid AS id, bm25(documents_fts, 5.0, 1.0) AS rank
    FROM documents_fts WHERE documents_fts MATCH :rank_query
),
candidates AS (
    SELECT id FROM ranked {{numbered}}
),
hits AS (
    SELECT d.id AS id, coalesce(r.rank, 0.0) {{bonus}} AS rank
    FROM candidates c
    JOIN documents d ON d.id = c.id
    LEFT JOIN ranked r ON r.id = c.id
    WHERE {{condition}} {{filters}}
    ORDER BY rank, d.id DESC
    LIMIT :limit OFFSET :offset
)
SELECT d.id, d.lang, d.doc_number, d.title, d.published_on, hits.rank, {PRIMARY_URL},
       (SELECT snippet(documents_fts, 1, :open, :close, '…', {SNIPPET_WORDS})
        FROM documents_fts
        WHERE documents_fts MATCH :rank_query AND documents_fts.rowid = hits.id
          AND length(d.body) <= {SNIPPET_CHARACTERS}) AS snippet,
       substr(d.body, 1, 2000) AS opening
FROM hits JOIN documents d ON d.id = hits.id
ORDER BY hits.rank, hits.id DESC
"""

# The index's words, to find a Russian word's other forms; TEMP: a table of
# this connection's, nothing in the archive's schema.
_VOCABULARY = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.documents_fts_vocab "
    "USING fts5vocab(main, documents_fts, row)"
)
_WORDS_FROM = text(
    "SELECT term FROM temp.documents_fts_vocab WHERE term >= :low AND term < :high LIMIT 5000"
)


def _sqlite_statement(
    connection: Connection,
    tree: q.Node,
    searched: list[str],
    filters: str,
    params: dict[str, Any],
) -> str:
    plain = q.to_fts5(tree)
    condition = q.conditions(tree)
    russian: q.RussianForms | None = None
    if (not searched or "ru" in searched) and q.is_russian(plain):
        russian = _russian_forms(connection, tree)

    def compile_(node: q.Node, in_russian: bool) -> str:
        if in_russian and russian is not None:
            return q.to_fts5(node, russian, russian.prefix)
        return q.to_fts5(node)

    only_russian = searched == ["ru"]
    split = russian is not None and not only_russian and compile_(tree, True) != plain
    if not split and isinstance(condition, q.Text):
        params["query"] = compile_(tree, only_russian)
        join = "JOIN documents d ON d.id = documents_fts.rowid" if filters else ""
        return _SQLITE_SEARCH.format(join=join, filters=filters)

    names = _Params(params)
    # The widest form of the query: every Russian word with its other forms.
    params["rank_query"] = compile_(q.positive(tree), True)

    def matching(in_russian: bool) -> Callable[[q.Node], str]:
        def match(node: q.Node) -> str:
            compiled = compile_(node, in_russian)
            if compiled == params["rank_query"]:
                return "r.id IS NOT NULL"  # a candidate found by the ranking's own MATCH
            name = names.name("query", compiled)
            return f"d.id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH {name})"

        return match

    def numbered(numbers: tuple[str, ...]) -> str:
        return f"d.doc_number IN ({names.names('number', numbers)})"

    if split:
        where = (
            f"((d.lang = 'ru' AND {_render(condition, matching(True), numbered)}) OR "
            f"(d.lang <> 'ru' AND {_render(condition, matching(False), numbered)}))"
        )
    else:
        where = _render(condition, matching(only_russian), numbered)
    numbers = q.releases(tree)
    named, bonus = "", ""
    if numbers:
        # lang leads the (lang, doc_number) index: name the languages to use it
        named = (
            f"UNION SELECT id FROM documents WHERE {_in_languages(searched, names)} "
            f"AND doc_number IN ({names.names('number', numbers)})"
        )
        bonus = f"- CASE WHEN {numbered(numbers)} THEN {RELEASE_RANK} ELSE 0.0 END"
    return _SQLITE_COMBINED.format(
        languages=_LANGUAGES if numbers and not searched else "",
        numbered=named,
        bonus=bonus,
        condition=where,
        filters=filters,
    )


def _russian_forms(connection: Connection, tree: q.Node) -> q.RussianForms:
    """Each Russian word of the query with the indexed words of its stem:
    what PostgreSQL's Russian stemmer matches in a Russian document."""
    connection.exec_driver_sql(_VOCABULARY)
    forms: dict[str, tuple[str, ...]] = {}
    for word in sorted(w for w in q.query_words(tree) if q.is_russian(w)):
        stem = q.russian_stem(word)
        indexed = connection.execute(_WORDS_FROM, {"low": stem, "high": stem + "\U0010ffff"})
        same = {term for term in indexed.scalars() if q.russian_stem(term) == stem}
        forms[word] = tuple(sorted(same | {word}))
    return q.RussianForms(forms)


# --- PostgreSQL ----------------------------------------------------------------

# Each language's documents against the query in that language's configuration
# (a NOT term must be lexed as the document was); each branch is a GIN index
# scan of document_search (migration 0008), whose narrow rows are all the
# ranking reads. Documents are read, and snippets made, for the page of hits only.
_POSTGRES_SEARCH = f"""
WITH {{languages}}hits AS (
    SELECT d.document_id AS id,
           -ts_rank(d.search_vector, {{rank_query}}) {{bonus}} AS rank
    FROM document_search d
    WHERE ({{branches}}) {{filters}}
    ORDER BY rank, d.document_id DESC
    LIMIT :limit OFFSET :offset
)
SELECT doc.id, doc.lang, doc.doc_number, doc.title, doc.published_on, hits.rank,
       {PRIMARY_URL},
       headline.marked AS snippet,
       strpos(folded.body, headline.plain) AS snippet_at,
       substr(doc.body, strpos(folded.body, headline.plain), length(headline.plain))
           AS snippet_text
FROM hits JOIN documents doc ON doc.id = hits.id
CROSS JOIN LATERAL (
    SELECT mfa_search_text(left(doc.body, {SNIPPET_CHARACTERS})) AS body OFFSET 0
) folded
CROSS JOIN LATERAL (
    SELECT marked, replace(replace(marked, :open_mark, ''), :close_mark, '') AS plain
    FROM (SELECT ts_headline({{hit_config}}, folded.body, {{hit_query}},
                             :options) AS marked
          OFFSET 0) made
) headline
ORDER BY hits.rank, hits.id DESC
"""

# The snippet: ts_headline of the folded body (mfa_search_text, which the
# matches are found in), its matches marked with these characters for private
# use (never in a document); mfa_search_text keeps every character's offset, so
# the headline, unmarked, is at the same place in the original body, which the
# query returns (snippet_text) for _snippet to mark with the caller's marks.
# OFFSET 0: each is computed once a row, not once a use.
_OPEN, _CLOSE = "\ue000", "\ue001"
_HEADLINE = (
    f'StartSel="{_OPEN}", StopSel="{_CLOSE}", '
    f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, MaxFragments=1"
)


def _postgres_statement(
    tree: q.Node, searched: list[str], filters: str, params: dict[str, Any]
) -> str:
    names = _Params(params)
    condition = q.conditions(tree)
    params.update(options=_HEADLINE, open_mark=_OPEN, close_mark=_CLOSE)
    if isinstance(condition, q.Text):
        params["rank_query"] = q.to_tsquery(tree)
    else:
        params["rank_query"] = q.to_tsquery(q.positive(tree))

    def numbered(numbers: tuple[str, ...]) -> str:
        # an array, not IN (subquery): an index scan the planner can OR with the GIN scans
        return (
            f"d.document_id = ANY(ARRAY(SELECT id FROM documents WHERE {_in_languages(searched, names)} "
            f"AND doc_number IN ({names.names('number', numbers)})))"
        )

    def branch(languages: str, config: str) -> str:
        def match(node: q.Node) -> str:
            compiled = q.to_tsquery(node)
            name = (
                ":rank_query" if compiled == params["rank_query"] else names.name("query", compiled)
            )
            return f"d.search_vector @@ to_tsquery('{config}'::regconfig, {name})"

        return f"({languages} AND {_render(condition, match, numbered)})"

    stemmed = ", ".join(f"'{lang}'" for lang in STEMMED)
    branches = " OR ".join(
        [
            branch(f"d.lang = '{lang}'", POSTGRES_CONFIGS[lang])
            for lang in STEMMED
            if not searched or lang in searched
        ]
        + (
            [branch(f"d.lang NOT IN ({stemmed})", POSTGRES_CONFIGS["az"])]
            if not searched or any(lang not in STEMMED for lang in searched)
            else []
        )
    )
    numbers = q.releases(tree)
    bonus = f"- CASE WHEN {numbered(numbers)} THEN {RELEASE_RANK} ELSE 0.0 END" if numbers else ""

    # A constant configuration in each branch: PostgreSQL makes each tsquery once
    # a query, not once a row ranked.
    def per_language(column: str, value: str) -> str:
        cases = " ".join(
            f"WHEN '{lang}' THEN " + value.format(config=f"'{POSTGRES_CONFIGS[lang]}'::regconfig")
            for lang in STEMMED
        )
        other = value.format(config=f"'{POSTGRES_CONFIGS['az']}'::regconfig")
        return f"CASE {column} {cases} ELSE {other} END"

    return _POSTGRES_SEARCH.format(
        languages=_LANGUAGES if q.has_release(tree) and not searched else "",
        branches=branches,
        bonus=bonus,
        filters=filters,
        rank_query=per_language("d.lang", "to_tsquery({config}, :rank_query)"),
        hit_config=per_language("doc.lang", "{config}"),
        hit_query=per_language("doc.lang", "to_tsquery({config}, :rank_query)"),
    )


def _snippet(row: Any, dialect: str, highlight: tuple[str, str]) -> str:
    if dialect == "sqlite":
        if row.snippet is not None:
            return row.snippet
        # a release found by its number alone, or a body past SNIPPET_CHARACTERS
        words = row.opening.split()
        return " ".join(words[:SNIPPET_WORDS]) + ("…" if len(words) > SNIPPET_WORDS else "")
    marked: str = row.snippet
    if not row.snippet_at:  # not found as it is: the folded text, marked
        return marked.replace(_OPEN, highlight[0]).replace(_CLOSE, highlight[1])
    pieces, at = [], 0
    for piece in _split_marks(marked):
        if piece == _OPEN:
            pieces.append(highlight[0])
        elif piece == _CLOSE:
            pieces.append(highlight[1])
        else:
            pieces.append(row.snippet_text[at : at + len(piece)])
            at += len(piece)
    return "".join(pieces)


def _split_marks(marked: str) -> list[str]:
    """The headline's text and marks, in order: ["a ", _OPEN, "b", _CLOSE, " c"]."""
    return _MARKS.split(marked)


_MARKS = re.compile(f"([{_OPEN}{_CLOSE}])")
