"""The engine factory: one place that knows how to open an archive.

No engine exists at import time; callers make one from a URL.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.dml import Insert

from storage.errors import DatabaseError

DATABASE_ENV = "MFA_ARCHIVE_DB"
DEFAULT_DATABASE = "sqlite:///data/archive.db"


def database_url(explicit: str | None = None) -> str:
    """--db, else $MFA_ARCHIVE_DB, else the SQLite file data/archive.db."""
    return explicit or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other backends and in-memory databases."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = database_url(url)
    if (path := sqlite_path(url)) is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create a directory for {path}: {exc}") from exc
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # psycopg prepares a statement run five times, and PostgreSQL may then
        # keep one generic plan for it: planned while a crawl's tables were
        # nearly empty, it stays a full scan once they are not (a batch's
        # candidate lookup went from 5 ms to 3 s). Plan each execution afresh.
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("options", "-c plan_cache_mode=force_custom_plan")
        kwargs["connect_args"] = connect_args
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise DatabaseError(f"no SQLAlchemy dialect for {parsed.drivername!r}") from exc
    except ImportError as exc:
        raise DatabaseError(
            f"the driver for {parsed.drivername!r} is not installed: {exc}"
        ) from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and never around DDL; taking over
    # BEGIN makes every transaction, migrations included, really atomic.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the crawler
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")  # wait for a concurrent writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def upsert(
    bind: Connection | Engine,
    model: type,
    conflict: Sequence[InstrumentedAttribute[Any] | Column[Any]],
    update: Sequence[str] = (),
) -> Insert:
    """INSERT ... ON CONFLICT in the backend's own dialect (SQLite and PostgreSQL
    spell it alike): on a row whose conflict columns exist, set the update
    columns to the new values, or with none, leave the row alone."""
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model)
    if not update:
        return statement.on_conflict_do_nothing(index_elements=list(conflict))
    return statement.on_conflict_do_update(
        index_elements=list(conflict), set_={name: statement.excluded[name] for name in update}
    )
