"""Ingest files into the database: one file, one transaction; nothing lost, nothing twice.

For every file offered (a message, an export, a folder of them, a zip):
1. its SHA-256 is looked up: a file seen before is a no-op ("al ingelezen");
2. it is parsed while streaming (XML validated against the official schema);
   a message already ingested under another file name (same sender, message
   type and BerichtIdentificatie) is a no-op too;
3. its rows are bulk-inserted (COPY on PostgreSQL, executemany elsewhere) in the
   same transaction that records the file, so a crash leaves nothing half done;
4. a file that cannot be read is rolled back, recorded as rejected and written to
   quarantine with `<file>.error.txt`; the run continues with the next file.
Semantic problems (totals that do not add up, unmapped codes, ...) are findings:
the valid lines are kept and the finding is stored next to them.
"""

from __future__ import annotations

import contextlib
import filecmp
import hashlib
import io
import logging
import re
import shutil
import tempfile
import time
import traceback
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.config.models import InputLimits
from monitorbot.core.states import BestandStatus, JobStatus
from monitorbot.ingest.errors import AlreadyIngested, InputProblem, RejectedInput
from monitorbot.ingest.findings import FindingCollector
from monitorbot.ingest.lifecycle import AllocationIndex
from monitorbot.ingest.parallel import (
    ReadAhead,
    ReaderPool,
    can_fork,
    default_processes,
    finished,
)
from monitorbot.ingest.sources import BestandInfo, Handler, MessageKey, SourceFile, classify
from monitorbot.store import db, models
from monitorbot.store.bulk import DeferredIndexes
from monitorbot.store.queries.quality import file_name

log = logging.getLogger(__name__)

HEADER_PARTY = re.compile(rb"<(?:\w+:)?(?:Ontvanger|Afzender)>\s*([0-9]{4})\s*<")
Clock = Callable[[], datetime]


@dataclass
class FileReport:
    """What happened to one file; printed per file and summed for the run."""

    naam: str
    status: BestandStatus
    soort: str = "onbekend"
    gemeente: str | None = None
    regels: int = 0
    bedrag_cents: int = 0
    periode_van: date | None = None
    periode_tot: date | None = None
    bevindingen: int = 0
    niet_ingedeeld_regels: int = 0
    niet_ingedeeld_cents: int = 0
    reden: str | None = None
    problemen: list[InputProblem] = field(default_factory=list)

    def widen_period(self, begin: date, end: date) -> None:
        self.periode_van = begin if self.periode_van is None else min(self.periode_van, begin)
        self.periode_tot = end if self.periode_tot is None else max(self.periode_tot, end)


@dataclass
class IngestReport:
    bestanden: list[FileReport] = field(default_factory=list)
    duur_seconden: float = 0.0

    def _sum(self, attribute: str) -> int:
        return sum(
            getattr(f, attribute) for f in self.bestanden if f.status == BestandStatus.INGELEZEN
        )

    @property
    def regels(self) -> int:
        return self._sum("regels")

    @property
    def bedrag_cents(self) -> int:
        return self._sum("bedrag_cents")

    @property
    def bevindingen(self) -> int:
        return self._sum("bevindingen")

    @property
    def niet_ingedeeld_cents(self) -> int:
        return self._sum("niet_ingedeeld_cents")

    @property
    def niet_ingedeeld_regels(self) -> int:
        return self._sum("niet_ingedeeld_regels")

    def count(self, status: BestandStatus) -> int:
        return sum(1 for f in self.bestanden if f.status == status)

    @property
    def geweigerd(self) -> int:
        return self.count(BestandStatus.GEWEIGERD)

    @property
    def gemeenten(self) -> set[str]:
        return {
            f.gemeente for f in self.bestanden if f.gemeente and f.status == BestandStatus.INGELEZEN
        }

    def as_dict(self) -> dict:
        periods = [f for f in self.bestanden if f.periode_van]
        return {
            "bestanden": [
                {
                    "naam": f.naam,
                    "status": f.status,
                    "soort": f.soort,
                    "gemeente": f.gemeente,
                    "regels": f.regels,
                    "bedrag_cents": f.bedrag_cents,
                    "periode_van": f.periode_van.isoformat() if f.periode_van else None,
                    "periode_tot": f.periode_tot.isoformat() if f.periode_tot else None,
                    "bevindingen": f.bevindingen,
                    "niet_ingedeeld_regels": f.niet_ingedeeld_regels,
                    "niet_ingedeeld_cents": f.niet_ingedeeld_cents,
                    "reden": f.reden,
                    "problemen": [str(p) for p in f.problemen],
                }
                for f in self.bestanden
            ],
            "totaal": {
                "bestanden": len(self.bestanden),
                "ingelezen": self.count(BestandStatus.INGELEZEN),
                "al_ingelezen": self.count(BestandStatus.AL_INGELEZEN),
                "geweigerd": self.geweigerd,
                "regels": self.regels,
                "bedrag_cents": self.bedrag_cents,
                "bevindingen": self.bevindingen,
                "niet_ingedeeld_regels": self.niet_ingedeeld_regels,
                "niet_ingedeeld_cents": self.niet_ingedeeld_cents,
                "periode_van": min(f.periode_van for f in periods).isoformat() if periods else None,
                "periode_tot": max(f.periode_tot for f in periods).isoformat() if periods else None,
                "duur_seconden": round(self.duur_seconden, 3),
            },
        }


