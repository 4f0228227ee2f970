"""Bulk loading: COPY on PostgreSQL, the driver's executemany elsewhere.

Row-by-row ORM inserts would cap ingestion at a few thousand lines a second.
Both paths go through the session's own connection, so they run inside the
caller's transaction (and savepoint): a file stays all-or-nothing. Errors come
out as SQLAlchemy exceptions, like those of every other statement: a value that
does not fit its column is a `DataError`, anything else a `DatabaseError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Index, Table, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from monitorbot.store import models

#: The indexes on declared lines that only reports, forecasts and evaluations read. On a
#: first load into an empty table they are built once, after the rows (one sort each),
#: instead of being updated row by row: on SQLite that is most of the insert's cost.
#: The indexes the ingest itself reads (per file, per reference, per answer) stay.
REPORTING_INDEXES: tuple[str, ...] = (
    "ix_declaratieregel_maand_perceel",
    "ix_declaratieregel_perceel_maand_client",
    "ix_declaratieregel_aanbieder_maand",
    "ix_declaratieregel_declaratiedatum",
)


class DeferredIndexes:
    """Drop the reporting indexes of an empty `declaratieregel` for one transaction and
    build them again just before it commits.

    Both databases change their schema inside a transaction, so a crash or a rollback
    leaves the indexes as they were. On PostgreSQL the table is locked first (waiting
    for other writers to finish) and checked again, so a concurrent load is never left
    without its indexes; the lock lasts only this first load.
    """

    def __init__(self, session: Session):
        self.session = session
        self.dropped: list[Index] = []
        table = models.Declaratieregel.__table__
        if not self._empty(table):
            return
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"LOCK TABLE {table.name} IN ACCESS EXCLUSIVE MODE"))
            if not self._empty(table):
                return
        for index in sorted(table.indexes, key=lambda index: index.name or ""):
            if index.name in REPORTING_INDEXES:
                index.drop(connection)
                self.dropped.append(index)

    def _empty(self, table: Table) -> bool:
        return self.session.execute(select(table.c.id).limit(1)).first() is None

    def rebuild(self) -> None:
        """Build what was dropped (in the same transaction, before its commit)."""
        connection = self.session.connection()
        dropped, self.dropped = self.dropped, []
        for index in dropped:
            index.create(connection)


class BulkWriter:
    """Writes rows (tuples in `columns` order) for one table; use it as a context manager.

    On PostgreSQL one COPY stays open while rows arrive, so the server stores
    them while the parser produces the next ones (two cores instead of one). No
    other statement may run on the session until `flush()` closes it. On other
    databases rows are buffered and inserted in batches.
    """

    def __init__(self, session: Session, table: Table, columns: Sequence[str], batch: int = 20_000):
        self.session = session
        self.table = table
        self.columns = list(columns)
        self.batch = batch
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.streaming = session.get_bind().dialect.name == "postgresql"
        self._copy_context: Any = None
        self._copy: Any = None

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            self.flush()
        else:
            self.abort()

    def add(self, row: tuple[Any, ...]) -> None:
        if self.streaming:
            if self._copy is None:
                self._open_copy()
            try:
                self._copy.write_row(row)
            except Exception as exc:  # the driver's own errors, wrapped as for any statement
                self.abort()
                raise _wrap(self._copy_statement(), exc) from None
            self.written += 1
            return
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self._executemany()

    def add_many(self, rows: list[tuple[Any, ...]]) -> None:
        """Rows built elsewhere (by a worker process), in one call."""
        if self.streaming:
            for row in rows:
                self.add(row)
            return
        self.rows.extend(rows)
        if len(self.rows) >= self.batch:
            self._executemany()

    def flush(self) -> None:
        """Write what is buffered and close an open COPY (other statements may follow)."""
        if self.streaming:
            self._close_copy()
        elif self.rows:
            self._executemany()

    def abort(self) -> None:
        """Give up the rows not yet written (the caller rolls its savepoint back)."""
        self.rows.clear()
        if self._copy_context is not None:
            context, self._copy_context, self._copy = self._copy_context, None, None
            # The COPY is being abandoned anyway; psycopg sends CopyFail on exit.
            with contextlib.suppress(Exception):
                context.__exit__(RuntimeError, RuntimeError("aborted"), None)

    def _dbapi_connection(self) -> Any:
        return self.session.connection().connection.dbapi_connection

    def _executemany(self) -> None:
        """The driver's own executemany: SQLAlchemy's per-row parameter handling is the cost."""
        rows, self.rows = self.rows, []
        placeholders = ", ".join("?" for _ in self.columns)
        statement = (
            f"INSERT INTO {self.table.name} ({', '.join(self.columns)}) VALUES ({placeholders})"
        )
        dbapi = self._dbapi_connection()
        try:
            dbapi.executemany(statement, rows)
        except Exception as exc:  # the DBAPI's own errors, wrapped as for any statement
            raise _wrap(statement, exc) from None
        self.written += len(rows)

    def _copy_statement(self) -> str:
        return f"COPY {self.table.name} ({', '.join(self.columns)}) FROM STDIN"

    def _open_copy(self) -> None:
        cursor = self._dbapi_connection().cursor()
        self._copy_context = cursor.copy(self._copy_statement())
        self._copy = self._copy_context.__enter__()

    def _close_copy(self) -> None:
        if self._copy_context is None:
            return
        context, self._copy_context, self._copy = self._copy_context, None, None
        try:
            context.__exit__(None, None, None)
        except Exception as exc:  # the driver's own errors, wrapped as for any statement
            raise _wrap(self._copy_statement(), exc) from None


def _wrap(statement: str, exc: Exception) -> sa_exc.DBAPIError:
    """Driver errors as SQLAlchemy's: DataError for values that do not fit, else DatabaseError."""
    name = type(exc).__name__
    data_error = name in {"DataError", "StringDataRightTruncation", "NumericValueOutOfRange"} or (
        type(exc).__module__.startswith("psycopg")
        and "DataError" in [cls.__name__ for cls in type(exc).__mro__]
    )
    kind = sa_exc.DataError if data_error else sa_exc.DatabaseError
    return kind(statement, None, exc)
