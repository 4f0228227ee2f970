"""Engines, sessions and schema upgrades, the same code for SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"

#: The newest migration in migrations/versions (tests/test_store.py checks it against
#: Alembic's head). A database at this revision needs no upgrade, so the commands
#: that check it on every start do not load Alembic (a quarter of a second).
SCHEMA_REVISION = "0016"


#: How long SQLite waits for another process's write lock before "database is locked".
BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL lets the service read while an ingest writes; FKs are off by default in SQLite."""
    dbapi_connection.isolation_level = None  # see _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: the others may wait
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    """Emit BEGIN ourselves: pysqlite's own transaction handling breaks SAVEPOINTs.

    (The documented SQLAlchemy recipe; ingestion relies on savepoints so that each
    file in a batch is all-or-nothing.) A writer (`writer(engine)`) begins IMMEDIATE:
    it waits for the write lock up to busy_timeout at BEGIN. A deferred transaction
    that read first fails at once when it tries to write while another holds the lock
    (SQLite does not wait there, to avoid a deadlock), busy_timeout or not.
    """
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


IMMEDIATE = "monitorbot_sqlite_immediate"


def writer(engine: Engine) -> Engine:
    """The engine for a transaction that writes: on SQLite it takes the write lock when
    it begins (waiting for it up to busy_timeout), elsewhere it is the engine itself."""
    return engine.execution_options(**{IMMEDIATE: True}) if not is_postgresql(engine) else engine


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite the folder is created and pragmas are set."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def serialize(session: Session, *key: object) -> None:
    """Let one transaction at a time work on `key` (a declaration's identity, an export's
    source): on PostgreSQL a transaction-level advisory lock, so two ingests running side
    by side see each other's committed rows instead of both missing them; SQLite has one
    writer anyway (`writer`)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"),
        {"key": int.from_bytes(digest, "big", signed=True)},
    )


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent: a current schema is left alone)."""
    if revision == "head" and stored_revision(engine) == SCHEMA_REVISION:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def stored_revision(engine: Engine) -> str | None:
    """The revision in `alembic_version`, read with one query; None for an empty database."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None  # no alembic_version table yet


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session
