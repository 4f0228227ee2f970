"""Rule trials as background jobs: a replay over many months takes a minute, a page must not.

The console starts a trial and shows its progress; the replay itself is given
to it (`Replay`, built where the forecasts live), so the console never computes
a figure of its own. One trial runs at a time on a worker thread (this is a
small machine and a replay uses a whole core); the others wait their turn.
Finished trials are kept for a while so the controller can read and save them.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from monitorbot.evaluate.outcome import Trial
from monitorbot.evaluate.rule_edit import RuleChange
from monitorbot.evaluate.rules import Rule

log = logging.getLogger(__name__)

#: (gemeente, current rule, changed rule, months, progress callback) → the trial.
Replay = Callable[[str, Rule, Rule, list[date], Callable[[int], None]], Trial]
KEPT = 50  # finished trials kept in memory (unfinished ones are never dropped)


class TrialStopped(Exception):
    """The console is stopping: a running replay ends at its next month."""


class TrialState(StrEnum):
    WAITING = "wacht"
    RUNNING = "loopt"
    DONE = "klaar"
    FAILED = "mislukt"


@dataclass
class TrialJob:
    """One trial: which rule of which gemeente, the change tried, and how far it is."""

    id: str
    gemeente: str
    regel: str
    door: str
    change: RuleChange
    current: Rule
    changed: Rule
    months: list[date]
    started: datetime
    state: TrialState = TrialState.WAITING
    done: int = 0
    result: Trial | None = None
    error: str | None = None


class TrialJobs:
    """The console's trials: started here, replayed on one worker thread."""

    def __init__(self, replay: Replay):
        self._replay = replay
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regelproef")
        self._jobs: OrderedDict[str, TrialJob] = OrderedDict()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(
        self,
        *,
        gemeente: str,
        door: str,
        change: RuleChange,
        current: Rule,
        changed: Rule,
        months: list[date],
        now: datetime,
    ) -> TrialJob:
        job = TrialJob(
            secrets.token_urlsafe(12), gemeente, current.naam, door, change, current, changed,
            months, now,
        )  # fmt: skip
        with self._lock:
            self._jobs[job.id] = job
            finished = [
                key
                for key, kept in self._jobs.items()
                if kept.state in (TrialState.DONE, TrialState.FAILED)
            ]
            for key in finished[: max(0, len(self._jobs) - KEPT)]:
                del self._jobs[key]
        self._pool.submit(self._run, job)
        return job

    def waiting_for(self, door: str) -> bool:
        """Whether this user has a trial waiting or running: one at a time each, so nobody
        fills the queue (the console refuses a second)."""
        with self._lock:
            return any(
                job.door == door and job.state in (TrialState.WAITING, TrialState.RUNNING)
                for job in self._jobs.values()
            )

    def get(self, gemeente: str, job_id: str) -> TrialJob | None:
        """A trial of this gemeente (another gemeente's trial is as good as absent)."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.gemeente == gemeente else None

    def of_rule(self, gemeente: str, regel: str) -> list[TrialJob]:
        """This rule's trials in this gemeente, newest first."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [j for j in reversed(jobs) if j.gemeente == gemeente and j.regel == regel]

    def _run(self, job: TrialJob) -> None:
        def progress(done: int) -> None:
            job.done = done
            if self._stopping.is_set():
                raise TrialStopped

        if self._stopping.is_set():
            return
        job.state = TrialState.RUNNING
        try:
            job.result = self._replay(job.gemeente, job.current, job.changed, job.months, progress)
            job.state = TrialState.DONE
        except TrialStopped:
            job.error = "console gestopt"
            job.state = TrialState.FAILED
        except Exception:  # the page says it failed; the log has the trace
            log.exception("regelproef %s (%s) mislukt", job.regel, job.gemeente)
            job.error = "onverwachte fout bij het herhalen"
            job.state = TrialState.FAILED

    def shutdown(self) -> None:
        """Stop with the console: waiting trials are dropped, a running one ends after its
        current month instead of keeping the process alive for a minute."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
