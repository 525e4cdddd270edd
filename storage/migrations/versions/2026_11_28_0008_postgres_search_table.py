"""PostgreSQL: the search index in a table of its own, written apart from documents.

A generated tsvector column made every document INSERT parse the text for
search in the same statement (0.9 ms of the 1 ms a document took). In
document_search, one row per document, the crawl's writes and the indexing
can run side by side on two server processes (storage.search_index), and
ranking a query's matches reads narrow rows, not whole documents. content_hash
says which text a row indexes: a row whose hash differs from its document's
is stale and is indexed again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = [
    # The tsvector of a document in its language's configuration (0005's
    # expression, now a function: the indexer and the backfill share it).
    """CREATE FUNCTION mfa_search_vector(lang text, title text, body text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE lang
            WHEN 'en' THEN setweight(to_tsvector('english'::regconfig, title), 'A')
                        || setweight(to_tsvector('english'::regconfig, body), 'B')
            WHEN 'ru' THEN setweight(to_tsvector('russian'::regconfig, title), 'A')
                        || setweight(to_tsvector('russian'::regconfig, body), 'B')
            ELSE setweight(to_tsvector('mfa_az'::regconfig, title), 'A')
              || setweight(to_tsvector('mfa_az'::regconfig, body), 'B')
        END $$""",
    """CREATE TABLE document_search (
        document_id integer NOT NULL,
        lang varchar(2) NOT NULL,
        published_on date NOT NULL,
        content_hash varchar(64) NOT NULL,
        search_vector tsvector NOT NULL,
        CONSTRAINT pk_document_search PRIMARY KEY (document_id),
        CONSTRAINT fk_document_search_document_id_documents FOREIGN KEY (document_id)
            REFERENCES documents (id) ON DELETE CASCADE)""",
    # In the row, compressed, as 0007 did for the column.
    "ALTER TABLE document_search ALTER COLUMN search_vector SET STORAGE MAIN",
    """INSERT INTO document_search (document_id, lang, published_on, content_hash, search_vector)
        SELECT id, lang, published_on, content_hash, search_vector FROM documents""",
    """CREATE INDEX ix_document_search_search_vector ON document_search
        USING gin (search_vector) WITH (fastupdate = on, gin_pending_list_limit = 16384)""",
    "DROP INDEX ix_documents_search_vector",
    "ALTER TABLE documents DROP COLUMN search_vector",
]

DOWNGRADE = [
    """ALTER TABLE documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        mfa_search_vector(lang, title, body)) STORED""",
    "ALTER TABLE documents ALTER COLUMN search_vector SET STORAGE MAIN",
    """CREATE INDEX ix_documents_search_vector ON documents USING gin (search_vector)
        WITH (fastupdate = on, gin_pending_list_limit = 16384)""",
    "DROP TABLE document_search",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
        # The generated column above calls the function: it stays.
