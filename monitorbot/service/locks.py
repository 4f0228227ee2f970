"""Job runs that two instances never run at once: a database lock plus the JobRun record.

Several `monitorbot run` processes may share one database (a restart that overlaps
the old process, or two hosts on one PostgreSQL). Each job run first claims a lock
named after its lock group and municipality; an instance that cannot take it skips
the run. Jobs that write the same alert state (the monthly cycle, the evaluation
after an inbox scan, the digest) share the group `evaluatie`, so they never
interleave for one municipality.

- PostgreSQL: a session-level `pg_try_advisory_lock` on a dedicated autocommit
  connection, released (or dropped by the server when the process dies) at the end.
- SQLite: the JobRun row itself is the lock. Inserting it takes SQLite's single
  write lock, and in that same short transaction we look for another live row of
  the group; if there is one we roll back. A row of a crashed process stops
  counting after `lease`, so a crash never blocks a job for good.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from monitorbot.core.states import JobStatus
from monitorbot.store import db, models

log = logging.getLogger("monitorbot.service")

Clock = Callable[[], datetime]
T = TypeVar("T")

# Jobs in one group exclude each other per municipality.
LOCK_GROUPS: dict[str, str] = {
    "maandcyclus": "evaluatie",
    "evaluatie": "evaluatie",
    "digest": "evaluatie",
    "inbox": "inbox",
    "outbox": "outbox",
    "onderhoud": "onderhoud",
}
DEFAULT_LEASE = timedelta(hours=2)


def owner_id() -> str:
    """Which process holds a lock: host, process namespace and pid (no personal data).
    Containers may share a host name but not their process numbers: the namespace says
    whether a pid can be looked up from here."""
    return f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}"


def _pid_namespace() -> str:
    """This process's pid namespace and the machine's boot, or '?' where /proc is absent."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            return f"{namespace}-{boot.read().strip()[:8]}"
    except OSError:
        return "?"


