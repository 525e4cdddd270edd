"""Reading the archive for people and programs: export records, rejects, statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, extract, func, select
from sqlalchemy.orm import Session, selectinload

from storage.dedup import source_rank
from storage.models import Capture, CrawlRun, Document, DocumentRevision, Reject, Source

EXPORT_FIELDS = (
    "id", "lang", "doc_number", "title", "category", "published_on", "body", "body_html",
    "url", "sources", "release", "translations", "content_hash", "first_seen", "last_seen",
    "revisions", "last_changed",
)  # fmt: skip


def primary_source(sources: list[Source]) -> Source | None:
    """The ministry's own copy, else the earliest published, else by URL (storage.dedup)."""
    return min(
        sources,
        key=lambda s: source_rank(s.authoritative, s.published_on, s.canonical_url),
        default=None,
    )


def export_records(
    engine: Engine,
    *,
    since: dt.date | None = None,
    languages: Sequence[str] = (),
    batch_size: int = 500,
) -> Iterator[dict[str, Any]]:
    """Every document (published on or after ``since``, in ``languages``) as a
    plain record, in id order. Streamed a batch at a time by keyset pagination,
    with each batch's sources and translations: memory stays flat however large
    the archive, on every backend."""
    filters = []
    if since is not None:
        filters.append(Document.published_on >= since)
    if languages:
        filters.append(Document.lang.in_(languages))
    last_id = 0
    while True:
        with Session(engine) as session:
            batch = session.scalars(
                select(Document)
                .where(Document.id > last_id, *filters)
                .options(selectinload(Document.sources).selectinload(Source.capture))
                .order_by(Document.id)
                .limit(batch_size)
            ).all()
            if not batch:
                return
            keys = {document.release_key for document in batch if document.release_key}
            releases: dict[str, list[dict[str, Any]]] = {}
            for doc_id, lang, key in session.execute(
                select(Document.id, Document.lang, Document.release_key)
                .where(Document.release_key.in_(keys))
                .order_by(Document.lang, Document.id)
            ):
                releases.setdefault(key, []).append({"lang": lang, "id": doc_id})
            records = [_export_record(document, releases) for document in batch]
            last_id = batch[-1].id
        yield from records