@dataclass
class Destinations:
    """Where files go afterwards. The inbox moves files; a manual ingest copies rejects."""

    quarantine: Path | None = None
    archive: Path | None = None
    move: bool = False


def iter_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, folders recursively, in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and not child.name.endswith(".error.txt")
                    and not (child.name.startswith("."))
                ):
                    yield child
        else:
            yield path


WHITESPACE = b" \t\r\n"
XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
BOM = b"\xef\xbb\xbf"


def digests_of(stream: IO[bytes]) -> tuple[str, str]:
    """The file's sha256, and that of its content, so the same file saved again is known:
    an XML message without its declaration and without whitespace (other line endings or
    indentation; values monitorbot keeps hold no spaces), a table without its BOM and
    with its line endings as LF (spaces inside a cell do matter there)."""
    exact, content = hashlib.sha256(), hashlib.sha256()
    first, xml = True, False
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        exact.update(chunk)
        if first:
            first = False
            chunk = chunk.removeprefix(BOM)
            xml = chunk.lstrip().startswith(b"<")
            if xml:
                chunk = XML_DECLARATION.sub(b"", chunk, count=1)
        content.update(chunk.translate(None, WHITESPACE) if xml else chunk.replace(b"\r", b""))
    return exact.hexdigest(), content.hexdigest()


# The two statements every file runs, built once: their values are parameters, so a
# run of thousands of small files does not build and compile them again for each.
_BESTAND = models.Bronbestand.__table__
_NEW_FILE = insert(_BESTAND).returning(_BESTAND.c.id)
_FILE_LOADED = (
    update(_BESTAND)
    .where(_BESTAND.c.id == bindparam("file_id"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "gemeente_code",
                "regels",
                "bedrag_cents",
                "periode_van",
                "periode_tot",
                "afzender",
                "berichttype",
                "bericht_identificatie",
                "dagtekening",
            )
        }
    )
)


class _Batch:
    """Files committed together: each file is its own SAVEPOINT inside the batch.

    Committing every small care-flow message separately costs more than parsing
    it; a batch amortises the commit while each file stays all-or-nothing (a
    rejected file rolls back to its savepoint). Nothing is moved to the archive
    or quarantine before its batch is committed, so a crash mid-batch leaves the
    files where they were and the next run ingests them completely. The first
    batch into an empty database builds the reporting indexes after its rows
    (`DeferredIndexes`).
    """

    MAX_FILES = 500
    MAX_LINES = 200_000
    MAX_SECONDS = 2.0

    def __init__(self, engine: Engine):
        self.session = Session(db.writer(engine), expire_on_commit=False)
        self.session.begin()
        self.indexes = DeferredIndexes(self.session)
        self.files = 0
        self.lines = 0
        self.opened = time.perf_counter()
        self.after_commit: list[Callable[[], None]] = []

    def full(self) -> bool:
        return (
            self.files >= self.MAX_FILES
            or self.lines >= self.MAX_LINES
            or time.perf_counter() - self.opened >= self.MAX_SECONDS
        )

    def commit(self) -> None:
        self.indexes.rebuild()
        self.session.commit()
        self.session.close()
        for action in self.after_commit:
            action()

    def abandon(self) -> None:
        self.session.rollback()
        self.session.close()


