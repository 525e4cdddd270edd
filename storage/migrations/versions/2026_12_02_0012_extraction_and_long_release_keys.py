"""How each copy was read, and release keys that fit their column.

- sources.extraction: "selectors" (the layout's) or "fallback" (the page's
  markup is not what its layout expects), so that an operator sees which
  sites' selectors to fix; earlier rows were read by selectors (no fallback
  existed). sources_v gains it as its last column.
- crawl_runs.fallback_extractions: pages a run read by fallbacks.
- documents.release_key: keys made from slugs could pass its 160 characters
  (real slugs run past 300): PostgreSQL refused them, SQLite kept them whole.
  Such a key now keeps its opening and ends in a digest of the whole
  (storage.records.fitted_key); the keys SQLite kept are rewritten so, and
  stay equal across a release's languages.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.records import RELEASE_KEY_LENGTH, fitted_key

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The primary source's rank, as 0009 set it (storage.dedup.source_rank).
_PRIMARY = """(SELECT ps.id FROM sources ps WHERE ps.document_id = {document}
    ORDER BY NOT ps.authoritative, ps.published_on, ps.canonical_url LIMIT 1)"""


def _sources_view(extraction: bool) -> str:
    """sources_v as 0009 made it, with extraction at the end if asked."""
    return f"""
        SELECT s.id AS source_id, s.document_id, s.site, s.layout, s.url,
               s.canonical_url, s.title, s.published_on, s.content_hash,
               s.match_rule, s.similarity,
               (s.id = {_PRIMARY.format(document="s.document_id")}) AS is_primary,
               s.first_seen, s.last_seen{", s.extraction" if extraction else ""}
        FROM sources s"""


def _fit_release_keys() -> None:
    connection = op.get_bind()
    documents = sa.table("documents", sa.column("id"), sa.column("release_key"))
    long_keys = connection.execute(
        sa.select(documents.c.id, documents.c.release_key).where(
            sa.func.length(documents.c.release_key) > RELEASE_KEY_LENGTH
        )
    ).all()
    for document_id, key in long_keys:
        connection.execute(
            documents.update()
            .where(documents.c.id == document_id)
            .values(release_key=fitted_key(key))
        )


def upgrade() -> None:
    op.execute("DROP VIEW sources_v")
    op.add_column(
        "sources",
        sa.Column("extraction", sa.String(16), server_default="selectors", nullable=False),
    )
    op.add_column(
        "crawl_runs",
        sa.Column("fallback_extractions", sa.Integer(), server_default="0", nullable=False),
    )
    op.execute(f"CREATE VIEW sources_v AS {_sources_view(extraction=True)}")
    _fit_release_keys()


def downgrade() -> None:
    # The shortened keys stay: the full slug is not kept anywhere to restore.
    # SQLite rebuilds a table to drop a column: the views that name it go first.
    op.execute("DROP VIEW sources_v")
    op.execute("DROP VIEW documents_v")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("extraction")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("fallback_extractions")
    op.execute(f"CREATE VIEW sources_v AS {_sources_view(extraction=False)}")
    op.execute(f"""CREATE VIEW documents_v AS
        SELECT d.id AS document_id, d.lang, d.doc_number, d.title, d.category,
               d.published_on, d.body, d.body_html, d.content_hash,
               d.release_key AS release, p.url, p.site,
               (SELECT count(*) FROM sources s WHERE s.document_id = d.id) AS sources,
               d.revision AS revisions, d.changed_at AS last_changed,
               d.first_seen, d.last_seen
        FROM documents d LEFT JOIN sources p ON p.id = {_PRIMARY.format(document="d.id")}""")
