"""Captures: where each source, reject and revision was read from, in the WARC files.

- captures: one row per kept response that a source, reject or revision was
  read from (and the original of each that is a revisit): its WARC file,
  offset and length, record id, payload digest, status and fetch time;
- sources.capture_id, rejects.capture_id, document_revisions.capture_id:
  that row (NULL: fetched with captures off, or archived before this).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("sources", "rejects", "document_revisions")


def upgrade() -> None:
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("warc_file", sa.String(255), nullable=False),
        sa.Column("warc_offset", sa.BigInteger(), nullable=False),
        sa.Column("warc_length", sa.BigInteger(), nullable=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("payload_digest", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.Column("original_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["original_id"], ["captures.id"], name="fk_captures_original_id_captures"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_captures"),
        sa.UniqueConstraint("record_id", name="uq_captures_record_id"),
    )
    op.create_index("ix_captures_url", "captures", ["url"])
    op.create_index("ix_captures_original_id", "captures", ["original_id"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        name = f"fk_{table}_capture_id_captures"
        if sqlite:
            # SQLite adds a column with its REFERENCES clause in place; Alembic
            # would rebuild the table (and drop the views on it) to add one.
            op.execute(f"ALTER TABLE {table} ADD COLUMN capture_id INTEGER CONSTRAINT {name} "
                       "REFERENCES captures (id)")  # fmt: skip
        else:
            op.add_column(table, sa.Column("capture_id", sa.Integer(), nullable=True))
            op.create_foreign_key(name, table, "captures", ["capture_id"], ["id"])
        op.create_index(f"ix_{table}_capture_id", table, ["capture_id"])


def downgrade() -> None:
    views = _views()
    for name in views:
        op.execute(f"DROP VIEW {name}")
    for table in TABLES:
        op.drop_index(f"ix_{table}_capture_id", table_name=table)
        with op.batch_alter_table(table) as batch:
            if op.get_bind().dialect.name != "sqlite":
                batch.drop_constraint(f"fk_{table}_capture_id_captures", type_="foreignkey")
            batch.drop_column("capture_id")
    for name, sql in views.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")
    op.drop_index("ix_captures_original_id", table_name="captures")
    op.drop_index("ix_captures_url", table_name="captures")
    op.drop_table("captures")


def _views() -> dict[str, str]:
    """The views as the database holds them, to recreate them as they were."""
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name")
        ).all()
        return {name: sql.split(" AS ", 1)[1] for name, sql in rows}
    rows = connection.execute(
        sa.text("SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema()")
    ).all()
    return dict(rows)
