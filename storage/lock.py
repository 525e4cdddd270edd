"""One crawl at a time per archive: a lock the operating system or the server
releases when its holder dies, so a killed crawl never blocks the next one.

SQLite: an exclusive flock() on ``<archive>.lock`` beside the database file.
PostgreSQL: a session-level advisory lock, held by a connection of its own.
The lock is re-entrant within a process (the CLI takes it before Scrapy
starts, the archive pipeline takes it again), counted per archive.
"""

from __future__ import annotations

import fcntl
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import sqlite_path
from storage.errors import ArchiveLockedError, DatabaseError

_held: dict[str, tuple[int, Any]] = {}  # archive -> (times taken, what holds it)
_guard = threading.Lock()
_HOLDER = "mfa-archive crawl, pid "


def _name(engine: Engine) -> str:
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    return str(path.resolve()) if path else engine.url.render_as_string(hide_password=True)


def _advisory_key(engine: Engine) -> int:
    # Advisory locks are per database; the key tells mfa-archive's apart
    # from any other application's, and one archive schema from another.
    schema = engine.dialect.default_schema_name or "public"
    return zlib.crc32(f"mfa-archive crawl lock {schema}".encode())


def _take(engine: Engine) -> Any:
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = path.with_name(path.name + ".lock")
        handle = lock_path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise ArchiveLockedError(
                f"another crawl (pid {holder}) is writing to {path}; this one stops"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return handle
    if engine.dialect.name == "postgresql":
        try:
            connection = engine.connect()
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise DatabaseError(f"cannot open the archive at {engine.url!r}: {reason}") from exc
        key = _advisory_key(engine)
        # The session says whose it is, so that a crawl it blocks can say so.
        connection.exec_driver_sql(
            "SELECT set_config('application_name', %s, false)", (f"{_HOLDER}{os.getpid()}",)
        )
        taken = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
        connection.commit()
        if not taken:
            holder = connection.exec_driver_sql(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                f"WHERE l.locktype = 'advisory' AND l.objid = {key} AND l.granted"
            ).scalar()
            connection.invalidate()
            connection.close()
            pid = (holder or "?").removeprefix(_HOLDER)
            raise ArchiveLockedError(
                f"another crawl (pid {pid}) is writing to {engine.url.database}; this one stops"
            )
        return connection
    raise DatabaseError(f"crawling into a {engine.dialect.name} archive is not supported")


def _release(holder: Any) -> None:
    if hasattr(holder, "invalidate"):  # a PostgreSQL connection
        # Closing the DBAPI connection (not returning it to the pool) ends the
        # session, which releases its advisory locks.
        holder.invalidate()
        holder.close()
    else:
        fcntl.flock(holder, fcntl.LOCK_UN)
        holder.close()


@contextmanager
def archive_lock(engine: Engine) -> Iterator[None]:
    """Hold the archive's crawl lock, or raise ArchiveLockedError at once."""
    acquire(engine)
    try:
        yield
    finally:
        release(engine)


def acquire(engine: Engine) -> None:
    name = _name(engine)
    with _guard:
        count, holder = _held.get(name, (0, None))
        if holder is None:
            holder = _take(engine)
        _held[name] = (count + 1, holder)


def release(engine: Engine) -> None:
    name = _name(engine)
    with _guard:
        count, holder = _held.pop(name, (0, None))
        if count > 1:
            _held[name] = (count - 1, holder)
        elif holder is not None:
            _release(holder)
