"""A SQLite copy of an archive on any backend: how Datasette reads a PostgreSQL archive.

Datasette reads SQLite only. `copy_archive` copies every table of the model,
a batch at a time, into a SQLite archive migrated to the same head: its
triggers fill the FTS5 index as the documents arrive (with the same folding
as a crawl's), and its views are the same views. The copy is a snapshot:
writes to the source after it are not in it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, func, select

from storage.errors import MfaArchiveError
from storage.migrate import upgrade
from storage.models import Base

BATCH_SIZE = 1000


def copy_archive(
    source: Engine,
    target: Engine,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy the archive at ``source`` into the empty SQLite archive ``target``
    (migrated here); the rows copied per table. Both must be at the same
    migration head: the source is read with the current model's columns."""
    upgrade(target)
    copied: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        for table in Base.metadata.sorted_tables:  # parents before children
            if writing.scalar(select(func.count()).select_from(table)):
                raise MfaArchiveError(f"the target archive is not empty: {table.name} has rows")
            rows = reading.execution_options(stream_results=True, yield_per=batch_size).execute(
                select(table).order_by(*table.primary_key.columns)
            )
            copied[table.name] = 0
            for batch in rows.partitions():
                writing.execute(table.insert(), [row._asdict() for row in batch])
                copied[table.name] += len(batch)
                if progress is not None:
                    progress(table.name, copied[table.name])
    # Everything into the file itself, out of the WAL: a snapshot is opened
    # immutable (Datasette then ignores a WAL), or copied elsewhere.
    with target.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return copied
