"""Writing to the archive: documents with their sources, and rejects.

For each batch: load what its records could join (known sources, candidate
documents), let storage.merge decide, write the plan. Every write is one
transaction: a crawl killed at any moment leaves whole documents or none, and
the next crawl completes the archive. Crawl runs and listings are
storage.runs' and storage.state's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, union, update

from storage import search_index
from storage.captures import store_captures
from storage.dedup import source_rank, window
from storage.engine import upsert
from storage.merge import (
    REASON_EDITED,
    REASON_REPARSE,
    TEXT_COLUMNS,
    KnownSource,
    MergePlan,
    Merger,
    StoredDocument,
)
from storage.models import Document, DocumentRevision, Reject, Source
from storage.records import DocumentRecord, Outcome, RejectRecord, content_hash
from storage.types import utcnow


class Archive:
    """The write side of an archive database (already migrated).

    On PostgreSQL, documents are indexed for search in the transaction that
    writes them; with index_in_background (what a crawl uses), by a thread
    of its own after each commit (storage.search_index), and optimize() waits
    for it.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        index_in_background: bool = False,
        edit_reason: str = REASON_EDITED,
    ) -> None:
        self.engine = engine
        # Why a known copy's changed text replaces its document's (storage.merge):
        # "edited" in a crawl, "reparse" when mfa-archive reparse reads it anew.
        self.edit_reason = edit_reason
        # A crawl's writes are sightings (last_seen); a reparse's are not: it saw nothing.
        self.sighting = edit_reason != REASON_REPARSE
        self._postgres = engine.dialect.name == "postgresql"
        self._indexer = (
            search_index.BackgroundIndexer(engine)
            if self._postgres and index_in_background
            else None
        )

    def close(self) -> None:
        """Wait for the search index, and stop its thread."""
        if self._indexer is not None:
            self._indexer.close()

    def index_failure(self) -> tuple[str, int] | None:
        """Why background indexing failed, and how many stored documents it
        left unsearchable (the next crawl indexes them); None if it did not."""
        if self._indexer is None or self._indexer.error is None:
            return None
        self._indexer.wait()
        return self._indexer.error, self._indexer.unindexed

    def optimize(self) -> None:
        """Refresh the query planner's statistics, as after a crawl: a planner
        that believes a table empty picks plans that cost searches seconds."""
        if self._indexer is not None:
            self._indexer.wait()
        with self.engine.begin() as connection:
            if self._postgres:
                # The search index's pending entries, merged in one pass (0007).
                connection.exec_driver_sql(
                    "SELECT gin_clean_pending_list('ix_document_search_search_vector'::regclass)"
                )
                connection.exec_driver_sql("ANALYZE documents, sources, rejects, document_search")
            else:
                connection.exec_driver_sql("PRAGMA optimize")

    def store(self, record: DocumentRecord, run_id: int | None = None) -> Outcome:
        """Add a document, or a source to the document it duplicates, or refresh a known URL."""
        return self.store_many([record], run_id)[0]

    def store_many(
        self,
        records: Sequence[DocumentRecord],
        run_id: int | None = None,
        *,
        edit_reason: str | None = None,
    ) -> list[Outcome]:
        """Store records in one transaction: all of them or, if it fails, none.

        Each record is decided in order, as if stored alone (storage.merge).
        The work is a handful of statements per batch rather than per record,
        which is what lets the crawl keep up with the downloader. A known
        copy's changed text becomes a revision for ``edit_reason`` (default:
        the archive's, storage.merge's "edited" or "reparse").
        """
        now = utcnow()
        outcomes: list[Outcome] = []
        changed: list[int] = []  # documents whose text is new: to index for search
        with self.engine.begin() as connection:
            for chunk in _chunks_of_distinct_urls(records):
                capture_ids = store_captures(connection, [r.capture for r in chunk if r.capture])
                merger = load_merger(connection, chunk, now, run_id,
                                     edit_reason or self.edit_reason)  # fmt: skip
                merger.capture_ids = capture_ids
                for record in chunk:
                    merger.decide(record, content_hash(record.title, record.body))
                changed += _write(connection, merger, now, sighting=self.sighting)
                outcomes += merger.plan.outcomes
            if self._postgres and self._indexer is None:
                search_index.index(connection, changed)
        if self._indexer is not None:
            self._indexer.submit(changed)
        return outcomes

    def record_reject(self, reject: RejectRecord, run_id: int | None = None) -> None:
        """Remember why a listed link is not in the archive (one row per URL, latest reason)."""
        now = utcnow()
        row = {
            "url": reject.url, "canonical_url": reject.canonical_url,
            "site": reject.site, "lang": reject.lang, "kind": reject.kind,
            "reason": reject.reason, "run_id": run_id, "first_seen": now, "last_seen": now,
        }  # fmt: skip
        with self.engine.begin() as connection:
            captures = store_captures(connection, [reject.capture] if reject.capture else [])
            row["capture_id"] = captures[reject.capture.record_id] if reject.capture else None
            connection.execute(
                upsert(connection, Reject, [Reject.canonical_url],
                       ["site", "lang", "kind", "reason", "run_id", "last_seen", "capture_id"]),
                row,
            )  # fmt: skip

    def clear_rejects(self, canonical_urls: Iterable[str]) -> None:
        """Forget the rejects of pages that are whole now (a listing page read again)."""
        urls = list(canonical_urls)
        if urls:
            with self.engine.begin() as connection:
                connection.execute(delete(Reject).where(_in(Reject.canonical_url, "urls")),
                                   {"urls": urls})  # fmt: skip


