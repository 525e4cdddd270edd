"""Sources say whether their copy is the ministry's own (authoritative).

Until now storage ranked a document's copies by ``layout = 'main'``: a site
rule in the storage layer. The crawler's layouts now say which sites are the
ministry's own, and storage keeps that as a value, ``sources.authoritative``.
Existing rows get it from their layout, as the rule was; the views rank by it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _primary_source_of(document_id: str, rank: str) -> str:
    """The id of a document's primary source, in SQL (storage.dedup.source_rank)."""
    return f"""(SELECT ps.id FROM sources ps WHERE ps.document_id = {document_id}
        ORDER BY {rank}, ps.published_on, ps.canonical_url LIMIT 1)"""


def _views(rank: str) -> dict[str, str]:
    """documents_v and sources_v (0005) with the primary source ranked by ``rank``."""
    return {
        "documents_v": f"""
        SELECT d.id AS document_id, d.lang, d.doc_number, d.title, d.category,
               d.published_on, d.body, d.body_html, d.content_hash,
               d.release_key AS release, p.url, p.site,
               (SELECT count(*) FROM sources s WHERE s.document_id = d.id) AS sources,
               d.revision AS revisions, d.changed_at AS last_changed,
               d.first_seen, d.last_seen
        FROM documents d LEFT JOIN sources p ON p.id = {_primary_source_of("d.id", rank)}""",
        "sources_v": f"""
        SELECT s.id AS source_id, s.document_id, s.site, s.layout, s.url,
               s.canonical_url, s.title, s.published_on, s.content_hash,
               s.match_rule, s.similarity,
               (s.id = {_primary_source_of("s.document_id", rank)}) AS is_primary,
               s.first_seen, s.last_seen
        FROM sources s""",
    }


def _drop_views() -> None:
    for name in _views(""):
        op.execute(f"DROP VIEW {name}")


def _create_views(rank: str) -> None:
    for name, query in _views(rank).items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def upgrade() -> None:
    _drop_views()
    op.add_column(
        "sources",
        sa.Column("authoritative", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute("UPDATE sources SET authoritative = (layout = 'main')")
    _create_views("NOT ps.authoritative")


def downgrade() -> None:
    _drop_views()  # SQLite rebuilds the table to drop a column: nothing may name it
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("authoritative")
    _create_views("ps.layout <> 'main'")
