"""What changed in the archive since a time, or in one crawl run: documents
new, edited and merged, with word-level diffs of the edits.

`changes` reads the times the archive records (UTC): a document is new when
a crawl first stored it (``documents.first_seen``), edited when a revision of
its text was replaced (``document_revisions.replaced_at``), and merged when a
URL was attached to it as a copy of the same statement (a source whose
``match_rule`` is not ``new``, by its ``first_seen``). One crawl runs at a time
(storage.lock), so a run's changes are those recorded between its start and
its end; edits also name their run (``replaced_in_run_id``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.orm import Session, selectinload

from storage.errors import MfaArchiveError
from storage.history import Paragraph, paragraph_diff
from storage.models import CrawlRun, Document, DocumentRevision, Source
from storage.reports import primary_source
from storage.types import utcnow


@dataclass(frozen=True)
class NewDocument:
    document_id: int
    lang: str
    doc_number: str | None
    title: str  # the current title (an edit since may have changed it)
    category: str | None
    published_on: dt.date
    url: str  # the primary source
    site: str
    first_seen: dt.datetime
    body_html: str  # the current text, for display
    first_hash: str  # content hash of the text first archived: part of a feed entry's id


@dataclass(frozen=True)
class Edit:
    document_id: int
    lang: str
    doc_number: str | None
    url: str
    old_revision: int
    new_revision: int
    replaced_at: dt.datetime
    run_id: int | None
    reason: str | None  # "edited", "primary changed: ..."; None before reasons were kept
    old_title: str
    new_title: str
    new_hash: str  # content hash of the new text
    paragraphs: list[Paragraph]  # what changed, word by word (title first)


@dataclass(frozen=True)
class Merge:
    document_id: int
    lang: str
    title: str
    primary_url: str
    url: str  # the copy attached to the document
    site: str
    match_rule: str  # doc_number | content_hash | similar (docs/deduplication.md)
    similarity: float | None
    first_seen: dt.datetime


@dataclass(frozen=True)
class Changes:
    since: dt.datetime | None  # None: from the archive's beginning
    until: dt.datetime | None  # None: up to now
    run_id: int | None  # the run asked for, if any
    new: list[NewDocument] = field(default_factory=list)
    edited: list[Edit] = field(default_factory=list)
    merged: list[Merge] = field(default_factory=list)


def run_window(engine: Engine, run_id: int) -> tuple[dt.datetime, dt.datetime | None]:
    """When run ``run_id`` wrote: from its start to its end (for a run that
    never finished, to the next run's start, or None: up to now)."""
    with Session(engine) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise MfaArchiveError(f"no crawl run {run_id} in the archive")
        end = run.finished_at or session.scalar(
            select(CrawlRun.started_at).where(CrawlRun.id > run_id).order_by(CrawlRun.id).limit(1)
        )
        return run.started_at, end


def _window(column: ColumnElement, since: dt.datetime | None, until: dt.datetime | None) -> list:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column <= until)
    return conditions


def changes(
    engine: Engine,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    run_id: int | None = None,
    languages: Sequence[str] = (),
    limit: int | None = None,
    merges: bool = True,
) -> Changes:
    """Documents new, edited and merged between ``since`` and ``until``, or in
    run ``run_id`` (which sets both), in ``languages``; newest first. ``limit``
    keeps the newest of each kind (a feed's page); ``merges=False`` skips them."""
    if run_id is not None:
        since, until = run_window(engine, run_id)
    result = Changes(since, until, run_id)
    with Session(engine) as session:
        result.new.extend(_new(session, since, until, languages, limit))
        result.edited.extend(_edits(session, since, until, run_id, languages, limit))
        if merges:
            result.merged.extend(_merges(session, since, until, languages, limit))
    return result


