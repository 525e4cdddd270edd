"""Writing to the archive: documents with their sources, rejects, crawl runs.

Every write is one transaction: a crawl killed at any moment leaves whole
documents or none, and the next crawl completes the archive.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, union, update
from sqlalchemy.orm import sessionmaker

from storage import search_index
from storage.dedup import (
    NEAR_THRESHOLD,
    RULE_CONTENT_HASH,
    RULE_DOC_NUMBER,
    RULE_NEW,
    RULE_SIMILAR,
    RULE_URL,
    release_key,
    similarity,
    source_rank,
    window,
)
from storage.engine import upsert
from storage.models import CrawlRun, Document, DocumentRevision, Reject, Source
from storage.types import utcnow
from storage.urls import canonical_url


@dataclass(frozen=True)
class DocumentRecord:
    """A normalized article, ready to store."""

    site: str
    lang: str
    url: str
    title: str
    published_on: dt.date
    body: str
    body_html: str
    doc_number: str | None = None
    category: str | None = None
    title_as_published: str | None = None  # the page's title, release number included
    layout: str = "main"  # the site's layout: a main-site copy is a document's primary source
    part: str | None = None  # a two-language page's second part: "ru"
    canonical: str | None = None  # canonical_url(url), when the caller has it already

    @property
    def identity(self) -> str:
        """The copy's canonical URL; a page's second language part is a copy of its own."""
        url = self.canonical or canonical_url(self.url, self.layout)
        return f"{url}#{self.part}" if self.part else url


@dataclass(frozen=True)
class RejectRecord:
    url: str
    site: str
    lang: str
    kind: str
    reason: str
    layout: str | None = None  # the site's layout, for its own URL rules


@dataclass(frozen=True)
class Match:
    document_id: int | None  # None: the page would be a new document
    rule: str  # storage.dedup RULE_*
    similarity: float | None


class Outcome(enum.StrEnum):
    NEW = "new"  # a document the archive did not have
    UPDATED = "updated"  # a known URL whose new text changed its document: a revision
    UNCHANGED = "unchanged"  # a known URL whose document stays as it was
    MERGED = "merged"  # a new URL carrying a document the archive has: a new source


def content_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


@dataclass
class RunCounts:
    pages_fetched: int = 0
    documents_new: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    duplicates_merged: int = 0
    rejects: int = 0
    errors: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.NEW:
            self.documents_new += 1
        elif outcome is Outcome.UPDATED:
            self.documents_updated += 1
        elif outcome is Outcome.UNCHANGED:
            self.documents_unchanged += 1
        else:
            self.duplicates_merged += 1


class Archive:
    """The write side of an archive database (already migrated).

    On PostgreSQL, documents are indexed for search in the transaction that
    writes them; with index_in_background (what a crawl uses), by a thread
    of its own after each commit (storage.search_index), and optimize() waits
    for it.
    """

    def __init__(self, engine: Engine, *, index_in_background: bool = False) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
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

    def start_run(self, sites: Iterable[str], languages: Iterable[str], mode: str = "full") -> int:
        """A new run; runs still marked running died without finishing (the
        caller holds the archive's lock, storage.lock, so none is alive)."""
        if self._postgres:
            search_index.catch_up(self.engine)  # what a killed crawl left unindexed
        with self._sessions.begin() as session:
            session.execute(
                update(CrawlRun).where(CrawlRun.status == "running").values(status="killed")
            )
            run = CrawlRun(
                started_at=utcnow(),
                status="running",
                mode=mode,
                sites=",".join(sites),
                languages=",".join(languages),
            )
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, status: str, counts: RunCounts) -> None:
        with self._sessions.begin() as session:
            run = session.get_one(CrawlRun, run_id)
            run.finished_at = utcnow()
            run.status = status
            for name, value in vars(counts).items():
                setattr(run, name, value)
        self.optimize()

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
        self, records: Sequence[DocumentRecord], run_id: int | None = None
    ) -> list[Outcome]:
        """Store records in one transaction: all of them or, if it fails, none.

        Each record is decided in order, as if stored alone: a record may merge
        into a document an earlier record of the same batch created. The work
        is a handful of statements per batch rather than per record, which is
        what lets the crawl keep up with the downloader.
        """
        now = utcnow()
        outcomes: list[Outcome] = []
        changed: list[int] = []  # documents whose text is new: to index for search
        with self.engine.begin() as connection:
            for chunk in _chunks_of_distinct_urls(records):
                batch = _Batch(connection, chunk, now, run_id)
                outcomes += [batch.decide(*item) for item in chunk]
                batch.write()
                changed += batch.changed_document_ids()
            if self._postgres and self._indexer is None:
                search_index.index(connection, changed)
        if self._indexer is not None:
            self._indexer.submit(changed)
        return outcomes

    def match(self, record: DocumentRecord) -> Match:
        """Which stored document a page would join, and by which rule; writes nothing."""
        url = record.identity
        digest = content_hash(record.title, record.body)
        with self.engine.connect() as connection:
            batch = _Batch(connection, [(url, digest, record)], utcnow(), None)
            if url in batch.known_urls:
                return Match(batch.known_urls[url][1], RULE_URL, None)
            doc, rule, score = batch.match(record, digest)
            return Match(doc.id if doc else None, rule, score)

    def record_reject(self, reject: RejectRecord, run_id: int | None = None) -> None:
        """Remember why a listed link is not in the archive (one row per URL, latest reason)."""
        now = utcnow()
        row = {
            "url": reject.url, "canonical_url": canonical_url(reject.url, reject.layout),
            "site": reject.site, "lang": reject.lang, "kind": reject.kind,
            "reason": reject.reason, "run_id": run_id, "first_seen": now, "last_seen": now,
        }  # fmt: skip
        with self.engine.begin() as connection:
            connection.execute(
                upsert(connection, Reject, [Reject.canonical_url],
                       ["site", "lang", "kind", "reason", "run_id", "last_seen"]),
                row,
            )  # fmt: skip


