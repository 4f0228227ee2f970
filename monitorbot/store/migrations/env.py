"""Alembic environment: runs on the engine the caller passes in (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic import context

from monitorbot.store.models import Base


def _ours(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """APScheduler creates and owns its job table; autogenerate must not drop it."""
    return not (type_ == "table" and name == "monitorbot_scheduler_jobs")


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=_ours,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
