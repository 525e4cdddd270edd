"""PostgreSQL: keep each document's tsvector in its row; index new ones in bulk.

A body's tsvector (lexemes and their positions) is larger than the body;
stored out of line (TOAST), ranking a search's matches fetched each one from
the TOAST table. With storage MAIN the vector stays in the row, compressed,
and the long text columns go out of line first. Applies to rows written from
now on; `VACUUM FULL documents` rewrites older ones.

The GIN index takes new entries into a pending list of up to 16 MB (the
default is 4 MB) and merges them in bulk: at the end of each crawl
(Archive.optimize), or by autovacuum, rather than a few thousand rows at a
time in the middle of a crawl's writes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 23:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE documents ALTER COLUMN search_vector SET STORAGE MAIN")
        op.execute(
            "ALTER INDEX ix_documents_search_vector "
            "SET (fastupdate = on, gin_pending_list_limit = 16384)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_documents_search_vector RESET (gin_pending_list_limit)")
        op.execute("ALTER TABLE documents ALTER COLUMN search_vector SET STORAGE EXTENDED")
