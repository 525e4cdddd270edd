"""What changed: word-level diffs, `changes` (new, edited, merged), and the Atom feed."""

from __future__ import annotations

import datetime as dt
import json

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.archive import Archive
from storage.changes import changes
from storage.engine import make_engine
from storage.history import Chunk, marked, marked_html, paragraph_diff, word_diff
from storage.migrate import upgrade
from storage.runs import RunCounts, finish_run, start_run
from tests.conftest import run_cli
from tests.test_storage import record

# -- word diffs ----------------------------------------------------------------------


def test_one_corrected_word_is_one_changed_word():
    old = "The Minister met the Ambassador of Estonia in Baku on 5 June."
    new = "The Minister met the Ambassador of Latvia in Baku on 5 June."
    assert marked(word_diff(old, new)) == (
        "The Minister met the Ambassador of [-Estonia-]{+Latvia+} in Baku on 5 June."
    )


def test_adjacent_changed_words_read_as_one_change():
    assert marked(word_diff("signed a joint statement", "adopted the joint statement")) == (
        "[-signed a-]{+adopted the+} joint statement"
    )
    assert marked(word_diff("in Baku.", "in Baku, Azerbaijan.")) == "in Baku{+, Azerbaijan+}."


def test_html_marks_are_escaped():
    chunks = word_diff("a <b> & c", "a <i> & c")
    assert marked_html(chunks) == "a &lt;<del>b</del><ins>i</ins>&gt; &amp; c"


def test_paragraphs_are_aligned_before_words():
    old = ["Title", "First paragraph.", "Second paragraph.", "Third."]
    new = [
        "Title",
        "A new paragraph.",
        "First paragraph.",
        "Second paragraph, corrected.",
        "Third.",
    ]
    assert [marked(p) for p in paragraph_diff(old, new)] == [
        "{+A new paragraph.+}",
        "Second paragraph{+, corrected+}.",
    ]
    assert marked(paragraph_diff(new, old)[0]) == "[-A new paragraph.-]"
    assert paragraph_diff(old, old) == []


words = st.lists(st.sampled_from(["Baku", "ə", "и", ",", ".", " ", "  ", "\n\n", "a", "b"]))


@given(words, words)
def test_a_word_diff_gives_back_both_texts(old_parts, new_parts):
    old, new = "".join(old_parts), "".join(new_parts)
    chunks = word_diff(old, new)
    assert "".join(c.text for c in chunks if c.op != "insert") == old
    assert "".join(c.text for c in chunks if c.op != "delete") == new
    assert all(isinstance(c, Chunk) and c.text for c in chunks)


# -- changes ---------------------------------------------------------------------------

FIRST = "First paragraph about Baku.\n\nSecond paragraph."
EDITED = "First paragraph about Baku and Ganja.\n\nSecond paragraph."


def two_runs(db_url):
    """An archive after two runs: the first stores a statement in two languages;
    the second an edit of the English one, a copy of it on an embassy's site,
    and a new statement. The times between the runs."""
    engine = make_engine(db_url)
    upgrade(engine)
    archive = Archive(engine)
    run = start_run(engine, ["main"], ["en", "az"], "full")
    archive.store(record(), run)
    archive.store(record(url="https://mfa.gov.az/az/news/no43820-x", lang="az",
                         title="Anım Günü ilə bağlı bəyanat"), run)  # fmt: skip
    finish_run(engine, run, "ok", RunCounts())
    between = dt.datetime.now(dt.UTC)
    run = start_run(engine, ["main", "sofia"], ["en"], "incremental")
    archive.store(record(body=EDITED), run)
    archive.store(record(url="https://sofia.mfa.gov.az/en/news/no43820-x", site="sofia",
                         layout="mission", body=EDITED), run)  # fmt: skip
    archive.store(record(url="https://mfa.gov.az/en/news/no11125-y", doc_number="111/25",
                         title="Press release on a visit", body="A visit to Tallinn."), run)  # fmt: skip
    finish_run(engine, run, "ok", RunCounts())
    archive.close()
    return engine, between


def test_changes_lists_new_edited_and_merged_documents(db_url):
    engine, between = two_runs(db_url)
    everything = changes(engine)
    assert sorted(d.title for d in everything.new) == [
        "Anım Günü ilə bağlı bəyanat", "Press release on a visit",
        "Statement on the Day of Remembrance",
    ]  # fmt: skip

    second = changes(engine, since=between)
    assert [d.title for d in second.new] == ["Press release on a visit"]
    (edit,) = second.edited
    assert (edit.old_revision, edit.new_revision, edit.lang) == (1, 2, "en")
    assert [marked(p) for p in edit.paragraphs] == ["First paragraph about Baku{+ and Ganja+}."]
    (merge,) = second.merged
    assert (merge.site, merge.match_rule) == ("sofia", "doc_number")
    assert merge.url == "https://sofia.mfa.gov.az/en/news/no43820-x"
    assert merge.primary_url == "https://mfa.gov.az/en/news/no43820-x"

    by_run = changes(engine, run_id=2)
    assert [d.title for d in by_run.new] == ["Press release on a visit"]
    assert [e.document_id for e in by_run.edited] == [edit.document_id]
    first = changes(engine, run_id=1)
    assert (len(first.new), first.edited, first.merged) == (2, [], [])
    assert [d.lang for d in changes(engine, languages=["az"]).new] == ["az"]
    engine.dispose()