class Ingestor:
    """Runs ingestion for one deployment (all municipalities in the config)."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        *,
        pseudonymize: Callable[[str], str],
        destinations: Destinations | None = None,
        clock: Clock = lambda: datetime.now(UTC),
        on_file_done: Callable[[FileReport], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ):
        self.engine = engine
        self.config = config
        self.pseudonymize = pseudonymize
        self.destinations = destinations or Destinations()
        self.clock = clock
        self.on_file_done = on_file_done
        self.should_stop = should_stop
        self.known_files: set[str] = set()
        self.known_contents: dict[str, str] = {}  # content digest → the file that had it
        self.rejected_files: set[str] = set()
        # identity → the file that brought it and its content digest
        self.known_messages: dict[MessageKey, tuple[str, str | None]] = {}
        self._batch: _Batch | None = None
        self.allocation_indexes: dict[str, AllocationIndex] = {}
        self._pool: ReaderPool | None = None

    # ------------------------------------------------------------------ run

    def run(self, paths: Iterable[Path], *, job: str = "ingest") -> IngestReport:
        """Ingest every file under `paths`; record the run; never stop on a bad file.

        `should_stop` is checked between files, so a stop request (SIGTERM) lets
        the current file finish and commits what was done.
        """
        started = time.perf_counter()
        report = IngestReport()
        self._load_known()
        run_id = self._start_run(job)
        try:
            files = list(iter_paths(paths))
            pool = self.reader_pool()
            for path, reading in pool.ahead(files) if pool else ((f, None) for f in files):
                if self.should_stop():
                    break
                for result in self._ingest_path(path, run_id, finished(reading)):
                    report.bestanden.append(result)
                    if self.on_file_done:
                        self.on_file_done(result)
            self._commit_batch()
        except BaseException:
            if self._batch is not None:
                self._batch.abandon()
                self._batch = None
            self.allocation_indexes.clear()
            self._fail_run(run_id)
            raise
        finally:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        report.duur_seconden = time.perf_counter() - started
        self._finish_run(run_id, report)
        return report

    def reader_pool(self) -> ReaderPool | None:
        """Worker processes that read large declarations in parts and small files ahead;
        None where one process reads everything (`invoer.processen: 1`, no fork)."""
        processes = self.config.deployment.invoer.processen or default_processes()
        if processes < 2 or not can_fork():
            return None
        if self._pool is None:
            self._pool = ReaderPool(self.config, self.pseudonymize, processes)
        return self._pool

    def _session(self) -> Session:
        if self._batch is None:
            self._batch = _Batch(self.engine)
        return self._batch.session

    def _after_commit(self, action: Callable[[], None]) -> None:
        if self._batch is None:
            action()
        else:
            self._batch.after_commit.append(action)

    def _file_done(self, lines: int) -> None:
        batch = self._batch
        if batch is None:
            return
        batch.files += 1
        batch.lines += lines
        if batch.full():
            self._commit_batch()

    def _commit_batch(self) -> None:
        if self._batch is not None:
            batch, self._batch = self._batch, None
            batch.commit()

    def _start_run(self, job: str) -> int:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            run = models.JobRun(
                job=job, gestart_op=self.clock(), status=JobStatus.BEZIG, statistiek={}
            )
            session.add(run)
            session.flush()
            return run.id

    def _fail_run(self, run_id: int) -> None:
        """A run that stopped on an error says so (instead of staying 'bezig')."""
        try:
            with db.transaction(db.writer(self.engine)) as session:
                session.execute(
                    update(models.JobRun)
                    .where(models.JobRun.id == run_id)
                    .values(geeindigd_op=self.clock(), status=JobStatus.MISLUKT)
                )
        except SQLAlchemyError:
            log.warning("run %s kon niet als mislukt worden vastgelegd", run_id)

    def _finish_run(self, run_id: int, report: IngestReport) -> None:
        totals = report.as_dict()["totaal"]
        status = JobStatus.GESLAAGD if report.geweigerd == 0 else JobStatus.DEELS_GEWEIGERD
        with db.transaction(db.writer(self.engine)) as session:  # a write, no read first
            session.execute(
                update(models.JobRun)
                .where(models.JobRun.id == run_id)
                .values(geeindigd_op=self.clock(), status=status, statistiek=totals)
            )

    def _load_known(self) -> None:
        """What was ingested before, loaded once per run instead of queried per file.

        The unique constraints on `bronbestand` stay the guard when two processes
        ingest at the same time; these sets only save a round trip per file.
        """
        bestand = models.Bronbestand
        with Session(self.engine, expire_on_commit=False) as session:
            rows = session.execute(
                select(
                    bestand.sha256,
                    bestand.status,
                    bestand.afzender,
                    bestand.berichttype,
                    bestand.bericht_identificatie,
                    bestand.dagtekening,
                    bestand.inhoud_sha256,
                    bestand.bestandsnaam,
                )
            ).all()
        stored = (BestandStatus.INGELEZEN, BestandStatus.VERVANGEN)
        self.known_files = {row.sha256 for row in rows if row.status in stored}
        self.known_contents = {
            row.inhoud_sha256: row.bestandsnaam
            for row in rows
            if row.status in stored and row.inhoud_sha256 is not None
        }
        self.rejected_files = {row.sha256 for row in rows if row.status == BestandStatus.GEWEIGERD}
        self.known_messages = {
            (row.afzender, row.berichttype, row.bericht_identificatie, row.dagtekening): (
                row.bestandsnaam,
                row.inhoud_sha256,
            )
            for row in rows
            if row.bericht_identificatie is not None
        }

    # ------------------------------------------------------------------ one path

    def _ingest_path(
        self, path: Path, run_id: int, read_ahead: ReadAhead | None = None
    ) -> Iterator[FileReport]:
        limit = self.config.deployment.invoer.max_bestand_mb
        if _size(path) > limit << 20:
            reason = (
                f"groter dan {limit} MiB (invoer.max_bestand_mb in monitorbot.yaml); niet "
                "gelezen. Splits de levering of verhoog de grens"
            )
            yield self._refuse_whole(path, run_id, reason, read=False)
            return
        if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):  # name first: no read
            yield from self._ingest_zip(path, run_id)
            return
        source = SourceFile(
            name=str(path), open=lambda p=path: p.open("rb"), path=path, read_ahead=read_ahead
        )
        result = self._ingest_source(source, run_id)
        self._after_commit(lambda: self._place(path, result))
        self._file_done(result.regels)
        yield result

    def _ingest_zip(self, path: Path, run_id: int) -> Iterator[FileReport]:
        """Every member is judged alone, unpacked to a temporary file first (memory stays
        flat whatever its size). An archive that cannot be opened, or that holds two
        members of the same name, is refused as a whole: which member counts cannot be
        told. Unreadable members (encrypted, damaged, a zip bomb) are refused by name;
        the archive itself then goes to quarantine with their report."""
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            yield self._refuse_whole(path, run_id, _unopenable(exc))
            return
        results: list[FileReport] = []
        unreadable: list[FileReport] = []
        limits = self.config.deployment.invoer
        with archive, tempfile.TemporaryDirectory(prefix="monitorbot-zip-") as folder:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if not members:
                reason = "het archief is leeg (of zijn inhoudsopgave is beschadigd)"
                yield self._refuse_whole(path, run_id, reason)
                return
            if len(members) > limits.max_leden:
                reason = (
                    f"het archief bevat {len(members)} bestanden, meer dan de ingestelde "
                    f"{limits.max_leden} (invoer.max_leden in monitorbot.yaml)"
                )
                yield self._refuse_whole(path, run_id, reason)
                return
            doubles = sorted(n for n, c in Counter(i.filename for i in members).items() if c > 1)
            if doubles:
                reason = (
                    f"het archief bevat {len(doubles)} naam/namen twee keer (o.a. "
                    f"'{Path(doubles[0]).name}'): welke versie geldt is niet te zeggen; pak "
                    "het archief opnieuw in met elke naam één keer"
                )
                yield self._refuse_whole(path, run_id, reason)
                return
            for number, info in enumerate(sorted(members, key=lambda i: i.filename)):
                name = f"{path}!{info.filename}"
                unpacked = Path(folder) / f"lid-{number}"
                try:
                    problem = _unpack(archive, info, unpacked, limits)
                    if problem is not None:
                        result = self._refuse_unreadable(name, path, info, problem, run_id)
                        unreadable.append(result)
                    else:
                        source = SourceFile(
                            name=name, open=lambda p=unpacked: p.open("rb"), path=unpacked
                        )
                        result = self._ingest_source(source, run_id)
                        if result.status == BestandStatus.GEWEIGERD:
                            target = f"{path.stem}__{Path(info.filename).name}"
                            self._quarantine_copy(unpacked, target, result)
                finally:
                    _remove_quietly(unpacked)  # a refused member's partial file too
                results.append(result)
        self._commit_batch()
        # The archive leaves the inbox either way, so no scan meets it twice: whole into
        # quarantine when a member could not be read (only the archive holds it), else
        # to the archive (a refused member has its own copy and report in quarantine).
        if unreadable:
            self._quarantine(path, _archive_report(path, unreadable))
        else:
            self._archive(path)
        yield from results

    def _unreadable(self, source: SourceFile, exc: OSError, run_id: int) -> FileReport:
        """A file the operating system will not let us read: refused and recorded (the
        quarantine alert sees it), under a digest of its name, as it cannot be read."""
        reason = f"niet te lezen: {exc.strerror or type(exc).__name__}"
        sha = hashlib.sha256(f"onleesbaar!{source.name}".encode()).hexdigest()
        problem = InputProblem(source.name, None, None, None, reason)
        return self._reject(source, sha, "onbekend", RejectedInput([problem]), run_id)

    def _refuse_whole(
        self, path: Path, run_id: int, reason: str, *, read: bool = True
    ) -> FileReport:
        """A file or archive refused as a whole: recorded by its digest (a file too big to
        read, by its name and size), quarantined whole."""
        if read:
            with path.open("rb") as stream:
                sha, _ = digests_of(stream)
        else:
            sha = hashlib.sha256(f"{path.name}!{_size(path)}".encode()).hexdigest()
        source = SourceFile(name=str(path), open=lambda: path.open("rb"), path=path)
        problem = InputProblem(str(path), None, None, None, reason)
        result = self._reject(source, sha, "zip", RejectedInput([problem]), run_id)
        self._after_commit(lambda: self._place(path, result))
        self._file_done(0)
        return result

    def _refuse_unreadable(
        self, name: str, path: Path, info: zipfile.ZipInfo, reason: str, run_id: int
    ) -> FileReport:
        """A member that cannot be unpacked: recorded under a digest of where it is."""
        sha = hashlib.sha256(
            f"{path.name}!{info.filename}!{info.CRC}!{info.file_size}".encode()
        ).hexdigest()
        source = SourceFile(name=name, open=lambda: io.BytesIO(b""), path=None)
        problem = InputProblem(name, None, None, None, reason)
        return self._reject(source, sha, "onbekend", RejectedInput([problem]), run_id)

    def _ingest_source(self, source: SourceFile, run_id: int) -> FileReport:
        try:
            sha, inhoud = self._digests(source)
        except OSError as exc:
            # Unreadable here (permissions, a file that vanished): this file's problem, so
            # it is refused (and moved to quarantine where the system allows) and the run
            # goes on.
            return self._unreadable(source, exc, run_id)
        if sha in self.known_files:
            return FileReport(
                naam=source.name,
                status=BestandStatus.AL_INGELEZEN,
                reden="dit bestand is al eerder ingelezen (zelfde inhoud)",
            )
        if inhoud in self.known_contents:
            return FileReport(
                naam=source.name,
                status=BestandStatus.AL_INGELEZEN,
                reden=f"al ingelezen als {file_name(self.known_contents[inhoud])} (zelfde "
                "inhoud, anders opgeslagen: regeleinden of opmaak)",
            )
        try:
            handler = classify(source, self.config)
        except RejectedInput as exc:
            return self._reject(source, sha, "onbekend", exc, run_id)
        except SQLAlchemyError:
            raise
        except Exception as exc:  # a bug must not stop the other files
            return self._reject(source, sha, "onbekend", _internal_error(source, exc), run_id)
        report = FileReport(naam=source.name, status=BestandStatus.INGELEZEN, soort=handler.soort)
        session = self._session()
        savepoint = session.begin_nested()
        try:
            bestand = self._load_file(session, source, (sha, inhoud), handler, report, run_id)
        except AlreadyIngested as known:
            self._rollback(savepoint)
            return self._duplicate(source, handler.soort, file_name(known.earlier))
        except RejectedInput as exc:
            self._rollback(savepoint)
            return self._reject(source, sha, handler.soort, exc, run_id)
        except IntegrityError as exc:
            self._rollback(savepoint)
            if "bronbestand" in str(exc.orig):
                # Another process ingested the same file or message meanwhile.
                return self._duplicate(source, handler.soort, "een gelijktijdige run")
            problem = InputProblem(
                source.name, None, None, None, f"in strijd met de database ({_first_line(exc)})"
            )
            return self._reject(source, sha, handler.soort, RejectedInput([problem]), run_id)
        except DataError as exc:
            # A value that does not fit its column: this file's problem, not the database's.
            self._rollback(savepoint)
            problem = InputProblem(
                source.name,
                None,
                None,
                None,
                f"een waarde past niet in de database ({_first_line(exc)})",
            )
            return self._reject(source, sha, handler.soort, RejectedInput([problem]), run_id)
        except SQLAlchemyError:
            # The database itself failed: stop the run, leave the files where they are.
            self._rollback(savepoint)
            raise
        except Exception as exc:  # a bug must not stop the other files
            self._rollback(savepoint)
            return self._reject(source, sha, handler.soort, _internal_error(source, exc), run_id)
        except BaseException:
            self._rollback(savepoint)
            raise
        savepoint.commit()
        self.known_files.add(sha)
        self.known_contents[inhoud] = source.name
        if bestand.bericht_identificatie is not None:
            key = (
                bestand.afzender,
                bestand.berichttype,
                bestand.bericht_identificatie,
                bestand.dagtekening,
            )
            self.known_messages[key] = (source.name, inhoud)
        return report

    @staticmethod
    def _digests(source: SourceFile) -> tuple[str, str]:
        """A file read ahead was hashed from the very bytes its message was read from."""
        if source.read_ahead is not None:
            return source.read_ahead.sha256, source.read_ahead.inhoud_sha256
        with source.open() as stream:
            return digests_of(stream)

    def _load_file(
        self,
        session: Session,
        source: SourceFile,
        digests: tuple[str, str],
        handler: Handler,
        report: FileReport,
        run_id: int,
    ) -> BestandInfo:
        """Record the file and load its rows (RejectedInput: the caller rolls it back)."""
        table = models.Bronbestand.__table__
        sha, inhoud = digests
        if sha in self.rejected_files:
            # Refused before but readable now (e.g. a new export format was configured).
            session.execute(delete(table).where(table.c.sha256 == sha))
        bestand_id = session.execute(
            _NEW_FILE,
            {
                "bestandsnaam": stored_name(source.name),
                "sha256": sha,
                "inhoud_sha256": inhoud,
                "soort": handler.soort,
                "status": BestandStatus.INGELEZEN,
                "ingelezen_op": self.clock(),
                "run_id": run_id,
                "regels": 0,
                "bedrag_cents": 0,
            },
        ).scalar_one()
        bestand = BestandInfo(id=bestand_id, inhoud=inhoud)
        findings = FindingCollector(session, bestand_id, self.clock())
        handler.load(session, bestand, report, findings, self)
        findings.flush()
        report.bevindingen = findings.count
        session.execute(
            _FILE_LOADED,
            {
                "file_id": bestand_id,
                "gemeente_code": report.gemeente,
                "regels": report.regels,
                "bedrag_cents": report.bedrag_cents,
                "periode_van": report.periode_van,
                "periode_tot": report.periode_tot,
                "afzender": bestand.afzender,
                "berichttype": bestand.berichttype,
                "bericht_identificatie": bestand.bericht_identificatie,
                "dagtekening": bestand.dagtekening,
            },
        )
        return bestand

    def allocation_index(self, session: Session, gemeente: str) -> AllocationIndex:
        """The municipality's allocations, loaded once per run (see lifecycle)."""
        index = self.allocation_indexes.get(gemeente)
        if index is None:
            index = AllocationIndex.load(session, gemeente)
            self.allocation_indexes[gemeente] = index
        return index

    def _rollback(self, savepoint) -> None:  # type: ignore[no-untyped-def]
        """Undo one file; in-memory indexes may hold its rows, so they are reloaded."""
        savepoint.rollback()
        self.allocation_indexes.clear()

    def _duplicate(self, source: SourceFile, soort: str, earlier: str) -> FileReport:
        return FileReport(
            naam=source.name,
            status=BestandStatus.AL_INGELEZEN,
            soort=soort,
            reden=f"bericht is al ingelezen als {earlier}",
        )

    def _reject(
        self, source: SourceFile, sha: str, soort: str, exc: RejectedInput, run_id: int
    ) -> FileReport:
        """Record the rejection (the file's rows were rolled back) and say why."""
        text = "\n".join(str(p) for p in exc.problems)
        session = self._session()
        if sha in self.rejected_files:
            existing = session.execute(
                select(models.Bronbestand).where(models.Bronbestand.sha256 == sha)
            ).scalar_one()
            existing.foutmelding = text
            existing.ingelezen_op = self.clock()
        else:
            session.add(
                models.Bronbestand(
                    gemeente_code=self._addressed_gemeente(source),
                    bestandsnaam=stored_name(source.name),
                    sha256=sha,
                    soort=soort,
                    status=BestandStatus.GEWEIGERD,
                    foutmelding=text,
                    ingelezen_op=self.clock(),
                    run_id=run_id,
                )
            )
            self.rejected_files.add(sha)
        session.flush()
        first = exc.problems[0] if exc.problems else None
        return FileReport(
            naam=source.name,
            status=BestandStatus.GEWEIGERD,
            soort=soort,
            reden=str(first) if first else "onleesbaar",
            problemen=list(exc.problems),
        )

    def _addressed_gemeente(self, source: SourceFile) -> str | None:
        """Best effort: the configured municipality a rejected message names in its header.

        A rejected file is not parsed, but its municipality should still see it
        (the quarantine alert); a header that names none stays unattributed.
        """
        try:
            head = source.head()
        except OSError:
            return None
        codes = HEADER_PARTY.findall(head)
        return next((c.decode() for c in codes if c.decode() in self.config.gemeenten), None)

    # ------------------------------------------------------------------ placement

    def _place(self, path: Path, result: FileReport) -> None:
        if result.status == BestandStatus.GEWEIGERD:
            self._quarantine(path, result)
        elif self.destinations.move:
            self._archive(path)

    def _quarantine(self, path: Path, result: FileReport) -> None:
        target_dir = self.destinations.quarantine
        if target_dir is None:
            return
        target: Path | None = None
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            target = _same_file_in(target_dir, path)
            if target is not None:
                # Offered again unchanged: the copy in quarantine is enough.
                if self.destinations.move:
                    path.unlink()
            else:
                target = _free_name(target_dir / path.name)
                # A move is a rename on one disk; across disks shutil copies, then removes.
                # A copy that fails midway is removed; the original is still in place.
                try:
                    if self.destinations.move:
                        shutil.move(path, target)
                    else:
                        shutil.copy2(path, target)
                except OSError:
                    if path.exists():
                        _remove_quietly(target)
                    raise
            _write_error_file(target, result)
        except OSError as exc:
            _quarantine_failed(target, path.name, exc)

    def _quarantine_copy(self, source: Path, name: str, result: FileReport) -> None:
        """Copy a file into quarantine with its report. A disk that fills up midway leaves
        no partial copy: the file stays where it was, and the run goes on."""
        target_dir = self.destinations.quarantine
        if target_dir is None:
            return
        target: Path | None = None
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            target = _free_name(target_dir / name)
            try:
                shutil.copyfile(source, target)
            except OSError:
                _remove_quietly(target)  # the source is still there
                raise
            _write_error_file(target, result)
        except OSError as exc:
            _quarantine_failed(target, file_name(result.naam), exc)

    def _archive(self, path: Path) -> None:
        if not (self.destinations.move and self.destinations.archive):
            return
        month = self.clock().strftime("%Y-%m")
        target_dir = self.destinations.archive / month
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(path, _free_name(target_dir / path.name))


