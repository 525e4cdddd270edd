"""Writing to the archive: documents with their sources, rejects, crawl runs.

Every write is one transaction: a crawl killed at any moment leaves whole
documents or none, and the next crawl completes the archive.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker
from w3lib.url import canonicalize_url

from storage.models import CrawlRun, Document, Reject, Source
from storage.types import utcnow


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


def canonical_url(url: str) -> str:
    """One spelling per URL: sorted query, no fragment, normalized escapes."""
    return canonicalize_url(url, keep_fragments=False)


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
        now = utcnow()
        url = canonical_url(record.url)
        digest = content_hash(record.title, record.body)
        with self._sessions.begin() as session:
            source = session.scalars(select(Source).where(Source.url == url)).one_or_none()
            if source is not None:
                outcome = self._refresh(source, record, digest, now)
                source.last_seen = now
                source.last_run_id = run_id
            else:
                document = session.scalars(
                    select(Document)
                    .where(Document.lang == record.lang, Document.content_hash == digest)
                    .order_by(Document.id)
                    .limit(1)
                ).one_or_none()
                if document is None:
                    document = self._new_document(record, digest, now)
                    session.add(document)
                    outcome, rule = Outcome.NEW, RULE_NEW
                else:
                    document.last_seen = now
                    # A copy may know what the first one did not (missions show no category).
                    document.category = document.category or record.category
                    document.doc_number = document.doc_number or record.doc_number
                    outcome, rule = Outcome.MERGED, RULE_CONTENT_HASH
                document.sources.append(
                    Source(
                        site=record.site,
                        url=url,
                        title=record.title_as_published or record.title,
                        match_rule=rule,
                        first_seen=now,
                        last_seen=now,
                        last_run_id=run_id,
                    )
                )
            # A page that was rejected before and is whole now is no longer a reject.
            session.execute(delete(Reject).where(Reject.url == url))
        return outcome

    def _refresh(
        self, source: Source, record: DocumentRecord, digest: str, now: dt.datetime
    ) -> Outcome:
        document = source.document
        document.last_seen = now
        if document.content_hash == digest:
            return Outcome.UNCHANGED
        document.title = record.title
        document.body = record.body
        document.body_html = record.body_html
        document.doc_number = record.doc_number
        document.category = record.category
        document.published_on = record.published_on
        document.content_hash = digest
        document.updated_at = now
        source.title = record.title_as_published or record.title
        return Outcome.UPDATED

    @staticmethod
    def _new_document(record: DocumentRecord, digest: str, now: dt.datetime) -> Document:
        return Document(
            lang=record.lang,
            doc_number=record.doc_number,
            title=record.title,
            category=record.category,
            published_on=record.published_on,
            body=record.body,
            body_html=record.body_html,
            content_hash=digest,
            first_seen=now,
            last_seen=now,
            updated_at=now,
        )

    def record_reject(self, reject: RejectRecord, run_id: int | None = None) -> None:
        """Remember why a listed link is not in the archive (one row per URL, latest reason)."""
        now = utcnow()
        url = canonical_url(reject.url)
        with self._sessions.begin() as session:
            row = session.scalars(select(Reject).where(Reject.url == url)).one_or_none()
            if row is None:
                row = Reject(url=url, first_seen=now)
                session.add(row)
            row.site, row.lang = reject.site, reject.lang
            row.kind, row.reason = reject.kind, reject.reason
            row.run_id, row.last_seen = run_id, now

    def session(self) -> Session:
        return self._sessions()