def test_changes_command(db_url):
    engine, _ = two_runs(db_url)
    engine.dispose()
    result = run_cli("changes", "--db", db_url, "--run", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "changes in run 2: 1 new, 1 edited, 1 merged"
    assert "      First paragraph about Baku{+ and Ganja+}." in lines
    assert any("+ https://sofia.mfa.gov.az/en/news/no43820-x (sofia, by doc_number)" in line
               for line in lines)  # fmt: skip

    since = json.loads(run_cli("changes", "--db", db_url, "--json").stdout)  # since yesterday
    assert len(since["new"]) == 3 and since["since"].endswith("T00:00:00+00:00")
    (edit,) = since["edited"]
    assert edit["paragraphs"][0]["marked"] == "First paragraph about Baku{+ and Ganja+}."
    assert {"op": "insert", "text": " and Ganja"} in edit["paragraphs"][0]["chunks"]
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    later = run_cli("changes", "--db", db_url, "--since", tomorrow)
    assert later.stdout.splitlines() == [f"changes since {tomorrow} 00:00 UTC: 0 new, 0 edited, 0 merged"]  # fmt: skip

    unknown = run_cli("changes", "--db", db_url, "--run", "9")
    assert unknown.returncode == 2 and "no crawl run 9 in the archive" in unknown.stderr
    both = run_cli("changes", "--db", db_url, "--run", "1", "--since", "2020-01-01")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr

    words = run_cli("history", "--db", db_url, "--words", "https://mfa.gov.az/en/news/no43820-x")
    assert words.returncode == 0, words.stderr
    assert "revision 1 -> revision 2:" in words.stdout
    assert "  First paragraph about Baku{+ and Ganja+}." in words.stdout.splitlines()
    as_json = json.loads(run_cli("history", "--db", db_url, "--words", "--json", "1").stdout)
    assert as_json["word_diffs"][0]["paragraphs"][0]["marked"] == (
        "First paragraph about Baku{+ and Ganja+}."
    )


# -- the Atom feed -----------------------------------------------------------------


def test_the_feed_is_valid_atom_with_new_statements_and_edits(db_url, tmp_path):
    engine, _ = two_runs(db_url)
    engine.dispose()
    out = tmp_path / "mfa.atom"
    result = run_cli("feed", "--db", db_url, "--out", str(out))
    assert result.returncode == 0, result.stderr
    feed = feedparser.parse(out.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")  # well-formed XML
    assert feed.version == "atom10"
    assert feed.feed.title.startswith("Statements of Azerbaijan's Ministry of Foreign Affairs")
    assert (
        feed.feed.author_detail.name == "Ministry of Foreign Affairs of the Republic of Azerbaijan"
    )
    titles = [entry.title for entry in feed.entries]
    assert titles[0] in ("Press release on a visit", "Edited: Statement on the Day of Remembrance")
    assert sorted(titles) == [
        "Anım Günü ilə bağlı bəyanat", "Edited: Statement on the Day of Remembrance",
        "Press release on a visit", "Statement on the Day of Remembrance",
    ]  # fmt: skip
    ids = [entry.id for entry in feed.entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)
    edit = next(e for e in feed.entries if e.title.startswith("Edited: "))
    assert "<ins> and Ganja</ins>" in edit.content[0].value
    assert edit.link == "https://mfa.gov.az/en/news/no43820-x"
    new = next(e for e in feed.entries if e.title == "Press release on a visit")
    assert new.content[0].value == "<p>First paragraph about Baku.</p>\n<p>Second paragraph.</p>"
    assert [t.term for t in new.tags] == ["Statement"]
    updated = [e.updated_parsed for e in feed.entries]
    assert updated == sorted(updated, reverse=True)  # newest first

    again = run_cli("feed", "--db", db_url, "--lang", "az")
    only_az = feedparser.parse(again.stdout.encode())
    assert [e.title for e in only_az.entries] == ["Anım Günü ilə bağlı bəyanat"]
    assert only_az.feed.language == "az"
    # An entry keeps its id from one feed to the next.
    az_id = next(e.id for e in feed.entries if e.title.startswith("Anım"))
    assert only_az.entries[0].id == az_id


@pytest.mark.parametrize("args", [["--limit", "0"], ["--lang", "english"]])
def test_feed_arguments(args, tmp_path):
    result = run_cli("feed", "--db", f"sqlite:///{tmp_path}/none.db", *args)
    assert result.returncode == 2


def test_the_new_read_commands_need_an_archive(tmp_path):
    for command in ("changes", "feed", "browse"):
        result = run_cli(command, "--db", f"sqlite:///{tmp_path}/none.db")
        assert result.returncode == 2, (command, result.stderr)
        assert f"no archive at {tmp_path}/none.db" in result.stderr
    assert not (tmp_path / "none.db").exists()