def _chunks_of_distinct_urls(records: Sequence[DocumentRecord]) -> Iterator[list[DocumentRecord]]:
    """Records in order, cut where a URL comes again (two redirects to one page),
    so that each chunk can look its URLs up once."""
    chunk: list[DocumentRecord] = []
    urls: set[str] = set()
    for record in records:
        if record.identity in urls:
            yield chunk
            chunk, urls = [], set()
        chunk.append(record)
        urls.add(record.identity)
    if chunk:
        yield chunk


# -- loading: what a chunk of records could join ---------------------------------


def _in(column: Any, name: str) -> Any:
    return column.in_(bindparam(name, expanding=True))


# The lookups, built once: constructing them anew for every batch cost more
# than running them.
_KNOWN_URLS = select(
    Source.id, Source.canonical_url, Source.document_id, Source.content_hash
).where(_in(Source.canonical_url, "urls"))
_CANDIDATE_COLUMNS = (
    Document.id, Document.lang, Document.content_hash, Document.release_key,
    Document.revision, Document.first_seen, Document.changed_at,
    *(getattr(Document, name) for name in TEXT_COLUMNS),
)  # fmt: skip
# One indexed lookup per key: SQLite scans the table for an OR of them.
_CANDIDATES = union(
    select(*_CANDIDATE_COLUMNS).where(_in(Document.id, "known_ids")),
    *(
        select(*_CANDIDATE_COLUMNS).where(_in(Document.lang, "languages"), _in(column, name))
        for column, name in (
            (Document.content_hash, "hashes"),
            (Document.doc_number, "numbers"),
            (Document.published_on, "days"),
        )
    ),
).order_by("id")
_SOURCE_RANKS = select(
    Source.document_id, Source.authoritative, Source.published_on, Source.canonical_url,
    Source.capture_id,
).where(_in(Source.document_id, "ids"))  # fmt: skip


def load_merger(
    connection: Connection,
    records: Sequence[DocumentRecord],
    now: dt.datetime,
    run_id: int | None = None,
    edit_reason: str = REASON_EDITED,
) -> Merger:
    """A Merger for records (distinct identities), with every stored document
    they could join, found by indexed keys only: their URLs' documents, their
    numbers, their hashes, their days."""
    known = {
        row.canonical_url: KnownSource(row.id, row.document_id, row.content_hash)
        for row in connection.execute(_KNOWN_URLS, {"urls": [r.identity for r in records]})
    }
    rows = connection.execute(_CANDIDATES, {
        "known_ids": list({source.document_id for source in known.values()}),
        "hashes": list({content_hash(record.title, record.body) for record in records}),
        "languages": list({record.lang for record in records}),
        "numbers": list({record.doc_number for record in records if record.doc_number}),
        "days": list({day for record in records for day in window(record.published_on)}),
    }).all()  # fmt: skip
    ranks: dict[int, Any] = {}
    captures: dict[int, int | None] = {}  # the primary copy's: where the text was read
    for row in connection.execute(_SOURCE_RANKS, {"ids": [row.id for row in rows]}):
        rank = source_rank(row.authoritative, row.published_on, row.canonical_url)
        if row.document_id not in ranks or rank < ranks[row.document_id]:
            ranks[row.document_id], captures[row.document_id] = rank, row.capture_id
    candidates = [
        StoredDocument(
            id=row.id,
            text={name: getattr(row, name) for name in TEXT_COLUMNS},
            lang=row.lang,
            content_hash=row.content_hash,
            release_key=row.release_key,
            rank=ranks[row.id],
            revision=row.revision,
            recorded_at=row.changed_at or row.first_seen,
            changed_at=row.changed_at,
            capture_id=captures.get(row.id),
        )
        for row in rows
    ]
    return Merger(known, candidates, now, run_id, edit_reason)


