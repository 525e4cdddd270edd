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

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.models import CrawlRun, Document, Reject, Source
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


@dataclass(frozen=True)
class RejectRecord:
    url: str
    site: str
    lang: str
    kind: str
    reason: str


class Outcome(enum.StrEnum):
    NEW = "new"  # a document the archive did not have
    UPDATED = "updated"  # a known URL whose title or body changed
    UNCHANGED = "unchanged"  # a known URL, same text
    MERGED = "merged"  # a new URL carrying a document the archive has: a new source


# Why a source belongs to its document (sources.match_rule).
RULE_NEW = "new"
RULE_CONTENT_HASH = "content_hash"


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
    """The write side of an archive database (already migrated)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def start_run(self, sites: Iterable[str], languages: Iterable[str]) -> int:
        with self._sessions.begin() as session:
            run = CrawlRun(
                started_at=utcnow(),
                status="running",
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
        with self.engine.begin() as connection:
            for chunk in _chunks_of_distinct_urls(records):
                batch = _Batch(connection, chunk, now, run_id)
                outcomes += [batch.decide(*item) for item in chunk]
                batch.write()
        return outcomes

    def record_reject(self, reject: RejectRecord, run_id: int | None = None) -> None:
        """Remember why a listed link is not in the archive (one row per URL, latest reason)."""
        now = utcnow()
        canonical = canonical_url(reject.url)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(Reject).where(Reject.canonical_url == canonical)
            ).one_or_none()
            if row is None:
                row = Reject(url=reject.url, canonical_url=canonical, first_seen=now)
                session.add(row)
            row.site, row.lang = reject.site, reject.lang
            row.kind, row.reason = reject.kind, reject.reason
            row.run_id, row.last_seen = run_id, now

    def session(self) -> Session:
        return self._sessions()


_Item = tuple[str, str, DocumentRecord]  # canonical URL, content hash, record


def _chunks_of_distinct_urls(records: Sequence[DocumentRecord]) -> Iterator[list[_Item]]:
    """Records in order, cut where a URL comes again (two redirects to one page),
    so that each chunk can look its URLs up once."""
    chunk: list[_Item] = []
    urls: set[str] = set()
    for record in records:
        url = canonical_url(record.url)
        if url in urls:
            yield chunk
            chunk, urls = [], set()
        chunk.append((url, content_hash(record.title, record.body), record))
        urls.add(url)
    if chunk:
        yield chunk


@dataclass
class _NewDocument:
    values: dict[str, Any]
    id: int | None = None


class _Batch:
    """The decisions for a chunk of records, then the few statements that write them."""

    def __init__(
        self, connection: Connection, items: list[_Item], now: dt.datetime, run_id: int | None
    ) -> None:
        self.connection = connection
        self.now = now
        self.run_id = run_id
        urls = [url for url, _, _ in items]
        hashes = {digest for _, digest, _ in items}
        # canonical url -> (source id, document id, the document's content hash)
        self.known_urls = {
            row.canonical_url: (row.id, row.document_id, row.content_hash)
            for row in connection.execute(
                select(Source.id, Source.canonical_url, Source.document_id, Document.content_hash)
                .join(Document, Source.document_id == Document.id)
                .where(Source.canonical_url.in_(urls))
            )
        }
        # (lang, content hash) -> the oldest document with that text
        self.known_texts: dict[tuple[str, str], Any] = {}
        for row in connection.execute(
            select(Document.id, Document.lang, Document.content_hash, Document.category,
                   Document.doc_number)
            .where(Document.content_hash.in_(hashes))
            .order_by(Document.id)
        ):  # fmt: skip
            self.known_texts.setdefault((row.lang, row.content_hash), row)
        self.new_documents: dict[tuple[str, str], _NewDocument] = {}
        self.new_sources: list[tuple[int | _NewDocument, dict[str, Any]]] = []
        self.changed: list[dict[str, Any]] = []  # documents whose text changed
        self.filled: list[dict[str, Any]] = []  # documents a copy completes
        self.seen_sources: list[int] = []
        self.seen_documents: set[int] = set()
        self.urls = urls

    def decide(self, url: str, digest: str, record: DocumentRecord) -> Outcome:
        if url in self.known_urls:
            source_id, document_id, stored_digest = self.known_urls[url]
            self.seen_sources.append(source_id)
            self.seen_documents.add(document_id)
            if stored_digest == digest:
                return Outcome.UNCHANGED
            self.changed.append(
                {"doc_id": document_id, "source_id": source_id, "digest": digest,
                 **_document_text(record), "source_title": _published_title(record)}
            )  # fmt: skip
            return Outcome.UPDATED
        key = (record.lang, digest)
        source = {
            "site": record.site,
            "url": record.url,
            "canonical_url": url,
            "title": _published_title(record),
            "first_seen": self.now,
            "last_seen": self.now,
            "last_run_id": self.run_id,
        }
        if (known := self.known_texts.get(key)) is not None:
            self.new_sources.append((known.id, {**source, "match_rule": RULE_CONTENT_HASH}))
            self.seen_documents.add(known.id)
            # A copy may know what the first one did not (missions show no category).
            if (known.category is None and record.category) or (
                known.doc_number is None and record.doc_number
            ):
                self.filled.append({"doc_id": known.id, "category": record.category,
                                    "doc_number": record.doc_number})  # fmt: skip
            return Outcome.MERGED
        if (pending := self.new_documents.get(key)) is not None:
            pending.values["category"] = pending.values["category"] or record.category
            pending.values["doc_number"] = pending.values["doc_number"] or record.doc_number
            self.new_sources.append((pending, {**source, "match_rule": RULE_CONTENT_HASH}))
            return Outcome.MERGED
        pending = _NewDocument(
            {**_document_text(record), "lang": record.lang, "content_hash": digest,
             "first_seen": self.now, "last_seen": self.now, "updated_at": self.now}
        )  # fmt: skip
        self.new_documents[key] = pending
        self.new_sources.append((pending, {**source, "match_rule": RULE_NEW}))
        return Outcome.NEW

    def write(self) -> None:
        execute = self.connection.execute
        if self.new_documents:
            pending = list(self.new_documents.values())
            ids = execute(
                insert(Document).returning(Document.id, sort_by_parameter_order=True),
                [document.values for document in pending],
            ).scalars()
            for document, document_id in zip(pending, ids, strict=True):
                document.id = document_id
        if self.new_sources:
            execute(
                insert(Source),
                [
                    {**values, "document_id": target.id
                     if isinstance(target, _NewDocument) else target}
                    for target, values in self.new_sources
                ],
            )  # fmt: skip
        if self.changed:
            execute(
                update(Document)
                .where(Document.id == bindparam("doc_id"))
                .values(
                    {name: bindparam(name) for name in _TEXT_COLUMNS}
                    | {"content_hash": bindparam("digest"), "updated_at": self.now}
                ),
                self.changed,
            )
            execute(
                update(Source)
                .where(Source.id == bindparam("source_id"))
                .values(title=bindparam("source_title")),
                self.changed,
            )
        if self.filled:
            execute(
                update(Document)
                .where(Document.id == bindparam("doc_id"))
                .values(
                    category=func.coalesce(Document.category, bindparam("category")),
                    doc_number=func.coalesce(Document.doc_number, bindparam("doc_number")),
                ),
                self.filled,
            )
        if self.seen_sources:
            execute(
                update(Source)
                .where(Source.id.in_(self.seen_sources))
                .values(last_seen=self.now, last_run_id=self.run_id)
            )
        if self.seen_documents:
            execute(
                update(Document)
                .where(Document.id.in_(self.seen_documents))
                .values(last_seen=self.now)
            )
        # A page that was rejected before and is whole now is no longer a reject.
        execute(delete(Reject).where(Reject.canonical_url.in_(self.urls)))


_TEXT_COLUMNS = ("title", "body", "body_html", "doc_number", "category", "published_on")


def _document_text(record: DocumentRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _TEXT_COLUMNS}


def _published_title(record: DocumentRecord) -> str:
    return record.title_as_published or record.title
