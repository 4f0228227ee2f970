"""Read on every core, write in one process: large declarations in parts, small files ahead.

A 323 is a header followed by thousands to millions of `Client` elements. One
process reads (validates, pseudonymises, maps) at most ~50.000 lines a second;
the database takes rows faster than that. So a large file is cut into parts of
whole clients, each part is read by a worker process, and the calling process
only writes the rows the workers send back, in file order.

Why a part is read exactly as the whole file would be:

* A part is a document of its own: the file's bytes up to the first `Client`
  (XML declaration, root, Header, the declaration's totals), blank lines so its
  clients keep their line numbers, its clients, and the bytes after the last
  client. libxml2 validates it against the official schema like any file.
* The 323 schemas have no identity constraints (xs:unique, xs:key) and
  `Clienten` is a plain sequence of `Client`. Whether a Client is valid depends
  only on its own content, so the file is valid exactly when the envelope is and
  every Client is: exactly when every part is.
* Everything that spans clients is merged here, not in the parts: totals, the
  period, unmapped codes, a ProductReferentie used twice (also across parts),
  invalid BSNs. `tests/test_parallel_ingest.py` loads the same files both ways and
  compares every row and every finding.
* Any doubt falls back to reading the whole file in one process: a file that is
  not plain UTF-8 or ASCII-compatible text, that has comments, CDATA, a DOCTYPE or
  processing instructions (where `<Client` might not be a tag), a lone carriage
  return (line numbers), no Client end before its envelope closes — and any part
  that fails at all. The one-process reading then gives the verdict and the exact
  error, so a rejected file reads the same whichever way it was first tried.

Small files (care-flow messages, a provider's monthly declaration) are read
ahead instead: while the ingest process writes one file, the workers hash and
read the next few, whole, from the same bytes (`xml_messages.read_message`), and
the ingest process replays what they read — records, and a rejection exactly
where the file's reading would have raised it. A file a worker could not read is
read by the ingest process itself.

Workers are forked once per run and get the configuration and the pseudonymiser
by inheritance (a pseudonymiser refuses to be pickled, so its key never travels
through a pipe); they return records and rows with pseudonyms, never a BSN. They
die with the run (even killed with -9) and no part of a file outlives its turn.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import itertools
import mmap
import multiprocessing
import os
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitorbot.config import Config
from monitorbot.core.states import BestandStatus
from monitorbot.ingest import xml_messages as xm
from monitorbot.ingest.errors import RejectedInput
from monitorbot.ingest.findings import Finding, FindingCollector

if TYPE_CHECKING:
    from monitorbot.ingest.sources import ChecksState, SinkCounts

#: A declaration smaller than this is read in one process: starting the parts costs more.
SPLIT_FROM_BYTES = 16 << 20
#: The size of one part: large enough that the prefix and the hand-over are noise,
#: small enough that parts keep every core busy and memory flat.
PART_BYTES = 8 << 20
#: Parts in flight per worker: one being read, one waiting to be written.
AHEAD_PER_WORKER = 2
#: prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1
#: How much of a file is scanned at a time while planning its parts.
SCAN_WINDOW = 16 << 20
#: Blank lines per run of padding (libxml2 limits a single text node to 10 MB).
PAD_RUN = 1 << 20

_CLIENT_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Client[\s>/]")
_CLIENT_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?Client\s*>")
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ASCII_COMPATIBLE = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "iso-8859-15"}
_TAIL_BYTES = 1 << 16
_LONE_CR = re.compile(rb"\r(?!\n)")  # a line break libxml2 counts and a line feed count would not


class SplitDoubt(Exception):
    """A part could not be read as planned: read the whole file in one process instead."""


@dataclass(frozen=True)
class Part:
    """One part of a file: bytes [start, end), after `pad` line breaks of padding."""

    start: int
    end: int
    pad: int


@dataclass(frozen=True)
class SplitPlan:
    path: Path
    prefix: bytes  # the file up to its first Client
    suffix: bytes  # the file after its last Client
    parts: tuple[Part, ...]


def plan_split(path: Path, part_bytes: int | None = None) -> SplitPlan | None:
    """Where to cut a 323 into parts of whole clients; None when it must be read whole.

    The file is mapped, not read, and scanned one window at a time; each window's pages
    are let go once scanned, so planning a 4 GB file takes no more memory than a part.
    """
    size = path.stat().st_size
    if size < SPLIT_FROM_BYTES:
        return None
    part_bytes = part_bytes or PART_BYTES
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if not _plain_text(data, size):
            return None
        first = _CLIENT_START.search(data, 0, min(size, SCAN_WINDOW))
        last_end = _last_client_end(data, size)
        if first is None or last_end is None or last_end <= first.start():
            return None
        bounds = [first.start()]
        while bounds[-1] + part_bytes < last_end:
            following = _CLIENT_START.search(data, bounds[-1] + part_bytes, last_end)
            if following is None:
                break
            bounds.append(following.start())
        bounds.append(last_end)
        parts: list[Part] = []
        lines = 0
        for start, end in itertools.pairwise(bounds):
            parts.append(Part(start, end, lines))
            lines += data[start:end].count(b"\n")
            _let_go(data, start, end)
        return SplitPlan(path, data[: first.start()], data[last_end:], tuple(parts))


def _plain_text(data: mmap.mmap, size: int) -> bool:
    """Markup where `<Client` could be something other than a tag, or where lines are not
    counted by line feeds, makes the split doubtful."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) or head[1:2] == b"\x00":
        return False  # UTF-16/32: a byte pattern would not find the tags
    declared = _DECLARED_ENCODING.match(data[:200].removeprefix(b"\xef\xbb\xbf"))
    if declared and declared[1].decode("ascii").lower() not in _ASCII_COMPATIBLE:
        return False
    for start in range(0, size, SCAN_WINDOW):
        end = min(size, start + SCAN_WINDOW + 1)  # one byte more: two-byte patterns
        if data.find(b"<!", start, end) != -1 or data.find(b"<?", max(1, start), end) != -1:
            return False  # comments, CDATA, DOCTYPE; processing instructions after the first
        if data.find(b"\r", start, end) != -1:
            lone = _LONE_CR.search(data, start, min(size, end + 1))
            if lone is not None and lone.start() < end:
                return False
        _let_go(data, start, end)
    return True


