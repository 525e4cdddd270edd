"""A document's edit history: every stored version of its text, and what changed."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from storage.errors import MfaArchiveError
from storage.models import Document, DocumentRevision, Source
from storage.reports import primary_source


@dataclass(frozen=True)
class Version:
    revision: int  # 1: the text first archived
    title: str
    body: str
    recorded_at: dt.datetime  # when the archive first held this text
    replaced_at: dt.datetime | None  # None: the current text


@dataclass(frozen=True)
class History:
    document_id: int
    lang: str
    doc_number: str | None
    url: str
    versions: list[Version]  # oldest first; the last is the current text

    def diffs(self) -> Iterator[tuple[Version, Version, list[str]]]:
        """Each change as a unified diff, one line per paragraph (title first)."""
        for old, new in zip(self.versions, self.versions[1:], strict=False):
            lines = difflib.unified_diff(
                _lines(old), _lines(new), f"revision {old.revision}", f"revision {new.revision}",
                n=1, lineterm="",
            )  # fmt: skip
            yield old, new, list(lines)


def _lines(version: Version) -> list[str]:
    return [version.title, "", *version.body.split("\n\n")]


def find_document(session: Session, id_or_url: str, identities: Collection[str] = ()) -> Document:
    """A document by its id, or by a URL it was seen at: as fetched, or any of
    the identities the caller derives from it (the crawler's URL rules)."""
    if id_or_url.isdigit():
        document = session.get(Document, int(id_or_url))
    else:
        spellings = {id_or_url, *identities}
        document = session.scalars(
            select(Document)
            .join(Source)
            .where(or_(Source.url.in_(spellings), Source.canonical_url.in_(spellings)))
            .limit(1)
        ).one_or_none()
    if document is None:
        raise MfaArchiveError(f"no document {id_or_url} in the archive")
    return document


def document_history(engine: Engine, id_or_url: str, identities: Collection[str] = ()) -> History:
    """The versions of a document, found as find_document finds it."""
    with Session(engine) as session:
        document = find_document(session, id_or_url, identities)
        earlier = session.scalars(
            select(DocumentRevision)
            .where(DocumentRevision.document_id == document.id)
            .order_by(DocumentRevision.revision)
        )
        versions = [
            Version(r.revision, r.title, r.body, r.recorded_at, r.replaced_at) for r in earlier
        ]
        versions.append(
            Version(document.revision, document.title, document.body,
                    document.changed_at or document.first_seen, None)
        )  # fmt: skip
        primary = primary_source(document.sources)
        url = primary.url if primary else ""
        return History(document.id, document.lang, document.doc_number, url, versions)
