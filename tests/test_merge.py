"""Merge decisions over plain values, without a database (storage.merge)."""

from __future__ import annotations

import datetime as dt

from storage.dedup import source_rank
from storage.merge import KnownSource, Merger, StoredDocument, text_of
from storage.records import DocumentRecord, Outcome, content_hash, number_key

NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)
DAY = dt.date(2025, 12, 10)
BODY = (
    "The Ministry of Foreign Affairs of the Republic of Azerbaijan welcomes the adoption of the "
    "resolution on landmine clearance, and recalls that the mines laid in the liberated "
    "territories have killed and wounded hundreds of civilians since the end of the conflict."
)


def copy(url: str, *, authoritative: bool = False, **changes) -> DocumentRecord:
    fields = {
        "site": "main" if authoritative else "tallinn", "lang": "en", "url": url,
        "canonical_url": url, "title": "Statement on landmines", "published_on": DAY,
        "body": BODY, "body_html": f"<p>{BODY}</p>", "layout": "x",
        "authoritative": authoritative, "doc_number": None, "category": None,
    } | changes  # fmt: skip
    if fields["doc_number"] and "release_key" not in changes:
        fields["release_key"] = number_key(fields["doc_number"])
    return DocumentRecord(**fields)


def stored(document_id: int, record: DocumentRecord, **changes) -> StoredDocument:
    """The document as the archive would hold it, its primary copy being record."""
    fields = {
        "id": document_id, "text": text_of(record), "lang": record.lang,
        "content_hash": content_hash(record.title, record.body),
        "release_key": record.release_key,
        "rank": source_rank(record.authoritative, record.published_on, record.canonical_url),
        "recorded_at": NOW - dt.timedelta(days=1),
    } | changes  # fmt: skip
    return StoredDocument(**fields)


def decide(merger: Merger, record: DocumentRecord) -> Outcome:
    return merger.decide(record, content_hash(record.title, record.body))


def test_a_page_like_no_other_is_a_new_document_with_its_first_source():
    merger = Merger({}, [], NOW)
    assert decide(merger, copy("https://a/1")) is Outcome.NEW
    (document,) = merger.plan.new_documents
    ((owner, row),) = merger.plan.sources
    assert owner is document and row["match_rule"] == "new"
    assert row["canonical_url"] == "https://a/1" and row["similarity"] is None


def test_a_known_url_with_the_same_text_is_unchanged_and_seen_again():
    page = copy("https://a/1")
    digest = content_hash(page.title, page.body)
    merger = Merger({"https://a/1": KnownSource(5, 1, digest)}, [stored(1, page)], NOW)
    assert decide(merger, page) is Outcome.UNCHANGED
    assert merger.plan.seen_documents == {1}
    assert not merger.plan.revisions and not merger.dirty_documents()


def test_an_edited_primary_copy_is_a_revision_that_keeps_the_old_text():
    page = copy("https://a/1", authoritative=True)
    merger = Merger({"https://a/1": KnownSource(5, 1, "old")}, [stored(1, page)], NOW, run_id=9)
    edited = copy("https://a/1", authoritative=True, body=BODY + " It calls for more support.")
    assert decide(merger, edited) is Outcome.UPDATED
    (revision,) = merger.plan.revisions
    assert (revision["revision"], revision["body"], revision["replaced_in_run_id"]) == (1, BODY, 9)
    (document,) = merger.dirty_documents()
    assert (document.revision, document.text["body"]) == (2, edited.body)


def test_an_edited_copy_that_is_not_primary_leaves_the_document_alone():
    primary = copy("https://main/1", authoritative=True)
    mission = copy("https://a/1")
    known = {"https://a/1": KnownSource(6, 1, content_hash(mission.title, mission.body))}
    merger = Merger(known, [stored(1, primary)], NOW)
    assert decide(merger, copy("https://a/1", body=BODY + " Edited.")) is Outcome.UNCHANGED
    assert not merger.plan.revisions and not merger.dirty_documents()
    assert merger.plan.sources[0][1]["content_hash"] != known["https://a/1"].content_hash


def test_copies_join_by_number_then_hash_then_similar_text():
    numbered = copy("https://main/1", authoritative=True, doc_number="120/25")
    document = stored(1, numbered)
    merger = Merger({}, [document], NOW)
    assert decide(merger, copy("https://a/1", doc_number="120/25", body="Other.")) is Outcome.MERGED
    assert decide(merger, copy("https://b/1", title="Statement on landmines")) is Outcome.MERGED
    similar = copy("https://c/1", title="New title", body=BODY.replace("hundreds", "many"))
    assert decide(merger, similar) is Outcome.MERGED
    rules = [(row["canonical_url"], row["match_rule"]) for _, row in merger.plan.sources]
    assert rules == [("https://a/1", "doc_number"), ("https://b/1", "content_hash"),
                     ("https://c/1", "similar")]  # fmt: skip
    assert merger.plan.sources[2][1]["similarity"] > 0.85


def test_similar_text_outside_the_window_or_under_another_number_is_another_document():
    document = stored(1, copy("https://main/1", authoritative=True, doc_number="120/25"))
    merger = Merger({}, [document], NOW)
    later = copy("https://a/1", published_on=DAY + dt.timedelta(days=30), title="T")
    assert decide(merger, later) is Outcome.NEW
    renumbered = copy("https://b/1", doc_number="121/25", title="T2", body=BODY + " More.")
    assert decide(merger, renumbered) is Outcome.NEW


def test_the_ministrys_own_copy_becomes_primary_and_keeps_what_the_other_knew():
    mission = copy("https://a/1", category=None, doc_number="120/25", title="Mission title")
    merger = Merger({}, [stored(1, mission)], NOW)
    main = copy("https://main/1", authoritative=True, doc_number="120/25", category="Statement",
                body=BODY + " Main site wording.", published_on=DAY + dt.timedelta(days=1))  # fmt: skip
    assert decide(merger, main) is Outcome.MERGED
    (document,) = merger.dirty_documents()
    assert document.text["body"] == main.body  # the main site outranks an earlier mission copy
    assert document.text["category"] == "Statement"
    assert document.release_key == "no:120/25"


def test_a_copy_fills_in_the_number_and_release_key_the_primary_lacked():
    primary = copy("https://main/1", authoritative=True, release_key="slug:landmines")
    merger = Merger({}, [stored(1, primary)], NOW)
    assert decide(merger, copy("https://a/1", doc_number="120/25")) is Outcome.MERGED
    (document,) = merger.dirty_documents()
    assert (document.text["doc_number"], document.release_key) == ("120/25", "no:120/25")


def test_a_record_can_join_a_document_an_earlier_record_of_the_batch_created():
    merger = Merger({}, [], NOW)
    assert decide(merger, copy("https://a/1")) is Outcome.NEW
    assert decide(merger, copy("https://b/1", title="Republished")) is Outcome.MERGED
    (document,) = merger.plan.new_documents
    assert [owner for owner, _ in merger.plan.sources] == [document, document]