def _export_record(document: Document, releases: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    sources = document.sources
    primary = primary_source(sources)
    siblings = releases.get(document.release_key, []) if document.release_key else []
    return {
        "id": document.id,
        "lang": document.lang,
        "doc_number": document.doc_number,
        "title": document.title,
        "category": document.category,
        "published_on": document.published_on.isoformat(),
        "body": document.body,
        "body_html": document.body_html,
        "url": primary.url if primary else None,
        "sources": [
            {
                "site": s.site,
                "url": s.url,
                "title": s.title,
                "match_rule": s.match_rule,
                "similarity": s.similarity,
                "capture": capture_record(s.capture),
            }
            for s in sources
        ],
        "release": document.release_key,
        "translations": [t for t in siblings if t["id"] != document.id],
        "content_hash": document.content_hash,
        "first_seen": document.first_seen.isoformat(),
        "last_seen": document.last_seen.isoformat(),
        "revisions": document.revision,  # stored versions: 1 if never edited
        "last_changed": document.changed_at.isoformat() if document.changed_at else None,
    }


def capture_record(capture: Capture | None) -> dict[str, Any] | None:
    """Where a source's response is kept (a WARC record), for exports; None if not kept."""
    if capture is None:
        return None
    return {
        "warc_file": capture.warc_file,
        "offset": capture.warc_offset,
        "length": capture.warc_length,
        "record_id": capture.record_id,
        "record_type": capture.record_type,
        "payload_digest": capture.payload_digest,
        "status": capture.status,
        "fetched_at": capture.fetched_at.isoformat(),
    }


def rejects(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.scalars(select(Reject).order_by(Reject.site, Reject.lang, Reject.url))
        return [
            {
                "url": r.url,
                "site": r.site,
                "lang": r.lang,
                "kind": r.kind,
                "reason": r.reason,
                "run_id": r.run_id,
                "first_seen": r.first_seen.isoformat(),
                "last_seen": r.last_seen.isoformat(),
            }
            for r in rows
        ]


def run_record(run: CrawlRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "status": run.status,
        "mode": run.mode,
        "sites": run.sites,
        "languages": run.languages,
        "pages_fetched": run.pages_fetched,
        "documents_new": run.documents_new,
        "documents_updated": run.documents_updated,
        "documents_unchanged": run.documents_unchanged,
        "duplicates_merged": run.duplicates_merged,
        "rejects": run.rejects,
        "errors": run.errors,
        "fallback_extractions": run.fallback_extractions,
        "failure": run.failure,
        "seconds": (run.finished_at - run.started_at).total_seconds() if run.finished_at else None,
    }


def summary_line(run: dict[str, Any]) -> str:
    """The one line a crawl ends with, from its crawl_runs record (storage.reports)."""
    return (
        f"{run['status']}: {run['pages_fetched']} pages fetched; documents "
        f"{run['documents_new']} new, {run['documents_updated']} updated, "
        f"{run['documents_unchanged']} unchanged; {run['duplicates_merged']} duplicates merged; "
        f"{run['rejects']} rejects; {run['errors']} errors; "
        + _fallbacks(run.get("fallback_extractions"))
        + f"{run['seconds'] or 0:.1f}s (run {run['id']})"
        + (f"; {run['failure']}" if run.get("failure") else "")
    )


def _fallbacks(pages: int | None) -> str:
    """The summary's word on pages read by fallbacks: the layout's selectors
    need fixing (nothing when there were none)."""
    return f"{pages} read by fallbacks; " if pages else ""


def get_run(engine: Engine, run_id: int) -> dict[str, Any]:
    with Session(engine) as session:
        return run_record(session.get_one(CrawlRun, run_id))


def stats(engine: Engine, last_runs: int = 5) -> dict[str, Any]:
    with Session(engine) as session:
        year = extract("year", Document.published_on)
        by_lang_year: dict[str, dict[str, int]] = {}
        for lang, yr, count in session.execute(
            select(Document.lang, year, func.count())
            .group_by(Document.lang, year)
            .order_by(Document.lang, year)
        ):
            by_lang_year.setdefault(lang, {})[str(int(yr))] = count
        documents = session.scalar(select(func.count()).select_from(Document)) or 0
        sources = session.scalar(select(func.count()).select_from(Source)) or 0
        by_rule = {
            rule: n
            for rule, n in session.execute(
                select(Source.match_rule, func.count()).group_by(Source.match_rule)
            )
        }
        per_document = (
            select(func.count().label("n")).select_from(Source).group_by(Source.document_id)
        ).subquery()
        sources_per_document = {
            str(n): documents_with
            for n, documents_with in session.execute(
                select(per_document.c.n, func.count()).group_by(per_document.c.n)
            )
        }
        by_kind = {
            kind: n
            for kind, n in session.execute(select(Reject.kind, func.count()).group_by(Reject.kind))
        }
        by_extraction: dict[str, int] = {}
        fallback_by_site: dict[str, int] = {}
        for site, extraction, n in session.execute(
            select(Source.site, Source.extraction, func.count())
            .group_by(Source.site, Source.extraction)
            .order_by(Source.site)
        ):
            by_extraction[extraction] = by_extraction.get(extraction, 0) + n
            if extraction != "selectors":
                fallback_by_site[site] = fallback_by_site.get(site, 0) + n
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(last_runs)))
        changed = (
            session.scalar(
                select(func.count(DocumentRevision.document_id.distinct())).where(
                    DocumentRevision.replaced_in_run_id == runs[0].id
                )
            )
            if runs
            else 0
        )
        return {
            "documents": documents,
            "documents_by_language_and_year": by_lang_year,
            "sources": sources,
            "sources_by_rule": by_rule,
            # How the copies were read: "selectors", or "fallback" (the site's
            # markup is not what its layout expects), and where fallbacks ran.
            "sources_by_extraction": by_extraction,
            "fallback_sources_by_site": fallback_by_site,
            "documents_by_sources": sources_per_document,  # "2": documents with two sources
            "translated_releases": session.scalar(
                select(func.count()).select_from(
                    select(Document.release_key)
                    .where(Document.release_key.is_not(None))
                    .group_by(Document.release_key)
                    .having(func.count() > 1)
                    .subquery()
                )
            ),
            "documents_changed_last_run": changed,  # edited statements, new revisions
            "rejects": sum(by_kind.values()),
            "rejects_by_kind": by_kind,
            "last_runs": [run_record(run) for run in runs],
        }
