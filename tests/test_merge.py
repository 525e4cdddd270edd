"""Merge decisions over plain values, without a database (storage.merge)."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.dedup import NEAR_THRESHOLD, near_duplicate, similarity, source_rank, unmatched_names
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


def test_a_stored_text_replaced_by_a_more_primary_copy_is_kept_as_a_revision_that_says_why():
    mission = copy("https://a/1", title="Mission title")
    merger = Merger({}, [stored(1, mission)], NOW, run_id=4)
    main = copy("https://main/1", authoritative=True, body=BODY + " The main site's wording.")
    assert decide(merger, main) is Outcome.MERGED
    (revision,) = merger.plan.revisions
    assert revision["reason"] == "primary changed: https://a/1 → https://main/1"
    assert (revision["title"], revision["body"], revision["revision"]) == ("Mission title", BODY, 1)
    (document,) = merger.dirty_documents()
    assert (document.revision, document.text["body"]) == (2, main.body)


def test_a_copy_that_does_not_outrank_the_ministrys_own_never_replaces_its_text():
    main = copy("https://main/1", authoritative=True, doc_number="214/26")
    merger = Merger({}, [stored(1, main)], NOW)
    # An earlier copy elsewhere that claims the same release: a copy, never the text.
    forged = copy("https://a/1", doc_number="214/26", body="Forged text.",
                  published_on=DAY - dt.timedelta(days=7))  # fmt: skip
    assert decide(merger, forged) is Outcome.MERGED
    assert not merger.plan.revisions and not merger.dirty_documents()
    assert merger.plan.sources[0][1]["body"] == "Forged text."  # the copy keeps its own text


# -- statements written on a template are two statements ---------------------------

FRAME = (
    "The Ministry of Foreign Affairs of the Republic of Azerbaijan has learned with deep sorrow "
    "of the tragic consequences of the natural disaster, which claimed the lives of many people "
    "and caused serious damage to homes, roads and public infrastructure. On behalf of the people "
    "and the Government of Azerbaijan, we express our sincere condolences to the families of "
    "those who lost their lives, and wish a speedy recovery to all who were injured."
)


def condolences(country: str, event: str) -> str:
    return (
        f"{FRAME}\n\n{event}\n\nAzerbaijan stands in solidarity with the friendly people of "
        f"{country} in this difficult hour and is ready to provide humanitarian assistance."
    )


EARTHQUAKE = condolences(
    "Nepal", "The earthquake that struck Gorkha on 12 January destroyed villages."
)
FLOODS = condolences(
    "Peru", "The floods that hit Piura on 14 January displaced thousands of families."
)


def test_two_statements_on_one_template_stay_apart_though_their_words_are_alike():
    assert similarity(EARTHQUAKE, FLOODS) > NEAR_THRESHOLD  # what merged them before
    assert near_duplicate(EARTHQUAKE, FLOODS) < NEAR_THRESHOLD - 0.2
    assert unmatched_names(EARTHQUAKE, FLOODS) == ["12", "gorkha", "nepal"]
    first = copy("https://main/nepal", authoritative=True, body=EARTHQUAKE)
    merger = Merger({}, [stored(1, first)], NOW)
    second = copy("https://main/peru", authoritative=True, body=FLOODS, title="On the floods",
                  published_on=DAY + dt.timedelta(days=2))  # fmt: skip
    assert decide(merger, second) is Outcome.NEW


@pytest.mark.parametrize(
    "republished",
    [
        FLOODS.replace("wish a speedy recovery to all who were injured",
                       "wish all who were injured a speedy recovery"),  # a sentence edited
        FLOODS + "\n\nThe Embassy in Berlin has opened a book of condolences.",  # a name added
        FLOODS.replace("On behalf", "\u00a0On  behalf").replace("Peru", "“Peru”"),  # spaces, quotes
        FLOODS.replace("Piura", "Piúra"),  # one name spelled two ways
    ],
)  # fmt: skip
def test_a_republication_still_joins_its_statement_and_not_its_template_twin(republished):
    merger = Merger({}, [stored(1, copy("https://main/nepal", authoritative=True, body=EARTHQUAKE)),
                         stored(2, copy("https://main/peru", authoritative=True, body=FLOODS,
                                        published_on=DAY + dt.timedelta(days=2)))], NOW)  # fmt: skip
    mission = copy("https://berlin/peru", title="Condolences to Peru", body=republished,
                   published_on=DAY + dt.timedelta(days=3))  # fmt: skip
    assert decide(merger, mission) is Outcome.MERGED
    ((owner, row),) = merger.plan.sources
    assert (owner.id, row["match_rule"]) == (2, "similar")
    assert row["similarity"] >= NEAR_THRESHOLD


def test_russian_copies_with_e_for_yo_keep_their_names():
    original = "Азербайджан солидарен с народом Пакистана. Ещё раз выражаем соболезнования Пётру."
    copy_ = original.replace("ё", "е").replace("Ё", "Е")
    assert unmatched_names(original, copy_) == unmatched_names(copy_, original) == []
    assert unmatched_names(original, original.replace("Пакистана", "Непала")) == ["пакистана"]
