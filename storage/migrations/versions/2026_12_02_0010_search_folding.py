"""Search: both backends fold ə and ı, and split words at the same places.

Azerbaijani ə and ı are letters of their own to Unicode: FTS5's
remove_diacritics folds ç ş ğ ö ü but not them, nor does unaccent. Both indexes
now fold them (and İ, and ё) before tokenizing, as storage.query.fold folds a
query, so that Xocali finds Xocalı and cenubi finds Cənubi.

SQLite: the FTS5 table keeps its columns, tokenizer and content="documents"
(what Datasette looks for); its triggers index the folded title and body,
with replace() alone, so that any program writing the file keeps the index.
snippet() reads the original text from documents: the folding changes no
word boundary, so the positions of the matches are those of the original
words. An FTS5 'rebuild' would index the unfolded text: the upgrade refills
the index from the triggers' expression instead.

PostgreSQL: mfa_search_text folds ə and ı and turns ASCII punctuation into
spaces, one character for one (ts_headline's fragments map back onto the
original text). Without punctuation, the parser yields only words and
numbers, as FTS5 does: no file, host, URL, email, float, version or
hyphenated-word tokens, which FTS5 would have split (312/25, u.n., 3.5).
Each language has a configuration of its own, with unaccent before its
dictionary: mfa_az (simple), mfa_en (english stemmer) and mfa_ru (russian
stemmer for every word: the russian configuration gives ASCII words the
english stemmer and others the russian one, so that whether a Latin word
was typed with its diacritics would decide how it is stemmed).

The downgrade restores the unfolded triggers and index, and 0008's function.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def sqlite_fold(column: str) -> str:
    """The text FTS5 indexes: ə, ı and ё folded (storage.query.fold folds queries
    the same way); the tokenizer folds case and the other diacritics."""
    folded = column
    for letter, replacement in (("ə", "e"), ("Ə", "e"), ("ı", "i"), ("ё", "е"), ("Ё", "е")):
        folded = f"replace({folded}, '{letter}', '{replacement}')"
    return folded


def _sqlite_triggers(fold: bool) -> list[str]:
    def text(row: str, column: str) -> str:
        return sqlite_fold(f"{row}.{column}") if fold else f"{row}.{column}"

    new = f"new.id, {text('new', 'title')}, {text('new', 'body')}"
    old = f"old.id, {text('old', 'title')}, {text('old', 'body')}"
    return [
        f"""CREATE TRIGGER documents_fts_after_insert AFTER INSERT ON documents BEGIN
            INSERT INTO documents_fts(rowid, title, body) VALUES ({new});
        END""",
        f"""CREATE TRIGGER documents_fts_after_delete AFTER DELETE ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, body) VALUES ('delete', {old});
        END""",
        f"""CREATE TRIGGER documents_fts_after_update AFTER UPDATE OF title, body ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, body) VALUES ('delete', {old});
            INSERT INTO documents_fts(rowid, title, body) VALUES ({new});
        END""",
    ]


def _sqlite(fold: bool) -> None:
    for name in ("after_insert", "after_delete", "after_update"):
        op.execute(f"DROP TRIGGER documents_fts_{name}")
    for statement in _sqlite_triggers(fold):
        op.execute(statement)
    if fold:
        op.execute("INSERT INTO documents_fts(documents_fts) VALUES ('delete-all')")
        op.execute(
            "INSERT INTO documents_fts(rowid, title, body) "
            f"SELECT id, {sqlite_fold('title')}, {sqlite_fold('body')} FROM documents"
        )
    else:
        op.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")


# Every ASCII punctuation character, as a regular expression class.
_PUNCTUATION = r"[!-/:-@\[-`{-~]"

POSTGRES_UPGRADE = [
    f"""CREATE FUNCTION mfa_search_text(input text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT regexp_replace(
            replace(replace(replace(replace(input, 'ə', 'e'), 'Ə', 'E'), 'ı', 'i'), 'İ', 'I'),
            '{_PUNCTUATION}', ' ', 'g') $$""",
    "CREATE TEXT SEARCH CONFIGURATION mfa_en (COPY = pg_catalog.english)",
    """ALTER TEXT SEARCH CONFIGURATION mfa_en
        ALTER MAPPING FOR word, hword, hword_part WITH unaccent, english_stem""",
    "CREATE TEXT SEARCH CONFIGURATION mfa_ru (COPY = pg_catalog.russian)",
    """ALTER TEXT SEARCH CONFIGURATION mfa_ru
        ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
        WITH unaccent, russian_stem""",
    *(
        f"""ALTER TEXT SEARCH CONFIGURATION {config}
            ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple"""
        for config in ("mfa_az", "mfa_en", "mfa_ru")
    ),
    """CREATE OR REPLACE FUNCTION mfa_search_vector(lang text, title text, body text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE lang
            WHEN 'en' THEN setweight(to_tsvector('mfa_en'::regconfig, mfa_search_text(title)), 'A')
                        || setweight(to_tsvector('mfa_en'::regconfig, mfa_search_text(body)), 'B')
            WHEN 'ru' THEN setweight(to_tsvector('mfa_ru'::regconfig, mfa_search_text(title)), 'A')
                        || setweight(to_tsvector('mfa_ru'::regconfig, mfa_search_text(body)), 'B')
            ELSE setweight(to_tsvector('mfa_az'::regconfig, mfa_search_text(title)), 'A')
              || setweight(to_tsvector('mfa_az'::regconfig, mfa_search_text(body)), 'B')
        END $$""",
]

POSTGRES_DOWNGRADE = [
    # 0008's function, verbatim.
    """CREATE OR REPLACE FUNCTION mfa_search_vector(lang text, title text, body text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE lang
            WHEN 'en' THEN setweight(to_tsvector('english'::regconfig, title), 'A')
                        || setweight(to_tsvector('english'::regconfig, body), 'B')
            WHEN 'ru' THEN setweight(to_tsvector('russian'::regconfig, title), 'A')
                        || setweight(to_tsvector('russian'::regconfig, body), 'B')
            ELSE setweight(to_tsvector('mfa_az'::regconfig, title), 'A')
              || setweight(to_tsvector('mfa_az'::regconfig, body), 'B')
        END $$""",
    "DROP FUNCTION mfa_search_text(text)",
    "DROP TEXT SEARCH CONFIGURATION mfa_en",
    "DROP TEXT SEARCH CONFIGURATION mfa_ru",
    """ALTER TEXT SEARCH CONFIGURATION mfa_az
        ALTER MAPPING FOR numword, numhword, hword_numpart WITH simple""",
]

# Every indexed document again, with the function now defined; the GIN index
# is built once at the end rather than updated row by row.
POSTGRES_REINDEX = [
    "DROP INDEX ix_document_search_search_vector",
    """UPDATE document_search s
        SET search_vector = mfa_search_vector(d.lang, d.title, d.body), content_hash = d.content_hash
        FROM documents d WHERE d.id = s.document_id""",
    """CREATE INDEX ix_document_search_search_vector ON document_search
        USING gin (search_vector) WITH (fastupdate = on, gin_pending_list_limit = 16384)""",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite(fold=True)
    elif dialect == "postgresql":
        for statement in POSTGRES_UPGRADE + POSTGRES_REINDEX:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite(fold=False)
    elif dialect == "postgresql":
        for statement in POSTGRES_DOWNGRADE + POSTGRES_REINDEX:
            op.execute(statement)