#: bronbestand.bestandsnaam holds this many characters.
NAME_LENGTH = 500


def stored_name(name: str) -> str:
    """A path as stored: a longer one (deep folders, a zip member's long name) keeps its
    end, where the file's own name is, behind an ellipsis."""
    return name if len(name) <= NAME_LENGTH else "…" + name[-(NAME_LENGTH - 1) :]


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's reason without the statement or its parameters (which carry values)."""
    return str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__


def _internal_error(source: SourceFile, exc: Exception) -> RejectedInput:
    """A bug while reading a file: reject that file, log where it happened.

    Only the exception type and the code location are logged and reported: an
    exception's message may quote input values, and input values may be personal.
    """
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
    log.error("interne fout bij %s: %s in %s", source.name, type(exc).__name__, where)
    return RejectedInput(
        [
            InputProblem(
                source.name,
                None,
                None,
                None,
                f"interne fout bij het lezen ({type(exc).__name__} in {where}); "
                "het bestand is niet "
                "ingelezen, meld dit bij de beheerder",
            )
        ]
    )


def _same_file_in(folder: Path, path: Path) -> Path | None:
    """A file in `folder` with the same name (or numbered variant) and the same content
    (compared in chunks: a large file is never read whole)."""
    size = path.stat().st_size
    for candidate in sorted(folder.glob(f"{path.stem}*{path.suffix}")):
        if (
            candidate.is_file()
            and candidate.stat().st_size == size
            and filecmp.cmp(candidate, path, shallow=False)
        ):
            return candidate
    return None


