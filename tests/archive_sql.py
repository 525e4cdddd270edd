"""Plain SQL on a test archive, on either backend: reading it back, checking
that nothing is half-written, and making it fail the way a full disk does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool


def archive_contents(db_url):
    """Documents by id, sources, rejects by URL (their reason) and runs, as plain values."""
    documents = {row["id"]: row for row in rows(db_url, "SELECT * FROM documents")}
    sources = rows(db_url, "SELECT * FROM sources ORDER BY id")
    rejects = {row["url"]: row["reason"] for row in rows(db_url, "SELECT * FROM rejects")}
    runs = rows(db_url, "SELECT * FROM crawl_runs ORDER BY id")
    return documents, sources, rejects, runs


def rows(db_url, query):
    """Rows as dicts, dates and times as ISO strings (as SQLite stores them), on any backend."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            result = connection.execute(text(query))
            result = result.mappings().all() if result.returns_rows else []
    finally:
        engine.dispose()
    return [{key: _plain(value) for key, value in row.items()} for row in result]


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def assert_consistent(db_url, *, index_complete=True):
    """No half-written document: each has a source; and the search index matches
    (on PostgreSQL, a crawl killed mid-run may leave it behind: the next crawl
    brings it up to date)."""
    orphans = rows(db_url, "SELECT count(*) AS n FROM documents d WHERE NOT EXISTS "
                           "(SELECT 1 FROM sources s WHERE s.document_id = d.id)")  # fmt: skip
    assert orphans == [{"n": 0}]
    (documents,) = rows(db_url, "SELECT count(*) AS n FROM documents")
    if not index_complete and db_url.startswith("postgresql"):
        return
    if db_url.startswith("sqlite"):
        rows(db_url, "INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")
        (indexed,) = rows(db_url, "SELECT count(*) AS n FROM documents_fts")
    else:  # every document indexed, with its current text
        (indexed,) = rows(db_url, "SELECT count(*) AS n FROM document_search s JOIN documents d "
                                  "ON d.id = s.document_id AND d.content_hash = s.content_hash")  # fmt: skip
    assert indexed == documents


def run_sql(db_url, statements: Sequence[str]) -> None:
    """Run statements in one transaction."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _is_sqlite(db_url) -> bool:
    return str(db_url).startswith("sqlite")


def failing_inserts(db_url, tables: Sequence[str], message: str, when: str = "") -> list[str]:
    """Triggers that fail every insert into tables with message, or only those
    whose row (``new``) meets the SQL condition when: what a full disk or a
    broken server does to a write, on a real database."""
    if _is_sqlite(db_url):
        condition = f" WHEN {when}" if when else ""
        return [f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table}{condition} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END" for table in tables]  # fmt: skip
    statements = []
    for table in tables:
        statements += [
            f"CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {when or 'true'} THEN RAISE EXCEPTION '{message}'; END IF; RETURN new; END $$",
            f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION fail_{table}()",
        ]
    return statements


def healed(db_url, tables: Sequence[str]) -> list[str]:
    """The statements that remove failing_inserts' triggers."""
    if _is_sqlite(db_url):
        return [f"DROP TRIGGER fail_{table}" for table in tables]
    return [f"DROP FUNCTION fail_{table}() CASCADE" for table in tables]
