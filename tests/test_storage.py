"""The storage layer against a real SQLite file."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crawler.pages import LAYOUTS
from storage.archive import Archive, load_merger
from storage.engine import make_engine
from storage.errors import DatabaseError, SearchQueryError
from storage.migrate import current_revision, head_revision, include_name, upgrade
from storage.models import Base, CrawlRun, Document, Reject, Source
from storage.records import DocumentRecord, Outcome, RejectRecord, content_hash
from storage.reports import export_records, stats
from storage.runs import RunCounts, finish_run, start_run
from storage.scratch import postgres_database
from storage.search import search
from storage.types import utcnow
from tests.archive_sql import failing_inserts


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def archive(engine):
    return Archive(engine)


def record(url="https://mfa.gov.az/en/news/no43820-x", layout="main", **changes) -> DocumentRecord:
    """A record as the crawler makes one: the URL's identity, the release key and
    whether the copy is the ministry's own come from its layout's rules."""
    fields = {
        "site": "main",
        "lang": "en",
        "url": url,
        "title": "Statement on the Day of Remembrance",
        "published_on": dt.date(2020, 11, 24),
        "body": "First paragraph about Baku.\n\nSecond paragraph.",
        "body_html": "<p>First paragraph about Baku.</p>\n<p>Second paragraph.</p>",
        "doc_number": "438/20",
        "category": "Statement",
        "title_as_published": "No:438/20, Statement on the Day of Remembrance",
    } | changes
    rules = LAYOUTS[layout]
    return DocumentRecord(
        **fields, layout=layout, canonical_url=rules.canonical_url(url),
        authoritative=rules.authoritative, release_key=rules.release_key(fields["doc_number"], url),
    )  # fmt: skip


def a_reject(url, kind, reason, layout="main") -> RejectRecord:
    return RejectRecord(url, LAYOUTS[layout].canonical_url(url), "main", "en", kind, reason)


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_migrations_create_the_schema_the_models_describe(engine):
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []


@pytest.fixture
def sqlite_engine(db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_sqlite_file_is_in_wal_mode_with_foreign_keys(sqlite_engine, db_path):
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert db_path.exists()


def test_upgrade_is_idempotent(engine):
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_store_new_then_same_url_again(archive, engine):
    assert archive.store(record()) is Outcome.NEW
    with Session(engine) as session:
        first_seen = session.scalar(select(Source.last_seen))
    assert archive.store(record()) is Outcome.UNCHANGED
    assert count(engine, Document) == 1
    assert count(engine, Source) == 1
    with Session(engine) as session:
        source = session.scalars(select(Source)).one()
        assert source.last_seen > first_seen
        assert source.first_seen == first_seen
        assert source.title == "No:438/20, Statement on the Day of Remembrance"


def test_url_spellings_are_one_url(archive, engine):
    archive.store(record(url="https://mfa.gov.az/en/news/no43820-x?b=2&a=1#top"))
    for spelling in (
        "https://mfa.gov.az/en/news/no43820-x?a=1&b=2",
        "http://www.MFA.gov.az/en/news/no43820-x/?a=1&b=2&utm_source=newsletter",
        "https://mfa.gov.az:443/en/news/no43820-x?fbclid=abc&a=1&b=2",
    ):
        assert archive.store(record(url=spelling)) is Outcome.UNCHANGED, spelling
    assert count(engine, Source) == 1
    with Session(engine) as session:
        source = session.scalars(select(Source)).one()
    assert source.url == "https://mfa.gov.az/en/news/no43820-x?b=2&a=1#top"  # as first seen
    assert source.canonical_url == "https://mfa.gov.az/en/news/no43820?a=1&b=2"  # slug dropped


def test_upgrading_an_archive_of_the_first_schema_keeps_its_sources(db_url):
    from alembic import command

    from storage.migrate import alembic_config

    engine = make_engine(db_url)
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO documents (id, lang, title, published_on, body, body_html, content_hash,"
            " first_seen, last_seen, updated_at) VALUES (1, 'en', 'T', '2020-01-01', 'B', '', 'h',"
            " '2020-01-01', '2020-01-01', '2020-01-01'), (2, 'en', 'T', '2020-01-01', 'B', '',"
            " 'h', '2020-01-01', '2020-01-01', '2020-01-01')"
        )
        connection.exec_driver_sql(
            "INSERT INTO sources (document_id, site, url, title, match_rule, first_seen,"
            " last_seen) VALUES (1, 'main', 'https://mfa.gov.az/en/news/x', 'T', 'new',"
            " '2020-01-01', '2020-01-01'), (2, 'main', 'http://www.mfa.gov.az/en/news/x/', 'T',"
            " 'new', '2020-01-01', '2020-01-01')"
        )
    upgrade(engine)
    with Session(engine) as session:
        sources = session.execute(select(Source.document_id, Source.canonical_url)).all()
        documents = session.scalars(select(Document.id)).all()
    assert sources == [(1, "https://mfa.gov.az/en/news/x")]
    assert documents == [1]  # the second spelling's document went with it


def test_same_text_at_another_url_is_a_new_source_of_the_same_document(archive, engine):
    archive.store(record(doc_number=None))
    outcome = archive.store(record(url="https://sofia.mfa.gov.az/en/news/2210/x", site="sofia",
                                   doc_number=None, layout="mission"))  # fmt: skip
    assert outcome is Outcome.MERGED
    assert count(engine, Document) == 1
    with Session(engine) as session:
        rules = session.execute(select(Source.site, Source.match_rule).order_by(Source.id)).all()
    assert rules == [("main", "new"), ("sofia", "content_hash")]


BODY = (
    "Azerbaijan marks Human Rights Day together with the international community and "
    "reaffirms its commitment to the Universal Declaration of Human Rights.\n\n"
    "The Ministry notes that the protection of the rights of internally displaced persons and "
    "their safe and dignified return to their homes remains a priority of the Government.\n\n"
    "The Ministry also recalls the obligations of states under international humanitarian law."
)


def mission_copy(**changes) -> DocumentRecord:
    fields = {"url": "https://tallinn.mfa.gov.az/en/news/3605/x", "site": "tallinn",
              "layout": "mission", "doc_number": None, "body": BODY}  # fmt: skip
    return record(**{**fields, **changes})


def sources_of(engine) -> list[tuple]:
    with Session(engine) as session:
        return session.execute(
            select(Source.site, Source.match_rule, Source.similarity).order_by(Source.id)
        ).all()


def test_the_same_release_number_is_the_same_document_on_any_site(archive, engine):
    archive.store(record(body=BODY))
    edited = BODY.replace("also recalls", "once again recalls")
    assert archive.store(mission_copy(doc_number="438/20", body=edited + " Extra.")) is (
        Outcome.MERGED
    )
    assert sources_of(engine)[-1] == ("tallinn", "doc_number", None)
    assert archive.store(mission_copy(url="https://x.mfa.gov.az/1", doc_number="439/20",
                                      body="Another release altogether.")) is Outcome.NEW  # fmt: skip


def test_a_republication_with_a_new_title_and_an_edit_is_a_near_duplicate(archive, engine):
    archive.store(record(body=BODY))
    edited = BODY.replace("The Ministry also recalls", "In this regard, the Ministry recalls")
    copy = mission_copy(title="Statement on Human Rights Day", body=edited,
                        published_on=dt.date(2020, 11, 26))  # fmt: skip
    assert archive.store(copy) is Outcome.MERGED
    site, rule, score = sources_of(engine)[-1]
    assert (site, rule) == ("tallinn", "similar") and 0.85 <= score < 1
    with Session(engine) as session:
        document = session.scalars(select(Document)).one()
    assert document.body == BODY  # the main site's copy is the document's text


def test_the_same_title_a_year_apart_is_two_documents(archive, engine):
    archive.store(record(doc_number=None, body=BODY))
    later = record(url="https://mfa.gov.az/en/news/y", doc_number=None,
                   published_on=dt.date(2021, 11, 24), body=BODY.replace("reaffirms", "confirms"))  # fmt: skip
    assert archive.store(later) is Outcome.NEW
    different = record(url="https://mfa.gov.az/en/news/z", doc_number=None,
                       body="A different statement on another subject entirely, the same day.")  # fmt: skip
    assert archive.store(different) is Outcome.NEW


def test_the_main_site_copy_is_primary_whatever_the_order(db_url, tmp_path):
    """Stored in either order, the same document text and the same primary source."""
    main = record(body=BODY, category="Press release")
    copy = mission_copy(doc_number="438/20", title="Human Rights Day",
                        body=BODY.replace("also recalls", "recalls"), category=None)  # fmt: skip
    results = []
    for order, name in (((main, copy), "a"), ((copy, main), "b")):
        engine = make_engine(f"sqlite:///{tmp_path}/{name}.db")
        upgrade(engine)
        for item in order:
            Archive(engine).store(item)
        (exported,) = export_records(engine)
        results.append({k: exported[k] for k in ("title", "body", "category", "doc_number", "url")})
    assert results[0] == results[1]
    assert results[0]["url"] == main.url and results[0]["body"] == BODY


def test_translations_share_a_release_key(archive, engine):
    archive.store(record())
    archive.store(record(url="https://mfa.gov.az/az/news/no43820-x", lang="az", title="Bəyanat",
                         body="Azərbaycan dilində mətn."))  # fmt: skip
    archive.store(record(url="https://mfa.gov.az/ru/news/information-for-citizens", lang="ru",
                         doc_number=None, title="Информация", body="Текст."))  # fmt: skip
    archive.store(record(url="https://mfa.gov.az/en/news/information-for-citizens",
                         doc_number=None, title="Information", body="Text."))  # fmt: skip
    with Session(engine) as session:
        keys = session.execute(
            select(Document.lang, Document.release_key).order_by(Document.id)
        ).all()
    assert keys == [("en", "no:438/20"), ("az", "no:438/20"),
                    ("ru", "slug:information-for-citizens"), ("en", "slug:information-for-citizens")]  # fmt: skip


def test_same_text_in_another_language_stays_apart(archive, engine):
    archive.store(record())
    assert archive.store(record(url="https://mfa.gov.az/az/news/x", lang="az")) is Outcome.NEW
    assert count(engine, Document) == 2


def test_changed_text_at_a_known_url_updates_the_document(archive, engine):
    archive.store(record())
    outcome = archive.store(record(body="First paragraph, corrected.\n\nSecond paragraph."))
    assert outcome is Outcome.UPDATED
    with Session(engine) as session:
        document = session.scalars(select(Document)).one()
        assert document.body.startswith("First paragraph, corrected.")
        assert document.updated_at >= document.first_seen
    assert search(engine, "corrected")
    assert not search(engine, "Baku")


def test_datetimes_come_back_timezone_aware(archive, engine):
    archive.store(record())
    with Session(engine) as session:
        document = session.scalars(select(Document)).one()
    for value in (document.first_seen, document.last_seen, document.updated_at):
        assert value.tzinfo is not None
        assert value.utcoffset() == dt.timedelta(0)


def test_naive_datetimes_are_refused(engine):
    with Session(engine) as session, pytest.raises(Exception, match="naive datetime"):
        session.add(CrawlRun(started_at=dt.datetime(2020, 1, 1), status="running",  # noqa: DTZ001
                             sites="", languages=""))  # fmt: skip
        session.flush()


def test_a_failed_write_leaves_nothing_behind(archive, engine):
    """A document whose source cannot be written is not stored at all."""
    archive.store(record())
    with engine.begin() as connection:  # the next source insert fails after its document
        for statement in failing_inserts(
            engine.url, ["sources"], "blocked", "new.site = 'blocked'"
        ):
            connection.exec_driver_sql(statement)
    with pytest.raises(DBAPIError, match="blocked"):
        archive.store(record(url="https://x.mfa.gov.az/1", site="blocked", body="Other text."))
    assert count(engine, Document) == 1
    assert count(engine, Source) == 1
    assert [hit.document_id for hit in search(engine, "Baku")] == [1]
    assert not search(engine, "Other")


def test_rejects_are_one_row_per_url_with_the_latest_reason(archive, engine):
    run = start_run(engine, ["main"], ["en"], "full")
    archive.record_reject(a_reject("https://mfa.gov.az/en/news/a", "invalid", "no title"), run)
    archive.record_reject(a_reject("https://mfa.gov.az/en/news/a", "http_error", "HTTP 404"), run)
    with Session(engine) as session:
        reject = session.scalars(select(Reject)).one()
        assert (reject.kind, reject.reason, reject.run_id) == ("http_error", "HTTP 404", run)


def test_a_page_stored_after_a_reject_is_no_longer_a_reject(archive, engine):
    archive.record_reject(a_reject(record().url, "invalid", "empty body"))
    archive.store(record())
    assert count(engine, Reject) == 0


def test_runs_keep_their_counts(archive, engine):
    run = start_run(engine, ["main", "sofia"], ["en"], "full")
    finish_run(engine, run, "partial", RunCounts(pages_fetched=7, documents_new=3, rejects=1))
    report = stats(engine)
    last = report["last_runs"][0]
    assert (last["status"], last["pages_fetched"], last["documents_new"], last["rejects"]) == (
        "partial", 7, 3, 1,
    )  # fmt: skip
    assert last["sites"] == "main,sofia"


def test_search_ranks_title_matches_first_and_highlights(archive, engine):
    archive.store(record(url="https://mfa.gov.az/en/news/1", title="Remembrance", body="Nothing.",
                         doc_number=None))  # fmt: skip
    archive.store(record(url="https://mfa.gov.az/en/news/2", title="Other", doc_number=None,
                         body="A text that mentions remembrance once."))  # fmt: skip
    hits = search(engine, "remembrance")
    assert [hit.title for hit in hits] == ["Remembrance", "Other"]
    assert "[remembrance]" in hits[1].snippet
    assert hits[0].url == "https://mfa.gov.az/en/news/1"
    assert [hit.title for hit in search(engine, "title:remembrance")] == ["Remembrance"]
    assert [hit.title for hit in search(engine, 'body:"mentions remembrance"')] == ["Other"]
    assert [hit.title for hit in search(engine, "remembrance NOT nothing")] == ["Other"]
    assert [hit.title for hit in search(engine, "remem*", offset=1)] == ["Other"]


def test_search_folds_diacritics_and_filters(archive, engine):
    archive.store(record(url="https://mfa.gov.az/az/news/1", lang="az", title="Bəyanat",
                         body="Xarici İşlər Nazirliyi Bakıda görüş keçirib.",
                         published_on=dt.date(2025, 1, 5)))  # fmt: skip
    assert search(engine, "gorus")  # ö, ü folded
    assert search(engine, "görüş", languages=["az"])
    assert not search(engine, "görüş", languages=["en"])
    assert not search(engine, "görüş", since=dt.date(2025, 1, 6))
    assert search(engine, "görüş", until=dt.date(2025, 1, 5))


@pytest.mark.parametrize("query", ['"unterminated', "AND", "foo:bar", "(a OR", "a OR"])
def test_malformed_search_query_is_a_clear_error(archive, engine, query):
    archive.store(record())
    with pytest.raises(SearchQueryError, match="malformed search query"):
        search(engine, query)


def test_export_records_carry_every_field(archive, engine):
    archive.store(record())
    archive.store(record(url="https://sofia.mfa.gov.az/en/news/2210/x", site="sofia"))
    (exported,) = list(export_records(engine))
    assert [(s["site"], s["url"], s["match_rule"]) for s in exported["sources"]] == [
        ("main", "https://mfa.gov.az/en/news/no43820-x", "new"),
        ("sofia", "https://sofia.mfa.gov.az/en/news/2210/x", "doc_number"),
    ]
    assert exported["release"] == "no:438/20"
    assert exported["translations"] == []
    assert exported["url"] == "https://mfa.gov.az/en/news/no43820-x"
    assert exported["doc_number"] == "438/20"
    assert exported["published_on"] == "2020-11-24"
    assert len(exported["content_hash"]) == 64
    assert dt.datetime.fromisoformat(exported["first_seen"]).tzinfo is not None


def test_unreachable_database_is_a_database_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(DatabaseError):
        upgrade(make_engine(f"sqlite:///{blocker}/sub/archive.db"))
    with pytest.raises(DatabaseError, match="not a database URL"):
        make_engine("not a url")


def test_the_fts_index_follows_deletes(sqlite_engine, db_path):
    engine = sqlite_engine
    Archive(engine).store(record())
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM documents"))
    assert count(engine, Source) == 0  # cascade
    assert not search(engine, "Baku")
    # Another program (sqlite3, Datasette) reads the same file and index.
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM documents_fts").fetchone() == (0,)


def match(engine, page: DocumentRecord):
    """Which stored document a page would join, by which rule, with which score."""
    with engine.connect() as connection:
        merger = load_merger(connection, [page], utcnow())
    if page.identity in merger.known:
        return merger.known[page.identity].document_id, "url", None
    doc, rule, score = merger.match(page, content_hash(page.title, page.body))
    return (doc.id if doc else None), rule, score


def test_the_merge_rules_say_which_document_a_page_would_join_without_writing(archive, engine):
    archive.store(record(body=BODY))
    assert match(engine, record(body=BODY))[1] == "url"
    copy = mission_copy(title="Human Rights Day", body=BODY.replace("also recalls", "recalls"))
    document_id, rule, score = match(engine, copy)
    assert (document_id, rule) == (1, "similar") and score > 0.85
    assert match(engine, mission_copy(body="Nothing like it."))[0] is None
    assert count(engine, Source) == 1


def test_two_new_documents_with_one_text_in_a_batch_keep_their_own_sources(archive, engine):
    """A copy merged by number can give a new document the text of another new one."""
    a = record(url="https://mfa.gov.az/en/news/a", body=BODY)
    b = mission_copy(url="https://tallinn.mfa.gov.az/en/news/b", title="Other", body="Other text.")
    c = record(url="https://mfa.gov.az/en/news/c", title="Other", body="Other text.",
               published_on=a.published_on - dt.timedelta(days=1))  # fmt: skip
    assert archive.store_many([a, b, c]) == [Outcome.NEW, Outcome.NEW, Outcome.MERGED]
    with Session(engine) as session:
        owners = dict(session.execute(select(Source.url, Source.document_id)).all())
        numbers = dict(session.execute(select(Document.id, Document.doc_number)).all())
    assert owners["https://mfa.gov.az/en/news/a"] == owners["https://mfa.gov.az/en/news/c"]
    assert owners["https://tallinn.mfa.gov.az/en/news/b"] != owners["https://mfa.gov.az/en/news/a"]
    assert numbers[owners["https://mfa.gov.az/en/news/a"]] == "438/20"
    assert numbers[owners["https://tallinn.mfa.gov.az/en/news/b"]] is None


def test_views_give_one_row_per_document_with_its_primary_source(archive, engine):
    archive.store(record(url="https://sofia.mfa.gov.az/en/news/2210/x", site="sofia",
                         layout="mission"))  # fmt: skip
    archive.store(record())  # the main site's copy: primary, though found second
    archive.record_reject(a_reject("https://mfa.gov.az/en/news/9", "invalid", "no title"))
    with engine.connect() as connection:
        documents = connection.execute(text("SELECT * FROM documents_v")).mappings().all()
        sources = connection.execute(
            text("SELECT url, is_primary FROM sources_v ORDER BY source_id")
        ).all()
        rejects = connection.execute(text("SELECT url, reason FROM rejects_v")).all()
    (document,) = documents
    assert document["url"] == "https://mfa.gov.az/en/news/no43820-x"
    assert (document["sources"], document["revisions"], document["release"]) == (
        2, 1, "no:438/20")  # fmt: skip
    assert [(url, bool(primary)) for url, primary in sources] == [
        ("https://sofia.mfa.gov.az/en/news/2210/x", False),
        ("https://mfa.gov.az/en/news/no43820-x", True),
    ]
    assert rejects == [("https://mfa.gov.az/en/news/9", "no title")]


@pytest.fixture
def postgres_engine(postgres_server):
    with postgres_database(postgres_server) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


def test_background_indexing_is_complete_once_optimized(postgres_engine):
    """A crawl indexes for search beside its writes; optimize() waits for it."""
    archive = Archive(postgres_engine, index_in_background=True)
    archive.store_many([record(url=f"https://mfa.gov.az/en/news/{n}", doc_number=None,
                               title=f"Remembrance {n}", body=f"Text number {n} of Baku.",
                               published_on=dt.date(2020, 1, 1) + dt.timedelta(days=10 * n))
                        for n in range(30)])  # fmt: skip
    archive.store(record(url="https://mfa.gov.az/en/news/0", doc_number=None,
                         title="Remembrance 0", body="An edited text of Baku.",
                         published_on=dt.date(2020, 1, 1)))  # fmt: skip
    archive.optimize()
    archive.close()
    assert len(search(postgres_engine, "Baku", limit=100)) == 30
    assert [hit.title for hit in search(postgres_engine, "edited")] == ["Remembrance 0"]


def test_a_crawl_reindexes_what_a_killed_one_left_unindexed(postgres_engine):
    archive = Archive(postgres_engine)
    archive.store(record())
    with postgres_engine.begin() as connection:  # as if killed between write and index
        connection.execute(text("DELETE FROM document_search"))
        connection.execute(text("UPDATE documents SET title = 'Changed title'"))
    assert not search(postgres_engine, "Baku")
    start_run(postgres_engine, ["main"], ["en"], "incremental")
    assert [hit.title for hit in search(postgres_engine, "Baku")] == ["Changed title"]


def test_a_body_past_the_snippet_bound_is_found_with_a_short_snippet(archive, engine):
    """Snippets are made from a bounded part of a body: a document at the size
    limits is found, and shown, without reading all of it."""
    from storage.search import SNIPPET_CHARACTERS

    body = "Baku " + "annex clause " * (SNIPPET_CHARACTERS // 10)
    assert len(body) > SNIPPET_CHARACTERS
    archive.store(record(doc_number=None, title="Annex", body=body))
    (hit,) = search(engine, "annex")
    assert hit.title == "Annex"
    assert "annex" in hit.snippet.lower() and len(hit.snippet) < 400