def advisory_key(group: str, gemeente: str | None) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock (Python's hash() is salted)."""
    digest = hashlib.blake2b(f"monitorbot:{group}:{gemeente or '-'}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


@dataclass
class Run:
    """A claimed run; the job fills `statistiek` (counts only) and may mark it failed."""

    id: int
    job: str
    gemeente: str | None
    statistiek: dict[str, Any] = field(default_factory=dict)
    status: JobStatus = JobStatus.GESLAAGD


def _utc(clock: Clock) -> datetime:
    return clock().astimezone(UTC)


@contextmanager
def claimed_run(
    engine: Engine,
    job: str,
    gemeente: str | None = None,
    *,
    clock: Clock,
    lease: timedelta = DEFAULT_LEASE,
) -> Iterator[Run | None]:
    """Claim (job, gemeente) and record the run; yields None when another instance holds it.

    The JobRun row ends as `geslaagd` (or the status the job set), or `mislukt`
    with the exception's type when the block raises.
    """
    group = LOCK_GROUPS.get(job, job)
    with _lock(engine, job, group, gemeente, clock=clock, lease=lease) as run:
        if run is None:
            log.info(
                "job overgeslagen: een andere instantie is bezig",
                extra={"job": job, "gemeente": gemeente},
            )
            yield None
            return
        try:
            yield run
        except BaseException as exc:
            _finish(engine, run, clock, status=JobStatus.MISLUKT, fout=type(exc).__name__)
            raise
        _finish(engine, run, clock, status=run.status)


@contextmanager
def _lock(
    engine: Engine,
    job: str,
    group: str,
    gemeente: str | None,
    *,
    clock: Clock,
    lease: timedelta,
) -> Iterator[Run | None]:
    if db.is_postgresql(engine):
        with _advisory_lock(engine, group, gemeente) as taken:
            yield _insert_run(engine, job, gemeente, clock) if taken else None
    else:
        yield _claim_row(engine, job, group, gemeente, clock=clock, lease=lease)


@contextmanager
def _advisory_lock(engine: Engine, group: str, gemeente: str | None) -> Iterator[bool]:
    """Hold a session-level advisory lock on an autocommit connection (no open transaction)."""
    key = advisory_key(group, gemeente)
    connection: Connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        taken = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar())
        try:
            yield taken
        finally:
            if taken:
                connection.execute(select(func.pg_advisory_unlock(key)))
    finally:
        connection.close()


def _insert_run(engine: Engine, job: str, gemeente: str | None, clock: Clock) -> Run:
    with db.transaction(engine) as session:
        row = _new_row(job, gemeente, clock)
        session.add(row)
        session.flush()
        return Run(row.id, job, gemeente)


def _new_row(job: str, gemeente: str | None, clock: Clock) -> models.JobRun:
    return models.JobRun(
        job=job,
        gemeente_code=gemeente,
        gestart_op=_utc(clock),
        status=JobStatus.BEZIG,
        statistiek={"eigenaar": owner_id()},
    )


def _claim_row(
    engine: Engine,
    job: str,
    group: str,
    gemeente: str | None,
    *,
    clock: Clock,
    lease: timedelta,
) -> Run | None:
    """SQLite: insert first (takes the write lock, serialising claimants), then look for rivals."""
    jobs = [name for name, g in LOCK_GROUPS.items() if g == group] or [job]
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = _new_row(job, gemeente, clock)
        session.add(row)
        session.flush()
        rivals = session.execute(
            select(models.JobRun.id, models.JobRun.statistiek).where(
                models.JobRun.job.in_(jobs),
                _same_gemeente(gemeente),
                models.JobRun.status == JobStatus.BEZIG,
                models.JobRun.id != row.id,
                models.JobRun.gestart_op >= row.gestart_op - lease,
            )
        ).all()
        orphans = [r.id for r in rivals if _owner_gone((r.statistiek or {}).get("eigenaar"))]
        if len(orphans) < len(rivals):
            session.rollback()
            return None
        if orphans:
            # Held by a process of this host that no longer exists (kill -9, a crash):
            # taken over at once instead of after the lease.
            session.execute(
                update(models.JobRun)
                .where(models.JobRun.id.in_(orphans))
                .values(
                    status=JobStatus.MISLUKT,
                    geeindigd_op=_utc(clock),
                    fout="proces bestaat niet meer",
                )
            )
            log.warning(
                "slot van %s overgenomen: het proces dat het hield bestaat niet meer",
                job,
                extra={"job": job, "gemeente": gemeente},
            )
        return Run(row.id, job, gemeente)


def _owner_gone(owner: str | None) -> bool:
    """Whether the owner (`host:namespace:pid`) is a process of this host and namespace
    that has ended. Any other cannot be checked from here: its lock lasts its lease."""
    parts = (owner or "").rsplit(":", 2)
    if len(parts) != 3:
        return False
    host, namespace, pid = parts
    if (
        host != socket.gethostname()
        or namespace == "?"
        or namespace != _pid_namespace()
        or not pid.isdigit()
    ):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    return False


def _same_gemeente(gemeente: str | None) -> Any:
    column = models.JobRun.gemeente_code
    return column.is_(None) if gemeente is None else column == gemeente


def _finish(
    engine: Engine, run: Run, clock: Clock, *, status: str, fout: str | None = None
) -> None:
    """Write first (no read before it): on SQLite a read-then-write transaction fails at
    once when another connection committed in between; a plain write waits its turn."""
    values: dict[str, Any] = {"geeindigd_op": _utc(clock), "status": status, "fout": fout}
    if run.statistiek:
        values["statistiek"] = {"eigenaar": owner_id(), **run.statistiek}
    with db.transaction(engine) as session:
        session.execute(update(models.JobRun).where(models.JobRun.id == run.id).values(**values))


def retry_when_busy(
    engine: Engine,
    action: Callable[[], T],
    *,
    attempts: int = 5,
    pause: Callable[[float], None] = time.sleep,
) -> T:
    """Run `action` again when SQLite reports the database busy; other errors pass through.

    SQLite allows one writer, and a transaction that read before writing fails
    immediately ("database is locked") when another connection (APScheduler's job
    store, a manual `monitorbot ingest`) committed meanwhile; busy_timeout does
    not help then. The actions retried here are transactions that either commit
    completely or not at all (evaluate-and-queue, delivery), so running them
    again is safe. PostgreSQL never takes this path.
    """
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except OperationalError as exc:
            if db.is_postgresql(engine) or not _busy(exc) or attempt == attempts:
                raise
            log.warning("database bezet; opnieuw", extra={"poging": attempt})
            pause(0.2 * attempt)
    raise AssertionError("unreachable")


def _busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text