def _let_go(data: mmap.mmap, start: int, end: int) -> None:
    """Drop scanned pages from this process (the file stays in the page cache)."""
    if not hasattr(mmap, "MADV_DONTNEED"):
        return
    start -= start % mmap.PAGESIZE
    if end > start:
        data.madvise(mmap.MADV_DONTNEED, start, end - start)


def _last_client_end(data: mmap.mmap, size: int) -> int | None:
    """Where the last Client ends; it is near the end, so only the tail is searched."""
    ends = list(_CLIENT_END.finditer(data, max(0, size - _TAIL_BYTES)))
    return ends[-1].end() if ends else None


def part_document(plan: SplitPlan, part: Part, body: bytes) -> bytes:
    """A part as a document of its own, its clients on the lines they have in the file."""
    runs, rest = divmod(part.pad, PAD_RUN)
    padding = (b"\n" * PAD_RUN + b"<!---->") * runs + b"\n" * rest
    return b"".join((plan.prefix, padding, body, plan.suffix))


# --------------------------------------------------------------------------- workers


@dataclass
class PartResult:
    """What a worker read from one part: rows to write and what to merge."""

    rows: list[tuple[Any, ...]]
    findings: list[Finding]
    checks: ChecksState
    unmapped: dict[tuple[str, str | None], list[int]]
    counts: SinkCounts


@dataclass
class _Worker:
    config: Config
    pseudonymize: Callable[[str], str]


_WORKER: _Worker | None = None