# -- writing: a merger's plan ------------------------------------------------------


def _write(
    connection: Connection, merger: Merger, now: dt.datetime, *, sighting: bool = True
) -> list[int]:
    """Write what merger decided; the ids of documents created or whose text changed.
    Without ``sighting`` (a reparse), known documents and sources keep their last_seen."""
    plan = merger.plan
    execute = connection.execute
    if plan.new_documents:
        _insert_documents(connection, plan, now)
    if plan.sources:
        execute(
            upsert(connection, Source, [Source.canonical_url],
                   ["title", "body", "authoritative", "published_on", "content_hash", "extraction",
                    *(["last_seen"] if sighting else []), "last_run_id", "capture_id"]),
            [{**values, "document_id": doc if isinstance(doc, int) else doc.id}
             for doc, values in plan.sources],
        )  # fmt: skip
    dirty = merger.dirty_documents()
    if dirty:
        execute(
            update(Document)
            .where(Document.id == bindparam("doc_id"))
            .values({name: bindparam(name) for name in TEXT_COLUMNS}
                    | {"content_hash": bindparam("digest"),
                       "release_key": bindparam("release"), "updated_at": now,
                       "revision": bindparam("rev"), "changed_at": bindparam("changed")}),
            [{**doc.text, "doc_id": doc.id, "digest": doc.content_hash,
              "release": doc.release_key, "rev": doc.revision, "changed": doc.changed_at}
             for doc in dirty],
        )  # fmt: skip
    if plan.revisions:
        execute(
            upsert(connection, DocumentRevision,
                   [DocumentRevision.document_id, DocumentRevision.revision]),
            plan.revisions,
        )  # fmt: skip
    if plan.seen_documents and sighting:
        execute(update(Document).where(Document.id.in_(plan.seen_documents)).values(last_seen=now))
    # A page that was rejected before and is whole now is no longer a reject,
    # under its own URL or under the one listed for it (a redirect led here).
    urls = [values[column] for _, values in plan.sources
            for column in ("canonical_url", "listed_canonical_url") if values[column]]  # fmt: skip
    execute(delete(Reject).where(Reject.canonical_url.in_(urls)))
    return [doc.id for doc in (*plan.new_documents, *dirty) if doc.id is not None]


def _insert_documents(connection: Connection, plan: MergePlan, now: dt.datetime) -> None:
    rows = [
        {**doc.text, "lang": doc.lang, "content_hash": doc.content_hash,
         "release_key": doc.release_key, "first_seen": now, "last_seen": now, "updated_at": now}
        for doc in plan.new_documents
    ]  # fmt: skip
    keys = [(doc.lang, doc.content_hash) for doc in plan.new_documents]
    if len(set(keys)) == len(keys):
        # Matching returned ids by (lang, content hash) lets SQLAlchemy send one
        # multi-row INSERT; sort_by_parameter_order makes it one per row on SQLite.
        returned = connection.execute(
            insert(Document).returning(Document.id, Document.lang, Document.content_hash), rows
        )
        ids = {(row.lang, row.content_hash): row.id for row in returned}
        for doc, key in zip(plan.new_documents, keys, strict=True):
            doc.id = ids[key]
        return
    # Two new documents with one text: a copy merged by number took the text of
    # another new document. Rare; the ids come back in order, a row at a time.
    returned_ids = connection.execute(
        insert(Document).returning(Document.id, sort_by_parameter_order=True), rows
    ).scalars()
    for doc, document_id in zip(plan.new_documents, returned_ids, strict=True):
        doc.id = document_id
