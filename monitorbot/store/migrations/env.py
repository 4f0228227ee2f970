"""Alembic environment: runs on the engine the caller passes in (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic import context

from monitorbot.store.models import Base


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