def _start_worker(config: Config, pseudonymize: Callable[[str], str], parent: int) -> None:
    global _WORKER
    _WORKER = _Worker(config, pseudonymize)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """A worker must not outlive its run: killed with -9, the run leaves no reader behind
    holding its output pipes open (a caller waiting for the end would wait for ever).
    On Linux the kernel sends SIGKILL when the parent dies; elsewhere a thread checks."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0 and os.getppid() == parent:
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="ouder-bewaking").start()


class _RowList:
    """A writer that keeps the rows (a worker sends them to the one writer)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.add = self.rows.append

    def flush(self) -> None:
        """Nothing to do: the rows leave with the part's result."""


def read_part(plan: SplitPlan, part: Part, filename: str, bestand_id: int) -> PartResult:
    """Read one part in a worker: validate, pseudonymise, map, check; return the rows."""
    from monitorbot.ingest.pipeline import FileReport
    from monitorbot.ingest.sources import DeclarationChecks, DeclarationSink, line_from_prestatie

    worker = _WORKER
    assert worker is not None, "read_part runs in a worker started by ReaderPool"
    with plan.path.open("rb") as file:
        file.seek(part.start)
        body = file.read(part.end - part.start)
    document = part_document(plan, part, body)
    findings = FindingCollector(None, None, datetime.now(UTC))
    report = FileReport(naam=filename, status=BestandStatus.INGELEZEN)
    rows = _RowList()
    with xm.parse_message(document, filename=filename, pseudonymize=worker.pseudonymize) as message:
        header = message.header
        checks = DeclarationChecks(filename, header, findings, part=True)
        sink = DeclarationSink(
            rows,  # type: ignore[arg-type]
            bestand_id,
            header.ontvanger,
            header.wet,
            header.afzender,
            worker.config,
            report,
            findings,
        )
        for record in message.records:
            if isinstance(record, xm.DeclaratieHeader):
                checks.declaratie = record
                continue
            checks.prestatie(record)  # type: ignore[arg-type]
            sink.add(line_from_prestatie(record, checks.declaratie))  # type: ignore[arg-type]
    return PartResult(
        rows=rows.rows,
        findings=findings.pending,
        checks=checks.state,
        unmapped=sink.unmapped,
        counts=sink.counts,
    )


#: Files up to this size are read ahead whole by the workers (care-flow messages, small
#: declarations): the ingest process then only writes.
READ_AHEAD_MAX_BYTES = 1 << 20
#: A run of fewer files is read by the ingest process alone: starting workers costs more.
READ_AHEAD_FROM_FILES = 32
#: Files read ahead per worker, at most, and per hand-over to a worker.
READ_AHEAD_PER_WORKER = 32
READ_AHEAD_BATCH = 16


@dataclass
class ReadAhead:
    """A small file read by a worker before its turn: its digests, and the message read
    whole (None for a file that is not XML: a table is read by the ingest process)."""

    sha256: str
    inhoud_sha256: str
    message: xm.ReadMessage | None


@dataclass(frozen=True)
class Reading:
    """Where a file's read-ahead will be: the batch it went in, and its place there."""

    future: Future[list[ReadAhead | None]]
    index: int


def read_ahead(paths: list[Path]) -> list[ReadAhead | None]:
    """In a worker: read each small file once, hash those bytes and read the message;
    None for a file that could not be read here (the ingest process will say why)."""
    return [_read_ahead_one(path) for path in paths]


def _read_ahead_one(path: Path) -> ReadAhead | None:
    from monitorbot.ingest.pipeline import digests_of
    from monitorbot.ingest.sources import looks_like_xml

    worker = _WORKER
    assert worker is not None, "read_ahead runs in a worker started by ReaderPool"
    try:
        data = path.read_bytes()
        sha, inhoud = digests_of(io.BytesIO(data))
        message = None
        if looks_like_xml(data[:4096]):
            message = xm.read_message(data, filename=str(path), pseudonymize=worker.pseudonymize)
    except Exception:  # the ingest process reads it again and reports why
        return None
    return ReadAhead(sha, inhoud, message)


