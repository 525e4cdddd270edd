"""An Atom feed of new and edited statements, for feed readers.

`mfa-archive feed` writes it to a file; `mfa-archive browse` serves the same
feed at ``/-/feed.atom``. Entries are the newest ``limit`` of two kinds: a
statement new to the archive (its current text), and an edit of one (what
changed, word by word, with ``<del>`` and ``<ins>``). Each entry's id is a
``urn:uuid`` derived from the document's id, the revision and that
revision's content hash: the same entry keeps its id from one feed to the
next, and an edit never takes the id of another.
"""

from __future__ import annotations

import datetime as dt
import html
import uuid
from collections.abc import Sequence

from feedgen.feed import FeedGenerator
from sqlalchemy import Engine

from storage.changes import Edit, NewDocument, changes
from storage.history import marked_html
from storage.types import utcnow

MINISTRY = "Ministry of Foreign Affairs of the Republic of Azerbaijan"
MINISTRY_URL = "https://mfa.gov.az"
DEFAULT_LIMIT = 50
# uuid5 namespace of the feed's ids (a fixed, random UUID: changing it changes every id).
ID_NAMESPACE = uuid.UUID("6f0b7a52-3f4e-4c38-9d1e-2c5b0f8a9e41")


def entry_id(document_id: int, revision: int, content_hash: str) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'{document_id}/{revision}/{content_hash}')}"


def atom_feed(
    engine: Engine,
    *,
    languages: Sequence[str] = (),
    limit: int = DEFAULT_LIMIT,
    self_url: str | None = None,
    archive_url: str | None = None,
) -> bytes:
    """The feed (UTF-8 XML) of the ``limit`` newest statements and edits in
    ``languages`` (all when empty), newest first."""
    found = changes(engine, languages=languages, limit=limit, merges=False)
    entries: list[NewDocument | Edit] = [*found.new, *found.edited]
    entries.sort(key=_when, reverse=True)
    entries = entries[:limit]

    feed = FeedGenerator()
    scope = ",".join(sorted(languages)) or "all"
    feed.id(f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'feed/{scope}')}")
    suffix = f" ({', '.join(sorted(languages))})" if languages else ""
    feed.title(f"Statements of Azerbaijan's Ministry of Foreign Affairs: new and edited{suffix}")
    feed.subtitle("New statements and edits to earlier ones, as the archive's crawls found them.")
    feed.author({"name": MINISTRY, "uri": MINISTRY_URL})
    feed.link(href=archive_url or MINISTRY_URL, rel="alternate")
    if self_url:
        feed.link(href=self_url, rel="self")
    if len(languages) == 1:
        feed.language(languages[0])
    feed.updated(_when(entries[0]) if entries else utcnow())
    for item in entries:  # feedgen prepends by default; keep newest first
        entry = feed.add_entry(order="append")
        if isinstance(item, NewDocument):
            entry.id(entry_id(item.document_id, 1, item.first_hash))
            entry.title(item.title)
            entry.published(item.first_seen)
            entry.updated(item.first_seen)
            entry.link(href=item.url, rel="alternate", hreflang=item.lang)
            entry.content(item.body_html, type="html")
            if item.category:
                entry.category(term=item.category)
        else:
            entry.id(entry_id(item.document_id, item.new_revision, item.new_hash))
            entry.title(f"Edited: {item.new_title}")
            entry.updated(item.replaced_at)
            entry.link(href=item.url, rel="alternate", hreflang=item.lang)
            entry.content(_edit_html(item), type="html")
    return feed.atom_str(pretty=True)


def _when(item: NewDocument | Edit) -> dt.datetime:
    return item.first_seen if isinstance(item, NewDocument) else item.replaced_at


def _edit_html(edit: Edit) -> str:
    reason = f" ({html.escape(edit.reason)})" if edit.reason else ""
    head = (
        f"<p>Revision {edit.old_revision} replaced by revision {edit.new_revision}{reason}, "
        f"{edit.replaced_at:%Y-%m-%d %H:%M} UTC. Deleted words are struck through, "
        "inserted ones underlined.</p>"
    )
    return head + "".join(f"<p>{marked_html(p)}</p>" for p in edit.paragraphs)