def _quarantine_failed(target: Path | None, name: str, exc: OSError) -> None:
    """Placing a file in quarantine failed (a full disk): a half-written report goes, the
    file itself is never removed here (it may be the only copy), and it is said."""
    if target is not None:
        _remove_quietly(target.with_name(target.name + ".error.txt"))
    log.error(
        "kon %s niet in quarantaine zetten (%s)",
        name,
        exc.strerror or type(exc).__name__,
    )


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


#: Below this unpacked size the compression ratio is not judged (a small, repetitive
#: file packs well without being a bomb).
RATIO_FROM = 64 << 20


def _unpack(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: InputLimits
) -> str | None:
    """Stream one member to `target`; the reason it cannot be read, or None.

    The sizes in the archive's directory may lie, so they are checked while unpacking
    against `invoer.max_lid_mb` and `invoer.max_compressie` (config/monitorbot.yaml)."""
    if info.flag_bits & 0x1:
        return "versleuteld lid (met wachtwoord): monitorbot leest geen versleutelde archieven"
    packed = max(info.compress_size, 1)
    most = limits.max_lid_mb << 20
    written = 0
    try:
        with archive.open(info) as stream, target.open("wb") as out:
            while chunk := stream.read(1 << 20):
                written += len(chunk)
                if written > most:
                    return (
                        f"pakt uit tot meer dan {limits.max_lid_mb} MiB "
                        "(invoer.max_lid_mb in monitorbot.yaml); niet uitgepakt"
                    )
                if written > RATIO_FROM and written > packed * limits.max_compressie:
                    return (
                        f"pakt uit tot meer dan {written >> 20} MiB uit {packed >> 10} KiB "
                        f"ingepakt (meer dan {limits.max_compressie} keer, "
                        "invoer.max_compressie): een zip-bom, geen bericht; niet uitgepakt"
                    )
                out.write(chunk)
    except OSError as exc:  # the temporary folder is full or unwritable
        return f"lid kon niet worden uitgepakt ({exc.strerror or type(exc).__name__})"
    except zipfile.BadZipFile:
        return "beschadigd lid (CRC-fout of afgebroken archief): niet te lezen"
    except NotImplementedError:
        return "lid met een compressiemethode die monitorbot niet kent"
    except (RuntimeError, EOFError, zlib.error):
        return "lid dat niet uit te pakken is (beschadigd of versleuteld)"
    return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # unreadable: the read that follows says why


