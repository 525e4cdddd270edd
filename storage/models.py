"""The archive's tables, as SQLAlchemy 2 typed models.

The schema is created and changed only by the Alembic migrations in
storage/migrations/; `alembic check` in CI keeps these models and the
migrations in step. The full-text index (SQLite FTS5) is not a model: it is
created by the migrations and kept in step with ``documents`` by triggers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

# Every constraint and index gets a predictable name from the first migration on.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime, dt.date: Date, str: Text, float: Float}  # noqa: RUF012


class CrawlRun(Base):
    """One crawl: when it ran, what it was asked to do and what it did."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    # running | ok | partial | failed | interrupted | killed (found running, lock free)
    status: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), server_default="full")  # full | incremental
    sites: Mapped[str]  # comma-separated site names
    languages: Mapped[str]  # comma-separated languages
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    documents_new: Mapped[int] = mapped_column(Integer, default=0)
    documents_updated: Mapped[int] = mapped_column(Integer, default=0)
    documents_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    duplicates_merged: Mapped[int] = mapped_column(Integer, default=0)
    rejects: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    # What made a failed run fail, in a line ("unreachable: main (...)").
    failure: Mapped[str | None]
    # Pages their layout's selectors could not read, read by its fallbacks.
    fallback_extractions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Document(Base):
    """One statement in one language, however many URLs carry it."""

    __tablename__ = "documents"
    __table_args__ = (
        Index(None, "lang", "content_hash"),
        Index(None, "lang", "doc_number"),
        Index(None, "published_on"),
        Index(None, "lang", "published_on"),  # near-duplicate candidates: same days
        Index(None, "release_key"),  # translations
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lang: Mapped[str] = mapped_column(String(2))
    doc_number: Mapped[str | None] = mapped_column(String(16))  # "438/20"
    title: Mapped[str]
    category: Mapped[str | None]
    published_on: Mapped[dt.date]
    body: Mapped[str]  # plain text, paragraphs separated by a blank line
    body_html: Mapped[str]  # sanitized, for display
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of title and body
    # The release across languages: "no:438/20", or "slug:<main-site slug>" for
    # an un-numbered item; documents sharing it are translations of each other.
    # A longer key ends in a digest (storage.records.fitted_key, migration 0012).
    release_key: Mapped[str | None] = mapped_column(String(160))
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]  # last write of any text column
    # The edit history: the current text is revision `revision`; earlier ones
    # are in document_revisions. changed_at: when the current text replaced
    # an earlier one (None for a document never edited).
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    changed_at: Mapped[dt.datetime | None]

    sources: Mapped[list[Source]] = relationship(
        back_populates="document", order_by="Source.id", cascade="all, delete-orphan"
    )


class Source(Base):
    """A URL a document was seen at, and why it was attached to that document."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    site: Mapped[str] = mapped_column(String(64))
    url: Mapped[str]  # as first fetched
    canonical_url: Mapped[str] = mapped_column(unique=True)  # its identity: crawler.urls
    # The layout that read the page, as the crawler named it (a site with
    # layout "auto" records the one its markup showed).
    layout: Mapped[str] = mapped_column(String(16))
    # How its fields were read: "selectors" (the layout's) or "fallback" (the
    # markup is not what the layout expects: fix its selectors).
    extraction: Mapped[str] = mapped_column(String(16), server_default="selectors")
    # The ministry's own site's copy: it outranks every other (storage.dedup.source_rank).
    authoritative: Mapped[bool] = mapped_column(Boolean, server_default=false())
    title: Mapped[str]  # as published at this URL, release number included
    published_on: Mapped[dt.date]  # as this copy gives it
    content_hash: Mapped[str] = mapped_column(String(64))  # of this copy's title and body
    # This copy's normalized body, so that no copy's text is lost when another
    # becomes primary (None: archived before migration 0011).
    body: Mapped[str | None]
    # The identity of the URL the listing gave, when a redirect led to this one.
    listed_canonical_url: Mapped[str | None]
    # Why this URL belongs to its document (storage.dedup RULE_*), and the
    # text similarity where that decided it: what an audit reads, what undoes a merge.
    match_rule: Mapped[str] = mapped_column(String(16))
    similarity: Mapped[float | None]
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    # The response this copy's text was read from, kept in a WARC file (None:
    # fetched with captures off, or archived before migration 0013).
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"), index=True)

    document: Mapped[Document] = relationship(back_populates="sources")
    capture: Mapped[Capture | None] = relationship()


class DocumentRevision(Base):
    """An earlier text of a document, kept when the ministry edited the statement."""

    __tablename__ = "document_revisions"
    __table_args__ = (UniqueConstraint("document_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)  # 1: the text first archived
    title: Mapped[str]
    body: Mapped[str]
    body_html: Mapped[str]
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime]  # when this text was first archived
    replaced_at: Mapped[dt.datetime]  # when the next revision replaced it
    replaced_in_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    # Why the next revision replaced it: "edited" (the ministry changed its
    # page), "primary changed: <old> → <new>" (a more primary copy arrived).
    # None: recorded before migration 0011, when only edits were recorded.
    reason: Mapped[str | None]
    # The response this text was read from (its primary copy's capture then).
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"), index=True)


class Listing(Base):
    """Where incremental crawls stand on one site's listing in one language."""

    __tablename__ = "listings"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    lang: Mapped[str] = mapped_column(String(2), primary_key=True)
    # The last time a crawl read this listing to its end (or to where earlier
    # crawls had been); None: never, or a page failed since, so the next crawl
    # walks the whole listing again rather than trusting the stop rule.
    walked_at: Mapped[dt.datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class Reject(Base):
    """A listed link that did not become a document, with the latest reason."""

    __tablename__ = "rejects"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str]  # as listed
    canonical_url: Mapped[str] = mapped_column(unique=True)  # its identity: crawler.urls
    site: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16))  # storage.records REJECT_*
    reason: Mapped[str]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    # The response that made it a reject, when one was fetched and kept.
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"), index=True)


class Capture(Base):
    """A fetched response kept in a WARC file (crawler.warc): where, and what it was.

    Only the captures that sources, rejects and revisions were read from (and
    the originals of those that are revisits) have a row: the WARC files hold
    every response, listing pages and robots.txt included.
    """

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), unique=True)  # WARC-Record-ID
    url: Mapped[str] = mapped_column(index=True)  # WARC-Target-URI: as fetched
    warc_file: Mapped[str] = mapped_column(String(255))  # a name in the WARC directory
    warc_offset: Mapped[int] = mapped_column(BigInteger)  # of the record's gzip member
    warc_length: Mapped[int] = mapped_column(BigInteger)  # of that member, compressed
    record_type: Mapped[str] = mapped_column(String(16))  # response | revisit
    payload_digest: Mapped[str] = mapped_column(String(64))  # "sha1:<base32>"
    status: Mapped[int] = mapped_column(Integer)  # HTTP status
    fetched_at: Mapped[dt.datetime]  # WARC-Date
    # A revisit's original: the capture whose record holds the same payload.
    original_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"), index=True)
