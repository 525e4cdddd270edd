"""Alembic environment: one transaction per migration, the FTS tables left alone."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.engine import make_engine
from storage.models import Base

config = context.config


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # FTS5 virtual tables and their shadow tables are made by hand in the
    # migrations; autogenerate and `alembic check` must not see them.
    return not (type_ == "table" and name is not None and name.startswith("documents_fts"))


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        transaction_per_migration=True,
        # storage.engine makes SQLite's DDL transactional too (it emits BEGIN).
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.connect() as connection:
        run_migrations(connection)
    engine.dispose()