_Item = tuple[str, str, DocumentRecord]  # canonical URL, content hash, record
_Rank = tuple[bool, dt.date, str]


def _chunks_of_distinct_urls(records: Sequence[DocumentRecord]) -> Iterator[list[_Item]]:
    """Records in order, cut where a URL comes again (two redirects to one page),
    so that each chunk can look its URLs up once."""
    chunk: list[_Item] = []
    urls: set[str] = set()
    for record in records:
        url = record.identity
        if url in urls:
            yield chunk
            chunk, urls = [], set()
        chunk.append((url, content_hash(record.title, record.body), record))
        urls.add(url)
    if chunk:
        yield chunk


_TEXT_COLUMNS = ("title", "body", "body_html", "doc_number", "category", "published_on")


@dataclass
class _Doc:
    """A document as the batch sees it: loaded from the archive, or new in this batch."""

    id: int | None
    text: dict[str, Any]  # _TEXT_COLUMNS
    lang: str
    content_hash: str
    release_key: str | None
    rank: _Rank  # of its primary source
    revision: int = 1  # the current text's number in the edit history
    recorded_at: dt.datetime | None = None  # when the current text was archived
    changed_at: dt.datetime | None = None  # when it replaced an earlier text
    dirty: bool = False  # text to write back (existing documents)


def _text_of(record: DocumentRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _TEXT_COLUMNS}


def _in(column: Any, name: str) -> Any:
    return column.in_(bindparam(name, expanding=True))


# The batch's lookups, built once: constructing them anew for every batch cost
# more than running them.
_KNOWN_URLS = select(
    Source.id, Source.canonical_url, Source.document_id, Source.content_hash
).where(_in(Source.canonical_url, "urls"))
_CANDIDATE_COLUMNS = (
    Document.id, Document.lang, Document.content_hash, Document.release_key,
    Document.revision, Document.first_seen, Document.changed_at,
    *(getattr(Document, name) for name in _TEXT_COLUMNS),
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
    Source.document_id, Source.layout, Source.published_on, Source.canonical_url
).where(_in(Source.document_id, "ids"))


