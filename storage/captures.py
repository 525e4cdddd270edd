"""The captures table: which kept response each source, reject and revision was read from.

The WARC files themselves are the crawler's (crawler.warc); storage keeps
their references as plain values (storage.records.CaptureRef), written in
the transaction that writes the records they belong to.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.engine import upsert
from storage.errors import MfaArchiveError
from storage.models import Capture, DocumentRevision, Reject, Source
from storage.records import CaptureRef

_BY_RECORD_ID = select(Capture.record_id, Capture.id).where(
    Capture.record_id.in_(bindparam("ids", expanding=True))
)


def store_captures(connection: Connection, refs: Iterable[CaptureRef]) -> dict[str, int]:
    """Write the captures (and the originals of revisits) that are not in the
    table yet; their ids by WARC record id."""
    own = {ref.record_id: ref for ref in refs}
    if not own:
        return {}
    originals = {ref.original.record_id: ref.original for ref in own.values() if ref.original}
    ids = _insert(connection, originals.values(), {}) if originals else {}
    return ids | _insert(connection, own.values(), ids)


def _insert(
    connection: Connection, refs: Collection[CaptureRef], ids: dict[str, int]
) -> dict[str, int]:
    rows = [
        {"record_id": ref.record_id, "url": ref.url, "warc_file": ref.warc_file,
         "warc_offset": ref.offset, "warc_length": ref.length, "record_type": ref.record_type,
         "payload_digest": ref.payload_digest, "status": ref.status, "fetched_at": ref.fetched_at,
         "original_id": ids.get(ref.original.record_id) if ref.original else None}
        for ref in refs
    ]  # fmt: skip
    connection.execute(upsert(connection, Capture, [Capture.record_id]), rows)
    found = connection.execute(_BY_RECORD_ID, {"ids": [ref.record_id for ref in refs]})
    return {record_id: capture_id for record_id, capture_id in found}


def _ref(row: Capture, original: Capture | None = None) -> CaptureRef:
    return CaptureRef(
        record_id=row.record_id, url=row.url, warc_file=row.warc_file, offset=row.warc_offset,
        length=row.warc_length, record_type=row.record_type, payload_digest=row.payload_digest,
        status=row.status, fetched_at=row.fetched_at,
        original=_ref(original) if original is not None else None,
    )  # fmt: skip


def _with_originals(session: Session, condition: Any) -> list[CaptureRef]:
    """The captures that meet condition, each with its original if it is a revisit."""
    original = aliased(Capture)
    rows = session.execute(
        select(Capture, original)
        .outerjoin(original, original.id == Capture.original_id)
        .where(condition)
    ).all()
    return [_ref(capture, its_original) for capture, its_original in rows]


def latest_captures(engine: Engine) -> dict[str, CaptureRef]:
    """The newest capture the archive keeps of each URL, with its original if
    it is a revisit: what a re-fetched response's payload is compared with."""
    newest = select(func.max(Capture.id)).group_by(Capture.url).scalar_subquery()
    with Session(engine) as session:
        refs = _with_originals(session, Capture.id.in_(newest))
    return {ref.url: ref for ref in refs}


@dataclass(frozen=True)
class CaptureOf:
    """A source's or a reject's capture, and what it belongs to."""

    what: str  # "source 12 of document 7", "reject (invalid: no title)"
    url: str
    capture: CaptureRef | None


def capture_of(engine: Engine, key: str, identities: Collection[str] = ()) -> CaptureOf:
    """The capture of a source (by id, URL or any of the URL's identities),
    else of a reject (by URL or identity)."""
    with Session(engine) as session:
        connection = session.connection()
        condition = (
            Source.id == int(key)
            if key.isdigit()
            else or_(Source.url == key, Source.canonical_url.in_(identities))
        )
        source = connection.execute(select(Source).where(condition).limit(1)).first()
        if source is not None:
            refs = _with_originals(session, Capture.id == source.capture_id)
            what = f"source {source.id} of document {source.document_id}"
            return CaptureOf(what, source.url, refs[0] if refs else None)
        if not key.isdigit():
            reject = connection.execute(
                select(Reject).where(or_(Reject.url == key, Reject.canonical_url.in_(identities)))
            ).first()
            if reject is not None:
                refs = _with_originals(session, Capture.id == reject.capture_id)
                what = f"reject ({reject.kind}: {reject.reason})"
                return CaptureOf(what, reject.url, refs[0] if refs else None)
    raise MfaArchiveError(f"no source or reject {key!r} in the archive")


def capture_references(engine: Engine) -> dict[str, set[str]]:
    """What refers to each capture the table keeps, by WARC record id:
    "source", "reject", "revision", and "original" (of a revisit that is referred to)."""
    references: dict[str, set[str]] = {}
    original = aliased(Capture)
    with engine.connect() as connection:
        for kind, model in (("source", Source), ("reject", Reject), ("revision", DocumentRevision)):
            for record_id in connection.scalars(
                select(Capture.record_id).join(model, model.capture_id == Capture.id).distinct()
            ):
                references.setdefault(record_id, set()).add(kind)
        for record_id, revisit in connection.execute(
            select(original.record_id, Capture.record_id).join(
                Capture, Capture.original_id == original.id
            )
        ):
            if revisit in references:
                references.setdefault(record_id, set()).add("original")
    return references


def forget_captures(engine: Engine, record_ids: Sequence[str]) -> None:
    """Unlink and delete the rows of captures whose records are gone from the
    WARC files (pruned)."""
    if not record_ids:
        return
    with engine.begin() as connection:
        ids = list(connection.scalars(select(Capture.id).where(Capture.record_id.in_(record_ids))))
        for model in (Source, Reject, DocumentRevision):
            connection.execute(
                update(model).where(model.capture_id.in_(ids)).values(capture_id=None)
            )
        connection.execute(
            update(Capture).where(Capture.original_id.in_(ids)).values(original_id=None)
        )
        connection.execute(delete(Capture).where(Capture.id.in_(ids)))


def moved_captures(engine: Engine, moves: dict[str, tuple[str, int, int]]) -> None:
    """Point rows at the records' new places (record id: file, offset, length)
    after pruning rewrote their WARC files."""
    if not moves:
        return
    with engine.begin() as connection:
        connection.execute(
            update(Capture)
            .where(Capture.record_id == bindparam("rid"))
            .values(warc_file=bindparam("file"), warc_offset=bindparam("offset"),
                    warc_length=bindparam("length")),
            [{"rid": rid, "file": file, "offset": offset, "length": length}
             for rid, (file, offset, length) in moves.items()],
        )  # fmt: skip
