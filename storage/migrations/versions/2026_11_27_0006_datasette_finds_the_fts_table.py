"""SQLite: declare the FTS5 table's content table the way Datasette looks for it.

Datasette finds a table's full-text index by ``content="documents"`` in the
virtual table's SQL; 0001 wrote ``content='documents'``, which FTS5 reads the
same but Datasette does not. The table is recreated with the same columns and
tokenizer and rebuilt from documents; the triggers, which name it, stay.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _redeclare(old: str, new: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    sql = (
        op.get_bind()
        .execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'documents_fts'"))
        .scalar_one()
    )
    op.execute("DROP TABLE documents_fts")
    op.execute(sql.replace(old, new))
    op.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")


def upgrade() -> None:
    _redeclare("content='documents'", 'content="documents"')


def downgrade() -> None:
    _redeclare('content="documents"', "content='documents'")