def _new(
    session: Session,
    since: dt.datetime | None,
    until: dt.datetime | None,
    languages: Sequence[str],
    limit: int | None,
) -> list[NewDocument]:
    conditions = _window(Document.first_seen, since, until)
    if languages:
        conditions.append(Document.lang.in_(languages))
    documents = session.scalars(
        select(Document)
        .where(*conditions)
        .options(selectinload(Document.sources))
        .order_by(Document.first_seen.desc(), Document.id.desc())
        .limit(limit)
    ).all()
    first_hashes = dict(
        session.execute(
            select(DocumentRevision.document_id, DocumentRevision.content_hash).where(
                DocumentRevision.document_id.in_([d.id for d in documents]),
                DocumentRevision.revision == 1,
            )
        ).all()
    )
    found = []
    for document in documents:
        primary = primary_source(document.sources)
        found.append(
            NewDocument(
                document_id=document.id,
                lang=document.lang,
                doc_number=document.doc_number,
                title=document.title,
                category=document.category,
                published_on=document.published_on,
                url=primary.url if primary else "",
                site=primary.site if primary else "",
                first_seen=document.first_seen,
                body_html=document.body_html,
                first_hash=first_hashes.get(document.id, document.content_hash),
            )
        )
    return found


def _edits(
    session: Session,
    since: dt.datetime | None,
    until: dt.datetime | None,
    run_id: int | None,
    languages: Sequence[str],
    limit: int | None,
) -> list[Edit]:
    conditions = (
        [DocumentRevision.replaced_in_run_id == run_id]
        if run_id is not None
        else _window(DocumentRevision.replaced_at, since, until)
    )
    if languages:
        conditions.append(Document.lang.in_(languages))
    replaced = session.execute(
        select(DocumentRevision, Document)
        .join(Document, Document.id == DocumentRevision.document_id)
        .where(*conditions)
        .order_by(DocumentRevision.replaced_at.desc(), DocumentRevision.id.desc())
        .limit(limit)
    ).all()
    # The text that replaced each: the next stored revision, or the current text.
    following = {
        (r.document_id, r.revision): r
        for r in session.scalars(
            select(DocumentRevision).where(
                DocumentRevision.document_id.in_({document.id for _, document in replaced})
            )
        )
    }
    urls = _primary_urls(session, {document.id for _, document in replaced})
    edits = []
    for old, document in replaced:
        new = following.get((old.document_id, old.revision + 1))
        new_title, new_body, new_hash = (
            (new.title, new.body, new.content_hash)
            if new is not None
            else (document.title, document.body, document.content_hash)
        )
        edits.append(
            Edit(
                document_id=document.id,
                lang=document.lang,
                doc_number=document.doc_number,
                url=urls.get(document.id, ""),
                old_revision=old.revision,
                new_revision=old.revision + 1,
                replaced_at=old.replaced_at,
                run_id=old.replaced_in_run_id,
                reason=old.reason,
                old_title=old.title,
                new_title=new_title,
                new_hash=new_hash,
                paragraphs=paragraph_diff(
                    [old.title, *old.body.split("\n\n")], [new_title, *new_body.split("\n\n")]
                ),
            )
        )
    return edits


def _merges(
    session: Session,
    since: dt.datetime | None,
    until: dt.datetime | None,
    languages: Sequence[str],
    limit: int | None,
) -> list[Merge]:
    conditions = [Source.match_rule != "new", *_window(Source.first_seen, since, until)]
    if languages:
        conditions.append(Document.lang.in_(languages))
    attached = session.execute(
        select(Source, Document)
        .join(Document, Document.id == Source.document_id)
        .where(*conditions)
        .order_by(Source.first_seen.desc(), Source.id.desc())
        .limit(limit)
    ).all()
    urls = _primary_urls(session, {document.id for _, document in attached})
    return [
        Merge(
            document_id=document.id,
            lang=document.lang,
            title=document.title,
            primary_url=urls.get(document.id, ""),
            url=source.url,
            site=source.site,
            match_rule=source.match_rule,
            similarity=source.similarity,
            first_seen=source.first_seen,
        )
        for source, document in attached
    ]


def _primary_urls(session: Session, document_ids: set[int]) -> dict[int, str]:
    by_document: dict[int, list[Source]] = {}
    for source in session.scalars(select(Source).where(Source.document_id.in_(document_ids))):
        by_document.setdefault(source.document_id, []).append(source)
    return {
        document_id: primary.url
        for document_id, sources in by_document.items()
        if (primary := primary_source(sources)) is not None
    }


def since_day(day: dt.date) -> dt.datetime:
    """The start of ``day``, UTC: what ``changes --since DAY`` means."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def yesterday() -> dt.date:
    return utcnow().date() - dt.timedelta(days=1)
