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
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection if sqlite else None
        if raw is not None:
            # Batch mode rebuilds a table by copying it; with foreign keys enforced SQLite
            # refuses to drop a table others refer to. Off for the migration — on the raw
            # connection, outside any transaction, or SQLite ignores it — checked after.
            raw.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_object=_ours,
        )
        with context.begin_transaction():
            context.run_migrations()
        if raw is not None:
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            raw.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"migratie laat verwijzingen zonder doel achter: {broken[:5]}")


run_migrations_online()