def _unopenable(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "geen leesbaar zip-archief (beschadigd of afgebroken)"
    return f"archief niet te openen ({type(exc).__name__})"


def _archive_report(path: Path, unreadable: list[FileReport]) -> FileReport:
    """The report that goes with an archive kept in quarantine for its unreadable members."""
    return FileReport(
        naam=str(path),
        status=BestandStatus.GEWEIGERD,
        soort="zip",
        reden=f"{len(unreadable)} lid/leden niet te lezen",
        problemen=[p for r in unreadable for p in r.problemen],
    )


def _free_name(target: Path) -> Path:
    """Never overwrite: a second file with the same name gets a numbered suffix."""
    if not target.exists():
        return target
    for number in range(2, 10_000):
        candidate = target.with_name(f"{target.stem}.{number}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(target)


def _write_error_file(target: Path, result: FileReport) -> None:
    lines = [
        f"Bestand: {result.naam}",
        f"Soort: {result.soort}",
        "Status: geweigerd — niets uit dit bestand is ingelezen; de rest van de run ging door.",
        "",
        "Problemen:",
        *[f"- {p}" for p in result.problemen],
        "",
        "Verbeter het bestand (of laat de afzender een nieuw bericht sturen) en zet het",
        "opnieuw in de inbox; een ongewijzigd bestand wordt opnieuw geweigerd.",
    ]
    target.with_name(target.name + ".error.txt").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