class _Batch:
    """The decisions for a chunk of records (storage.dedup's rules, in order),
    then the few statements that write them."""

    def __init__(
        self, connection: Connection, items: list[_Item], now: dt.datetime, run_id: int | None
    ) -> None:
        self.connection = connection
        self.now = now
        self.run_id = run_id
        self.urls = [url for url, _, _ in items]
        records = [record for _, _, record in items]
        # canonical url -> (source id, document id, the copy's content hash)
        self.known_urls = {
            row.canonical_url: (row.id, row.document_id, row.content_hash)
            for row in connection.execute(_KNOWN_URLS, {"urls": self.urls})
        }
        self.docs: dict[int, _Doc] = {}
        self.by_number: dict[tuple[str, str], _Doc] = {}
        self.by_hash: dict[tuple[str, str], _Doc] = {}
        self.by_day: dict[tuple[str, dt.date], list[_Doc]] = {}
        self._load_candidates(records, {doc_id for _, doc_id, _ in self.known_urls.values()},
                              {digest for _, digest, _ in items})  # fmt: skip
        self.new_documents: list[_Doc] = []
        # Every copy of the chunk, new or seen again: (its document, its row)
        self.sources: list[tuple[_Doc | int, dict[str, Any]]] = []
        self.revisions: list[dict[str, Any]] = []  # superseded texts
        self.seen_documents: set[int] = set()

    def _load_candidates(
        self, records: list[DocumentRecord], known_ids: set[int], hashes: set[str]
    ) -> None:
        """Every stored document a record of the chunk could belong to, found by
        indexed keys only: its URL's document, its number, its hash, its days."""
        rows = self.connection.execute(_CANDIDATES, {
            "known_ids": list(known_ids), "hashes": list(hashes),
            "languages": list({record.lang for record in records}),
            "numbers": list({record.doc_number for record in records if record.doc_number}),
            "days": list({day for record in records for day in window(record.published_on)}),
        }).all()  # fmt: skip
        ranks: dict[int, _Rank] = {}
        for row in self.connection.execute(_SOURCE_RANKS, {"ids": [row.id for row in rows]}):
            rank = source_rank(row.layout, row.published_on, row.canonical_url)
            ranks[row.document_id] = min(rank, ranks.get(row.document_id, rank))
        for row in rows:
            doc = _Doc(row.id, {name: getattr(row, name) for name in _TEXT_COLUMNS}, row.lang,
                       row.content_hash, row.release_key, ranks[row.id], row.revision,
                       row.changed_at or row.first_seen, row.changed_at)  # fmt: skip
            self.docs[row.id] = doc
            self._index(doc)

    def _index(self, doc: _Doc) -> None:
        if doc.text["doc_number"]:
            self.by_number.setdefault((doc.lang, doc.text["doc_number"]), doc)
        self.by_hash.setdefault((doc.lang, doc.content_hash), doc)
        self.by_day.setdefault((doc.lang, doc.text["published_on"]), []).append(doc)

    def match(self, record: DocumentRecord, digest: str) -> tuple[_Doc | None, str, float | None]:
        if record.doc_number and (doc := self.by_number.get((record.lang, record.doc_number))):
            return doc, RULE_DOC_NUMBER, None
        if doc := self.by_hash.get((record.lang, digest)):
            return doc, RULE_CONTENT_HASH, None
        best, best_score = None, 0.0
        for day in window(record.published_on):
            for doc in self.by_day.get((record.lang, day), ()):
                if record.doc_number and doc.text["doc_number"] not in (None, record.doc_number):
                    continue  # two numbered releases are two releases
                score = similarity(record.body, doc.text["body"], cutoff=NEAR_THRESHOLD)
                if score > best_score:
                    best, best_score = doc, score
        if best is not None:
            return best, RULE_SIMILAR, round(best_score, 4)
        return None, RULE_NEW, None

    def decide(self, url: str, digest: str, record: DocumentRecord) -> Outcome:
        rank = source_rank(record.layout, record.published_on, url)
        if url in self.known_urls:
            return self._refresh(url, digest, record, rank)
        doc, rule, score = self.match(record, digest)
        if doc is None:
            doc = _Doc(None, _text_of(record), record.lang, digest,
                       release_key(record.doc_number, record.layout, urlsplit(url).path), rank)  # fmt: skip
            self.new_documents.append(doc)
            self._index(doc)
            outcome = Outcome.NEW
        else:
            self._absorb(doc, record, digest, rank)
            outcome = Outcome.MERGED
        self.sources.append((doc, self._source_row(url, digest, record, rule, score)))
        return outcome

    def _source_row(
        self, url: str, digest: str, record: DocumentRecord, rule: str, score: float | None
    ) -> dict[str, Any]:
        return {
            "site": record.site, "canonical_url": url,
            "url": f"{record.url}#{record.part}" if record.part else record.url,
            "layout": record.layout, "title": record.title_as_published or record.title,
            "published_on": record.published_on, "content_hash": digest,
            "match_rule": rule, "similarity": score,
            "first_seen": self.now, "last_seen": self.now, "last_run_id": self.run_id,
        }  # fmt: skip

    def _absorb(self, doc: _Doc, record: DocumentRecord, digest: str, rank: _Rank) -> None:
        """A new copy of doc: the more primary copy's text is the document's."""
        before = (dict(doc.text), doc.release_key)
        if rank < doc.rank:
            doc.text, doc.content_hash, doc.rank = _text_of(record), digest, rank
            self._index(doc)
        # A copy may know what the primary did not (missions show no category).
        for name in ("category", "doc_number"):
            doc.text[name] = doc.text[name] or before[0][name] or getattr(record, name)
        key = release_key(doc.text["doc_number"], record.layout, urlsplit(record.url).path)
        if key and (doc.release_key is None or key.startswith("no:")):
            doc.release_key = key
        if doc.id is not None:
            self.seen_documents.add(doc.id)
            doc.dirty = doc.dirty or (dict(doc.text), doc.release_key) != before

    def _refresh(self, url: str, digest: str, record: DocumentRecord, rank: _Rank) -> Outcome:
        _, document_id, copy_digest = self.known_urls[url]
        # Written as an upsert: what the copy says now, and when it was seen.
        self.sources.append((document_id, self._source_row(url, digest, record, RULE_URL, None)))
        self.seen_documents.add(document_id)
        if copy_digest == digest:
            return Outcome.UNCHANGED
        doc = self.docs[document_id]
        if rank > doc.rank or doc.content_hash == digest:
            # Another copy is primary, or this copy now says what the document
            # says: the copy's new text is recorded, the document stays.
            return Outcome.UNCHANGED
        # The ministry edited the statement: the text it replaces is kept.
        assert doc.id is not None and doc.recorded_at is not None
        self.revisions.append({
            "document_id": doc.id, "revision": doc.revision, "title": doc.text["title"],
            "body": doc.text["body"], "body_html": doc.text["body_html"],
            "content_hash": doc.content_hash, "recorded_at": doc.recorded_at,
            "replaced_at": self.now, "replaced_in_run_id": self.run_id,
        })  # fmt: skip
        doc.revision += 1
        doc.recorded_at = doc.changed_at = self.now
        doc.text, doc.content_hash, doc.rank, doc.dirty = _text_of(record), digest, rank, True
        return Outcome.UPDATED

    def _insert_documents(self) -> None:
        rows = [
            {**doc.text, "lang": doc.lang, "content_hash": doc.content_hash,
             "release_key": doc.release_key, "first_seen": self.now,
             "last_seen": self.now, "updated_at": self.now}
            for doc in self.new_documents
        ]  # fmt: skip
        keys = [(doc.lang, doc.content_hash) for doc in self.new_documents]
        if len(set(keys)) == len(keys):
            # Matching returned ids by (lang, content hash) lets SQLAlchemy send one
            # multi-row INSERT; sort_by_parameter_order makes it one per row on SQLite.
            returned = self.connection.execute(
                insert(Document).returning(Document.id, Document.lang, Document.content_hash),
                rows,
            )
            ids = {(row.lang, row.content_hash): row.id for row in returned}
            for doc, key in zip(self.new_documents, keys, strict=True):
                doc.id = ids[key]
            return
        # Two new documents with one text: a copy merged by number took the text of
        # another new document. Rare; the ids come back in order, a row at a time.
        returned_ids = self.connection.execute(
            insert(Document).returning(Document.id, sort_by_parameter_order=True), rows
        ).scalars()
        for doc, document_id in zip(self.new_documents, returned_ids, strict=True):
            doc.id = document_id

    def changed_document_ids(self) -> list[int]:
        """After write: the documents this batch created or whose text it changed."""
        return [doc.id for doc in self.new_documents if doc.id is not None] + [
            doc.id for doc in self.docs.values() if doc.dirty and doc.id is not None
        ]

    def write(self) -> None:
        execute = self.connection.execute
        if self.new_documents:
            self._insert_documents()
        if self.sources:
            execute(
                upsert(self.connection, Source, [Source.canonical_url],
                       ["title", "published_on", "content_hash", "last_seen", "last_run_id"]),
                [{**values, "document_id": doc if isinstance(doc, int) else doc.id}
                 for doc, values in self.sources],
            )  # fmt: skip
        dirty = [doc for doc in self.docs.values() if doc.dirty]
        if dirty:
            execute(
                update(Document)
                .where(Document.id == bindparam("doc_id"))
                .values({name: bindparam(name) for name in _TEXT_COLUMNS}
                        | {"content_hash": bindparam("digest"),
                           "release_key": bindparam("release"), "updated_at": self.now,
                           "revision": bindparam("rev"), "changed_at": bindparam("changed")}),
                [{**doc.text, "doc_id": doc.id, "digest": doc.content_hash,
                  "release": doc.release_key, "rev": doc.revision, "changed": doc.changed_at}
                 for doc in dirty],
            )  # fmt: skip
        if self.revisions:
            execute(
                upsert(self.connection, DocumentRevision,
                       [DocumentRevision.document_id, DocumentRevision.revision]),
                self.revisions,
            )  # fmt: skip
        if self.seen_documents:
            execute(
                update(Document)
                .where(Document.id.in_(self.seen_documents))
                .values(last_seen=self.now)
            )
        # A page that was rejected before and is whole now is no longer a reject.
        execute(delete(Reject).where(Reject.canonical_url.in_(self.urls)))
