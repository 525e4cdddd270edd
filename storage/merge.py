"""Merge decisions: which document each copy joins, over plain values.

No database here: storage.archive loads the documents a batch could join
(``StoredDocument``) and the sources it already knows (``KnownSource``),
``Merger`` decides each record in order with storage.dedup's rules, and
storage.archive writes the resulting ``MergePlan``. The decisions are thus
tested without a database (tests/test_merge.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.dedup import (
    NEAR_THRESHOLD,
    RULE_CONTENT_HASH,
    RULE_DOC_NUMBER,
    RULE_NEW,
    RULE_SIMILAR,
    RULE_URL,
    Rank,
    near_duplicate,
    source_rank,
    window,
)
from storage.records import DocumentRecord, Outcome, number_key

# Why a revision was replaced (document_revisions.reason); the other reason
# is "primary changed: <old identity> → <new identity>".
REASON_EDITED = "edited"
# A text re-derived from its capture by `mfa-archive reparse` (new page objects).
REASON_REPARSE = "reparse"

# A document's text: what a copy says, what a revision keeps.
TEXT_COLUMNS = ("title", "body", "body_html", "doc_number", "category", "published_on")


def text_of(record: DocumentRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in TEXT_COLUMNS}


@dataclass
class StoredDocument:
    """A document as a batch sees it: loaded from the archive, or new in this batch."""

    id: int | None  # None: created by this batch, not written yet
    text: dict[str, Any]  # TEXT_COLUMNS
    lang: str
    content_hash: str
    release_key: str | None
    rank: Rank  # of its primary source (storage.dedup.source_rank)
    revision: int = 1  # the current text's number in the edit history
    recorded_at: dt.datetime | None = None  # when the current text was archived
    changed_at: dt.datetime | None = None  # when it replaced an earlier text
    dirty: bool = False  # text to write back (existing documents)
    capture_id: int | None = None  # the capture its current text was read from


@dataclass(frozen=True)
class KnownSource:
    """A source the archive has, under its identity (canonical URL)."""

    id: int
    document_id: int
    content_hash: str  # of what the copy said when last fetched


@dataclass
class MergePlan:
    """What a batch decided, for storage.archive to write."""

    outcomes: list[Outcome] = field(default_factory=list)
    new_documents: list[StoredDocument] = field(default_factory=list)
    # Every copy of the batch, new or seen again: (its document, or the id of
    # a known one; its source row)
    sources: list[tuple[StoredDocument | int, dict[str, Any]]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)  # superseded texts
    seen_documents: set[int] = field(default_factory=set)  # stored documents seen again


class Merger:
    """Decides a batch's records in order, each as if stored alone: a record
    may join a document an earlier record of the same batch created."""

    def __init__(
        self,
        known: Mapping[str, KnownSource],
        candidates: Iterable[StoredDocument],
        now: dt.datetime,
        run_id: int | None = None,
        edit_reason: str = REASON_EDITED,
    ) -> None:
        self.known = known
        self.now = now
        self.run_id = run_id
        # Why a known copy's new text replaces its document's: an edit, or a reparse.
        self.edit_reason = edit_reason
        # The captures table's ids of the batch's captures, by WARC record id.
        self.capture_ids: Mapping[str, int] = {}
        self.docs: dict[int, StoredDocument] = {}
        self.by_number: dict[tuple[str, str], StoredDocument] = {}
        self.by_hash: dict[tuple[str, str], StoredDocument] = {}
        self.by_day: dict[tuple[str, dt.date], list[StoredDocument]] = {}
        for doc in candidates:
            assert doc.id is not None
            self.docs[doc.id] = doc
            self._index(doc)
        self.plan = MergePlan()

    def _index(self, doc: StoredDocument) -> None:
        if doc.text["doc_number"]:
            self.by_number.setdefault((doc.lang, doc.text["doc_number"]), doc)
        self.by_hash.setdefault((doc.lang, doc.content_hash), doc)
        self.by_day.setdefault((doc.lang, doc.text["published_on"]), []).append(doc)

    def match(
        self, record: DocumentRecord, digest: str
    ) -> tuple[StoredDocument | None, str, float | None]:
        """The document a new copy joins, the rule that says so, and the score."""
        if record.doc_number and (doc := self.by_number.get((record.lang, record.doc_number))):
            return doc, RULE_DOC_NUMBER, None
        if doc := self.by_hash.get((record.lang, digest)):
            return doc, RULE_CONTENT_HASH, None
        best, best_score = None, 0.0
        for day in window(record.published_on):
            for doc in self.by_day.get((record.lang, day), ()):
                if record.doc_number and doc.text["doc_number"] not in (None, record.doc_number):
                    continue  # two numbered releases are two releases
                score = near_duplicate(record.body, doc.text["body"], cutoff=NEAR_THRESHOLD)
                if score > best_score:
                    best, best_score = doc, score
        if best is not None:
            return best, RULE_SIMILAR, round(best_score, 4)
        return None, RULE_NEW, None

    def decide(self, record: DocumentRecord, digest: str) -> Outcome:
        url = record.identity
        rank = source_rank(record.authoritative, record.published_on, url)
        if url in self.known:
            outcome = self._refresh(url, digest, record, rank)
        else:
            doc, rule, score = self.match(record, digest)
            if doc is None:
                doc = StoredDocument(None, text_of(record), record.lang, digest,
                                     record.release_key, rank)  # fmt: skip
                doc.capture_id = self.capture_id(record)
                self.plan.new_documents.append(doc)
                self._index(doc)
                outcome = Outcome.NEW
            else:
                self._absorb(doc, record, digest, rank)
                outcome = Outcome.MERGED
            self.plan.sources.append((doc, self._source_row(url, digest, record, rule, score)))
        self.plan.outcomes.append(outcome)
        return outcome

    def _source_row(
        self, url: str, digest: str, record: DocumentRecord, rule: str, score: float | None
    ) -> dict[str, Any]:
        return {
            "site": record.site, "canonical_url": url,
            "url": f"{record.url}#{record.part}" if record.part else record.url,
            "layout": record.layout, "authoritative": record.authoritative,
            "title": record.title_as_published or record.title, "body": record.body,
            "listed_canonical_url": record.listed_canonical_url,
            "published_on": record.published_on, "content_hash": digest,
            "match_rule": rule, "similarity": score, "extraction": record.extraction,
            "first_seen": self.now, "last_seen": self.now, "last_run_id": self.run_id,
            "capture_id": self.capture_id(record),
        }  # fmt: skip

    def capture_id(self, record: DocumentRecord) -> int | None:
        """The captures row of the response record was read from, if kept."""
        return self.capture_ids.get(record.capture.record_id) if record.capture else None

    def _absorb(self, doc: StoredDocument, record: DocumentRecord, digest: str, rank: Rank) -> None:
        """A new copy of doc: the more primary copy's text is the document's,
        and a stored text it replaces is kept as a revision that says why."""
        before = (dict(doc.text), doc.release_key)
        if rank < doc.rank:
            if doc.id is not None and digest != doc.content_hash:
                old, new = doc.rank[2], rank[2]  # the primary copies' identities
                self._supersede(doc, f"primary changed: {old} → {new}")
            doc.text, doc.content_hash, doc.rank = text_of(record), digest, rank
            doc.capture_id = self.capture_id(record)
            self._index(doc)
        # A copy may know what the primary did not (missions show no category).
        for name in ("category", "doc_number"):
            doc.text[name] = doc.text[name] or before[0][name] or getattr(record, name)
        # A number, whichever copy showed it, is the surest key; else the copy's own.
        number = doc.text["doc_number"]
        key = number_key(number) if number else record.release_key
        if key and (doc.release_key is None or number):
            doc.release_key = key
        if doc.id is not None:
            self.plan.seen_documents.add(doc.id)
            doc.dirty = doc.dirty or (dict(doc.text), doc.release_key) != before

    def _refresh(self, url: str, digest: str, record: DocumentRecord, rank: Rank) -> Outcome:
        known = self.known[url]
        # Written as an upsert: what the copy says now, and when it was seen.
        self.plan.sources.append(
            (known.document_id, self._source_row(url, digest, record, RULE_URL, None))
        )
        self.plan.seen_documents.add(known.document_id)
        if known.content_hash == digest:
            return Outcome.UNCHANGED
        doc = self.docs[known.document_id]
        if rank > doc.rank or doc.content_hash == digest:
            # Another copy is primary, or this copy now says what the document
            # says: the copy's new text is recorded, the document stays.
            return Outcome.UNCHANGED
        # The ministry edited the statement (or a reparse read it anew): the
        # text it replaces is kept.
        self._supersede(doc, self.edit_reason)
        doc.text, doc.content_hash, doc.rank, doc.dirty = text_of(record), digest, rank, True
        doc.capture_id = self.capture_id(record)
        return Outcome.UPDATED

    def _supersede(self, doc: StoredDocument, reason: str) -> None:
        """Keep doc's stored text as a revision, replaced now for reason."""
        assert doc.id is not None and doc.recorded_at is not None
        self.plan.revisions.append({
            "document_id": doc.id, "revision": doc.revision, "title": doc.text["title"],
            "body": doc.text["body"], "body_html": doc.text["body_html"],
            "content_hash": doc.content_hash, "recorded_at": doc.recorded_at,
            "replaced_at": self.now, "replaced_in_run_id": self.run_id, "reason": reason,
            "capture_id": doc.capture_id,
        })  # fmt: skip
        doc.revision += 1
        doc.recorded_at = doc.changed_at = self.now
        doc.dirty = True

    def dirty_documents(self) -> list[StoredDocument]:
        """Stored documents whose text or release key this batch changed."""
        return [doc for doc in self.docs.values() if doc.dirty]
