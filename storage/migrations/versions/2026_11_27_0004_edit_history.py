"""Edit history and incremental crawls: document revisions, listing state, run modes.

Documents gain their current revision number and when it replaced the one
before; earlier texts go to document_revisions. listings remembers which
listings a crawl has read to the end, so that a refresh may stop early.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("mode", sa.String(16), server_default="full", nullable=False))
    op.create_table(
        "document_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_in_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"],
            name=op.f("fk_document_revisions_document_id_documents"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaced_in_run_id"], ["crawl_runs.id"],
            name=op.f("fk_document_revisions_replaced_in_run_id_crawl_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_revisions")),
        sa.UniqueConstraint(
            "document_id", "revision", name=op.f("uq_document_revisions_document_id_revision")
        ),
    )  # fmt: skip
    op.create_index(
        op.f("ix_document_revisions_replaced_in_run_id"),
        "document_revisions",
        ["replaced_in_run_id"],
    )
    op.create_table(
        "listings",
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("walked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_listings_run_id_crawl_runs")
        ),
        sa.PrimaryKeyConstraint("site", "lang", name=op.f("pk_listings")),
    )


def downgrade() -> None:
    op.drop_table("listings")
    op.drop_index(op.f("ix_document_revisions_replaced_in_run_id"), "document_revisions")
    op.drop_table("document_revisions")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("mode")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("changed_at")
        batch.drop_column("revision")
