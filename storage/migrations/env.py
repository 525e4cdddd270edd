"""Alembic environment: one transaction per migration, the FTS tables left alone."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.engine import make_engine
from storage.migrate import include_name
from storage.models import Base

config = context.config


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
