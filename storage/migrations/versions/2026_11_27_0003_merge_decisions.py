"""What each copy of a document said, why it was merged, and the release across languages.

sources gain the copy's layout, date and content hash, and the similarity
that merged it; documents gain release_key (translations) and an index for
near-duplicate candidates. Existing rows: a source's layout is guessed from
its site's name ("main" or a mission), its date and hash are its document's,
and main-site URLs get the main site's URL rule (storage.urls).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations.frozen_urls import canonical_url

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("layout", sa.String(16), nullable=True))
        batch.add_column(sa.Column("published_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("similarity", sa.Float(), nullable=True))
    op.execute(
        "UPDATE sources SET layout = CASE WHEN site = 'main' THEN 'main' ELSE 'mission' END, "
        "published_on = (SELECT published_on FROM documents d WHERE d.id = sources.document_id), "
        "content_hash = (SELECT content_hash FROM documents d WHERE d.id = sources.document_id)"
    )
    # The main site's URL rule (a release's slug is decoration) applies from now on.
    connection = op.get_bind()
    taken = {row[0] for row in connection.execute(sa.text("SELECT canonical_url FROM sources"))}
    for source_id, url in connection.execute(
        sa.text("SELECT id, url FROM sources WHERE layout = 'main' ORDER BY id")
    ).all():
        canonical = canonical_url(url, "main")
        if canonical not in taken:  # a second spelling already stored keeps its old identity
            taken.add(canonical)
            connection.execute(
                sa.text("UPDATE sources SET canonical_url = :canonical WHERE id = :id"),
                {"canonical": canonical, "id": source_id},
            )
    with op.batch_alter_table("sources") as batch:
        batch.alter_column("layout", existing_type=sa.String(16), nullable=False)
        batch.alter_column("published_on", existing_type=sa.Date(), nullable=False)
        batch.alter_column("content_hash", existing_type=sa.String(64), nullable=False)
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("release_key", sa.String(160), nullable=True))
        batch.create_index("ix_documents_lang_published_on", ["lang", "published_on"])
        batch.create_index("ix_documents_release_key", ["release_key"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_release_key")
        batch.drop_index("ix_documents_lang_published_on")
        batch.drop_column("release_key")
    with op.batch_alter_table("sources") as batch:
        for column in ("similarity", "content_hash", "published_on", "layout"):
            batch.drop_column(column)
