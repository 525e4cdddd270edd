"""PostgreSQL's search index (document_search, migration 0008), kept in step with documents.

Indexing a document is parsing its text for search, most of what writing it
costs on PostgreSQL. Archive does it in the transaction that writes the
documents (a search right after a write finds them), or, for bulk writes
such as a crawl, in a thread of its own on a second connection: then the
server parses batch N while the crawler decides batch N+1, on another core,
and Archive.optimize waits for it. Either way, `catch_up` indexes whatever a
killed process left unindexed or stale (its content hash says which text a
row indexes).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Collection

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Integer

logger = logging.getLogger(__name__)

_UPSERT = """
INSERT INTO document_search (document_id, lang, published_on, content_hash, search_vector)
SELECT d.id, d.lang, d.published_on, d.content_hash, mfa_search_vector(d.lang, d.title, d.body)
FROM documents d
WHERE {where}
ON CONFLICT (document_id) DO UPDATE SET
    lang = excluded.lang, published_on = excluded.published_on,
    content_hash = excluded.content_hash, search_vector = excluded.search_vector
"""
INDEX = text(_UPSERT.format(where="d.id = ANY(:ids)")).bindparams(
    bindparam("ids", type_=ARRAY(Integer))
)
CATCH_UP = text(
    _UPSERT.format(
        where="NOT EXISTS (SELECT 1 FROM document_search s "
        "WHERE s.document_id = d.id AND s.content_hash = d.content_hash)"
    )
)


def index(connection: Connection, document_ids: Collection[int]) -> None:
    """(Re)index these documents, in the caller's transaction."""
    if document_ids:
        connection.execute(INDEX, {"ids": list(document_ids)})


def catch_up(engine: Engine) -> int:
    """Index every document whose row is missing or stale; how many there were."""
    with engine.begin() as connection:
        return connection.execute(CATCH_UP).rowcount


class BackgroundIndexer:
    """Indexes committed documents in a thread of its own, in the order submitted.

    A failure never reaches the writer: the documents are committed before
    they are submitted, so a write must not fail for them. The first error is
    kept (``error``), indexing stops, and ``unindexed`` counts the documents
    left out; the next crawl's ``catch_up`` indexes them.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.Queue[list[int] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.error: str | None = None  # the first failure, in one line
        self.unindexed = 0

    def submit(self, document_ids: Collection[int]) -> None:
        if not document_ids:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)
            self._thread.start()
        self._queue.put(list(document_ids))

    def wait(self) -> None:
        """Return once everything submitted is indexed or left out."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while (document_ids := self._queue.get()) is not None:
            try:
                if self.error is None:
                    with self.engine.begin() as connection:
                        index(connection, document_ids)
                else:
                    self.unindexed += len(document_ids)
            except Exception as exc:  # the crawl reports it when it finishes
                self.error = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                logger.error("cannot index %d documents for search: %s", len(document_ids),
                             self.error)  # fmt: skip
                self.unindexed += len(document_ids)
            finally:
                self._queue.task_done()
        self._queue.task_done()
