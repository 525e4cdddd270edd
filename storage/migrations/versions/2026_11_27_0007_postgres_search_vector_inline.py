"""PostgreSQL: keep each document's tsvector in its row, compressed.

A body's tsvector (lexemes and their positions) is larger than the body;
stored out of line (TOAST), ranking a search's matches fetched each one from
the TOAST table. With storage MAIN the vector stays in the row, compressed,
and the long text columns go out of line first. Applies to rows written from
now on; `VACUUM FULL documents` rewrites older ones.

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


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE documents ALTER COLUMN search_vector SET STORAGE EXTENDED")
