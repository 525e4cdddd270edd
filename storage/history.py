"""A document's edit history: every stored version of its text, and what changed."""

from __future__ import annotations

import datetime as dt
import difflib
import html
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

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
    # Why the next version replaced it: "edited", "primary changed: <old> → <new>";
    # None for the current text, and for revisions recorded before reasons were.
    reason: str | None = None


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

    def word_diffs(self) -> Iterator[tuple[Version, Version, list[Paragraph]]]:
        """Each change as the paragraphs it touched, word by word (title first)."""
        for old, new in zip(self.versions, self.versions[1:], strict=False):
            yield old, new, paragraph_diff(_paragraphs(old), _paragraphs(new))


def _lines(version: Version) -> list[str]:
    return [version.title, "", *version.body.split("\n\n")]


def _paragraphs(version: Version) -> list[str]:
    return [version.title, *version.body.split("\n\n")]


# -- word-level diffs ----------------------------------------------------------------
#
# A unified diff shows a paragraph with one corrected word as a whole removed
# line and a whole added one; a reader wants the word. Paragraphs are aligned
# first (an inserted paragraph is not a change to every later one), then the
# words of each changed paragraph.


Op = Literal["equal", "delete", "insert"]


@dataclass(frozen=True)
class Chunk:
    op: Op
    text: str  # words with the spaces and punctuation between them, as in the text


Paragraph = list[Chunk]  # one changed paragraph: its text is the chunks in order

# A word, a run of spaces, or one other character: "Baku," is two tokens, so a
# corrected comma does not show as a changed word.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def word_diff(old: str, new: str) -> Paragraph:
    """The words of ``old`` and ``new`` as equal, deleted and inserted chunks.

    The old text is the equal and deleted chunks in order, the new text the
    equal and inserted ones. Spaces between two changed words join the change
    ("[-a b-]{+c d+}", not "[-a-]{+c+} [-b-]{+d+}").
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    chunks: Paragraph = []
    # A change in progress: deletions, insertions, and the spaces between them.
    group: list[tuple[Literal["delete", "insert", "space"], str]] = []
    pending_space = ""

    def flush() -> None:
        ops = {op for op, _ in group}
        if {"delete", "insert"} <= ops:  # a replacement: the spaces within belong to both
            chunks.append(Chunk("delete", "".join(t for op, t in group if op != "insert")))
            chunks.append(Chunk("insert", "".join(t for op, t in group if op != "delete")))
        else:  # words only deleted, or only inserted: the spaces between stay equal
            for op, text in group:
                chunks.append(Chunk("equal" if op == "space" else op, text))
        group.clear()

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            text = "".join(a[i1:i2])
            if group and not text.strip():
                pending_space += text  # joins the change if another follows
                continue
            if group:
                flush()
            if pending_space:
                chunks.append(Chunk("equal", pending_space))
                pending_space = ""
            chunks.append(Chunk("equal", text))
            continue
        if pending_space:
            group.append(("space", pending_space))
            pending_space = ""
        if i2 > i1:
            group.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            group.append(("insert", "".join(b[j1:j2])))
    if group:
        flush()
    if pending_space:
        chunks.append(Chunk("equal", pending_space))
    return _merged(chunks)


def _merged(chunks: Paragraph) -> Paragraph:
    """Adjacent chunks of one kind as one."""
    merged: Paragraph = []
    for chunk in chunks:
        if merged and merged[-1].op == chunk.op:
            merged[-1] = Chunk(chunk.op, merged[-1].text + chunk.text)
        else:
            merged.append(chunk)
    return merged


def paragraph_diff(old: Sequence[str], new: Sequence[str]) -> list[Paragraph]:
    """The paragraphs that changed between two lists of paragraphs, word by word.

    Paragraphs are aligned first; a run of changed paragraphs is compared word
    by word pairwise when the counts agree, else as one block."""
    changed: list[Paragraph] = []
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "delete":
            changed.extend([Chunk("delete", p)] for p in old[i1:i2])
        elif op == "insert":
            changed.extend([Chunk("insert", p)] for p in new[j1:j2])
        elif i2 - i1 == j2 - j1:
            changed.extend(word_diff(o, n) for o, n in zip(old[i1:i2], new[j1:j2], strict=True))
        else:
            changed.append(word_diff("\n\n".join(old[i1:i2]), "\n\n".join(new[j1:j2])))
    return changed


def marked(paragraph: Paragraph) -> str:
    """A changed paragraph as text, as ``git diff --word-diff`` marks it:
    ``[-deleted-]`` and ``{+inserted+}``."""
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(marks[chunk.op].format(chunk.text) for chunk in paragraph)


def marked_html(paragraph: Paragraph) -> str:
    """A changed paragraph as escaped HTML, with ``<del>`` and ``<ins>``."""
    tags = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
    return "".join(tags[chunk.op].format(html.escape(chunk.text)) for chunk in paragraph)


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
            Version(r.revision, r.title, r.body, r.recorded_at, r.replaced_at, r.reason)
            for r in earlier
        ]
        versions.append(
            Version(document.revision, document.title, document.body,
                    document.changed_at or document.first_seen, None)
        )  # fmt: skip
        primary = primary_source(document.sources)
        url = primary.url if primary else ""
        return History(document.id, document.lang, document.doc_number, url, versions)
