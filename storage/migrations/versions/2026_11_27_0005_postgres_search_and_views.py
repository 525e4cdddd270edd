"""PostgreSQL full-text search, and read-only views for downstream consumers.

PostgreSQL: a generated tsvector per document in its language's configuration
(english, russian; for Azerbaijani, which has no stemmer, mfa_az: simple with
unaccent), title weighted above body, with a GIN index. SQLite keeps its FTS5
table (0001).

Both backends: documents_v, sources_v and rejects_v, the stable interface
docs/schema.md describes; they keep their shape when the tables change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The configuration of each language; storage/search.py queries with the same.
POSTGRES_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION mfa_az (COPY = pg_catalog.simple)",
    """ALTER TEXT SEARCH CONFIGURATION mfa_az
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple""",
    """ALTER TABLE documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        CASE lang
            WHEN 'en' THEN setweight(to_tsvector('english'::regconfig, title), 'A')
                        || setweight(to_tsvector('english'::regconfig, body), 'B')
            WHEN 'ru' THEN setweight(to_tsvector('russian'::regconfig, title), 'A')
                        || setweight(to_tsvector('russian'::regconfig, body), 'B')
            ELSE setweight(to_tsvector('mfa_az'::regconfig, title), 'A')
              || setweight(to_tsvector('mfa_az'::regconfig, body), 'B')
        END) STORED""",
    "CREATE INDEX ix_documents_search_vector ON documents USING gin (search_vector)",
]


def primary_source_of(document_id: str) -> str:
    """The id of a document's primary source: the main site's copy, else the
    earliest published, else by URL (storage.dedup.source_rank, in SQL)."""
    return f"""(SELECT ps.id FROM sources ps WHERE ps.document_id = {document_id}
        ORDER BY ps.layout <> 'main', ps.published_on, ps.canonical_url LIMIT 1)"""


VIEWS = {
    "documents_v": f"""
        SELECT d.id AS document_id, d.lang, d.doc_number, d.title, d.category,
               d.published_on, d.body, d.body_html, d.content_hash,
               d.release_key AS release, p.url, p.site,
               (SELECT count(*) FROM sources s WHERE s.document_id = d.id) AS sources,
               d.revision AS revisions, d.changed_at AS last_changed,
               d.first_seen, d.last_seen
        FROM documents d LEFT JOIN sources p ON p.id = {primary_source_of("d.id")}""",
    "sources_v": f"""
        SELECT s.id AS source_id, s.document_id, s.site, s.layout, s.url,
               s.canonical_url, s.title, s.published_on, s.content_hash,
               s.match_rule, s.similarity,
               (s.id = {primary_source_of("s.document_id")}) AS is_primary,
               s.first_seen, s.last_seen
        FROM sources s""",
    "rejects_v": """
        SELECT r.id AS reject_id, r.site, r.lang, r.url, r.kind, r.reason,
               r.run_id, r.first_seen, r.last_seen
        FROM rejects r""",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_SEARCH:
            op.execute(statement)
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_documents_search_vector")
        op.execute("ALTER TABLE documents DROP COLUMN search_vector")
        op.execute("DROP TEXT SEARCH CONFIGURATION mfa_az")
