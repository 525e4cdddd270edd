"""URLs as fetched beside their canonical identity, for sources and rejects.

Until now ``url`` held w3lib's canonical form and was unique. Now ``url`` is
the URL as fetched or listed, and ``canonical_url`` (storage.urls: no scheme,
www., trailing slash, fragment or tracking parameter differences) is unique.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 20:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.migrations.frozen_urls import canonical_url

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("sources", "rejects")


def upgrade() -> None:
    connection = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("canonical_url", sa.Text(), nullable=True))
        rows = connection.execute(sa.text(f"SELECT id, url FROM {table} ORDER BY id")).all()
        seen: dict[str, int] = {}
        for row_id, url in rows:
            canonical = canonical_url(url)
            if canonical in seen:  # two spellings of one URL: keep the first row
                connection.execute(sa.text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})
                continue
            seen[canonical] = row_id
            connection.execute(
                sa.text(f"UPDATE {table} SET canonical_url = :canonical WHERE id = :id"),
                {"canonical": canonical, "id": row_id},
            )
        if table == "sources":  # a document whose only URL was a second spelling
            connection.execute(
                sa.text("DELETE FROM documents WHERE id NOT IN (SELECT document_id FROM sources)")
            )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("canonical_url", existing_type=sa.Text(), nullable=False)
            batch.drop_constraint(f"uq_{table}_url", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_canonical_url", ["canonical_url"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_canonical_url", type_="unique")
            batch.drop_column("canonical_url")
            batch.create_unique_constraint(f"uq_{table}_url", ["url"])
