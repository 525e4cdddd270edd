"""Bring an archive's schema to the latest migration."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.errors import DatabaseError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


# Made by hand in the migrations, for full-text search: SQLite's FTS5 table
# (and its shadow tables), PostgreSQL's document_search table (0008).
SEARCH_TABLES = ("documents_fts", "document_search")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter: autogenerate and `alembic check` must not see the
    search objects, which no model describes."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLES))


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every migration the archive lacks; a new file gets the whole schema."""
    config = alembic_config()
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)  # a crawl's log is about the crawl
    try:
        if current_revision(engine) == head_revision():
            return
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseError(f"cannot open the archive at {engine.url!r}: {reason}") from exc
    finally:
        alembic_log.setLevel(level)