@dataclass
class ReaderPool:
    """Worker processes for one run, forked when the first large file needs them."""

    config: Config
    pseudonymize: Callable[[str], str]
    processes: int
    _executor: ProcessPoolExecutor | None = field(default=None, repr=False)

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(self.config, self.pseudonymize, os.getpid()),
            )
        return self._executor

    def read(self, plan: SplitPlan, filename: str, bestand_id: int) -> Iterator[PartResult]:
        """The parts' results in file order, at most a few parts ahead of the writer.

        Raises SplitDoubt when any part fails (the caller reads the file whole)."""
        pending: deque[Future[PartResult]] = deque()
        parts = iter(plan.parts)
        window = self.processes * AHEAD_PER_WORKER
        try:
            for part in parts:
                pending.append(self._submit(plan, part, filename, bestand_id))
                if len(pending) >= window:
                    break
            while pending:
                result = self._result(pending.popleft())
                following = next(parts, None)
                if following is not None:
                    pending.append(self._submit(plan, following, filename, bestand_id))
                yield result
        finally:
            for future in pending:
                future.cancel()
            for future in pending:
                if not future.cancelled():
                    future.exception()  # wait: no part of this file runs on into the next

    def ahead(self, paths: list[Path]) -> Iterator[tuple[Path, Reading | None]]:
        """Each path with the reading of it already under way where it is small, a few
        files ahead of the caller; a run of few files is not read ahead at all.

        Small files go to the workers in batches: one hand-over per file would cost
        about as much as reading it."""
        small = [_small_file(path) for path in paths]
        if sum(small) < READ_AHEAD_FROM_FILES:
            yield from ((path, None) for path in paths)
            return
        window = self.processes * READ_AHEAD_PER_WORKER
        readings: deque[Reading | None] = deque()
        submitted = 0
        try:
            for index, path in enumerate(paths):
                while submitted < len(paths) and submitted <= index + window:
                    batch = list(
                        itertools.takewhile(
                            lambda i: small[i],
                            range(submitted, min(len(paths), submitted + READ_AHEAD_BATCH)),
                        )
                    )
                    if not batch:
                        readings.append(None)
                        submitted += 1
                        continue
                    future = self._ahead([paths[i] for i in batch])
                    readings.extend(
                        None if future is None else Reading(future, n) for n in range(len(batch))
                    )
                    submitted += len(batch)
                yield path, readings.popleft()
        finally:
            for reading in readings:
                if reading is not None:
                    reading.future.cancel()

    def _ahead(self, paths: list[Path]) -> Future[list[ReadAhead | None]] | None:
        try:
            return self.executor().submit(read_ahead, paths)
        except BrokenProcessPool:
            self.close()
            return None

    def _submit(
        self, plan: SplitPlan, part: Part, filename: str, bestand_id: int
    ) -> Future[PartResult]:
        try:
            return self.executor().submit(read_part, plan, part, filename, bestand_id)
        except BrokenProcessPool:
            self.close()  # a worker died (killed, out of memory): the next file gets new ones
            raise SplitDoubt("een leesproces is weggevallen") from None

    def _result(self, future: Future[PartResult]) -> PartResult:
        try:
            return future.result()
        except RejectedInput as exc:
            raise SplitDoubt(str(exc.problems[0].reason if exc.problems else "")) from None
        except BrokenProcessPool:
            self.close()
            raise SplitDoubt("een leesproces is weggevallen") from None
        except Exception as exc:  # a bug in a part: the whole-file reading decides
            raise SplitDoubt(type(exc).__name__) from None

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def can_fork() -> bool:
    """Workers inherit the pseudonymiser by forking; where a system cannot fork, one
    process reads everything."""
    return "fork" in multiprocessing.get_all_start_methods()


def default_processes() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _small_file(path: Path) -> bool:
    try:
        return (
            path.is_file()
            and path.suffix.lower() != ".zip"
            and (path.stat().st_size <= READ_AHEAD_MAX_BYTES)
        )
    except OSError:
        return False  # the ingest process reports it


def finished(reading: Reading | None) -> ReadAhead | None:
    """A read-ahead's result; None when it failed (the ingest process reads the file)."""
    if reading is None:
        return None
    try:
        return reading.future.result()[reading.index]
    except Exception:  # a worker that died or a bug: reading it here decides
        return None
