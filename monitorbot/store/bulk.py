"""Bulk loading: COPY on PostgreSQL, executemany in large batches elsewhere.

Row-by-row ORM inserts would cap ingestion at a few thousand lines a second;
these paths run inside the caller's transaction, so a file stays all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


class BulkWriter:
    """Buffers rows for one table and writes them in batches on the session's connection."""

    def __init__(self, session: Session, table: Table, columns: Sequence[str], batch: int = 20_000):
        self.session = session
        self.table = table
        self.columns = list(columns)
        self.batch = batch
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self._copy = session.get_bind().dialect.name == "postgresql"

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self._copy:
            self._copy_rows()
        else:
            self.session.execute(
                insert(self.table), [dict(zip(self.columns, row, strict=True)) for row in self.rows]
            )
        self.written += len(self.rows)
        self.rows.clear()

    def _copy_rows(self) -> None:
        dbapi = self.session.connection().connection.dbapi_connection
        columns = ", ".join(self.columns)
        with (
            dbapi.cursor() as cursor,
            cursor.copy(f"COPY {self.table.name} ({columns}) FROM STDIN") as copy,
        ):
            for row in self.rows:
                copy.write_row(row)
