"""What integrity needs kept: each copy's own text, the URL a listing gave, why
a document's text changed, and why a run failed.

- sources.body: the copy's normalized body, so that when another copy
  becomes primary no copy's text is lost (earlier rows: NULL, not kept then);
- sources.listed_canonical_url: the listed URL's identity when a redirect led
  to this one, so that refreshes do not request it again;
- document_revisions.reason: "edited" or "primary changed: <old> → <new>"
  (earlier rows: NULL; only edits were recorded then);
- crawl_runs.failure: what made a failed run fail, in a line.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("sources", "body"),
    ("sources", "listed_canonical_url"),
    ("document_revisions", "reason"),
    ("crawl_runs", "failure"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite rebuilds a table to drop a column: the views that name sources go first.
    views = {name: sql for name, sql in _views()}
    for name in views:
        op.execute(f"DROP VIEW {name}")
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
    for name, sql in views.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def _views() -> list[tuple[str, str]]:
    """The views as the database holds them, to recreate them as they were."""
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name")
        ).all()
        # "CREATE VIEW name AS <query>": the query, whatever AS it holds itself
        return [(name, re.sub(r"^CREATE VIEW \S+ AS\s", "", sql)) for name, sql in rows]
    rows = connection.execute(
        sa.text("SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema()")
    ).all()
    return [(name, definition) for name, definition in rows]
