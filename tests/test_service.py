"""`monitorbot run`: a dropped file becomes one Slack message; SIGTERM stops cleanly;
a restart sends nothing twice; a missed monthly cycle runs once; two instances never
run the same cycle at once. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from pydantic import SecretStr
from sqlalchemy import Engine, select

from monitorbot.app import App
from monitorbot.config import load_settings
from monitorbot.service import scheduler as scheduler_module
from monitorbot.service.cycle import CycleResult
from monitorbot.service.locks import claimed_run
from monitorbot.service.logs import JsonFormatter
from monitorbot.service.scheduler import JOB_DEFAULTS, JOB_FUNC, Service, job_triggers
from monitorbot.store import db, models
from tests.conftest import only_demodorp
from tests.fakes import FakeSlackApi
from tests.messages import declaration_323

REPO = Path(__file__).resolve().parents[1]
BSN = "999999990"
KEY = "test-pseudonym-key-0123456789"

RULE = """\
regels:
  - naam: niet-ingedeeld
    omschrijving: kosten zonder perceel
    scope: gemeente
    metric: niet_ingedeeld_bedrag
    drempels:
      waarschuwing: "> € 1"
    kanaal: kernteam
    eigenaar: beheer
    actie: percelen aanvullen
"""

SLACK_ONLY = """kanalen:
  kernteam:
    - {type: slack, kanaal: "#kernteam-sociaal-domein"}
  managers:
    - {type: console}
wachttijdnormen:"""


# --------------------------------------------------------------------------- setup


def _prepare_config(config_dir: Path, scan_minutes: float) -> None:
    """Demodorp alone, short scan interval, kernteam only to Slack, and category 41 mapped
    to no perceel."""
    only_demodorp(config_dir)
    main = config_dir / "monitorbot.yaml"
    text = main.read_text(encoding="utf-8")
    main.write_text(
        text.replace("inbox_scan_minuten: 5", f"inbox_scan_minuten: {scan_minutes}"),
        encoding="utf-8",
    )
    gemeente = config_dir / "gemeenten" / "9999-demodorp.yaml"
    text = gemeente.read_text(encoding="utf-8")
    start, end = text.index("kanalen:"), text.index("wachttijdnormen:")
    gemeente.write_text(text[:start] + SLACK_ONLY + text[end + len("wachttijdnormen:") :])
    percelen = config_dir / "percelen.yaml"
    percelen.write_text(
        percelen.read_text(encoding="utf-8").replace(
            '"31", "32", "33", "34", "40", "41", "42", "45", "50"',
            '"31", "32", "33", "34", "40", "42", "45", "50"',
        ),
        encoding="utf-8",
    )


def _alerts(tmp_path: Path) -> Path:
    folder = tmp_path / "alerts"
    folder.mkdir()
    (folder / "regels.yaml").write_text(RULE, encoding="utf-8")
    return folder


def _declaration(ident: str, categorie: str, code: str, today: date | None = None) -> bytes:
    """One line in January of this year, declared today: inside `niet_ingedeeld_bedrag`."""
    today = today or date.today()
    return declaration_323(
        ident=ident,
        dagtekening=today,
        prestaties=[
            dict(
                bsn=BSN,
                ref=f"R-{ident}",
                categorie=categorie,
                code=code,
                begin=date(today.year, 1, 1),
                end=date(today.year, 1, 31),
                volume=2,
                tarief=10000,
            )
        ],
    )


def _drop(inbox: Path, name: str, content: bytes) -> None:
    """Write next to the inbox, then rename: how a provider's upload should arrive."""
    inbox.mkdir(parents=True, exist_ok=True)
    partial = inbox.parent / f".{name}.part"
    partial.write_bytes(content)
    partial.rename(inbox / name)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll a running subprocess's effect (the only place these tests wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _jobruns(engine: Engine, job: str) -> list[models.JobRun]:
    with db.transaction(engine) as session:
        return list(
            session.scalars(
                select(models.JobRun).where(models.JobRun.job == job).order_by(models.JobRun.id)
            )
        )


# --------------------------------------------------------------------------- subprocess


class Running:
    """`monitorbot run` as a subprocess; stdout/stderr go to files (a full pipe would block)."""

    def __init__(self, env: dict[str, str], folder: Path, label: str) -> None:
        self.out = folder / f"{label}.out"
        self.err = folder / f"{label}.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitorbot.cli.app", "run"],
                env=env,
                cwd=folder,
                stdout=out,
                stderr=err,
            )

    def port(self) -> int:
        found: list[int] = []

        def printed() -> bool:
            for line in self.out.read_text(encoding="utf-8").splitlines():
                if "(poort " in line:
                    found.append(int(line.rsplit("(poort ", 1)[1].rstrip(")")))
                    return True
            self._check_alive()
            return False

        _wait_for(printed, "the metrics port")
        return found[0]

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(
                f"service exited with {self.process.returncode}:\n"
                + self.err.read_text(encoding="utf-8")[-3000:]
            )

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def service_env(database_url, config_dir, tmp_path) -> Iterator[tuple[dict[str, str], Path]]:
    _prepare_config(config_dir, scan_minutes=0.02)  # a scan every 1.2 s
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITORBOT_")}
    env.update(
        {
            "MONITORBOT_DATABASE_URL": database_url,
            "MONITORBOT_CONFIG_DIR": str(config_dir),
            "MONITORBOT_DATA_DIR": str(data),
            "MONITORBOT_ALERTS_DIR": str(_alerts(tmp_path)),
            "MONITORBOT_FORECASTS_DIR": str(REPO / "forecasts"),
            "MONITORBOT_PSEUDONYM_KEY": KEY,
            "MONITORBOT_METRICS_PORT": "0",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(REPO),
        }
    )
    yield env, data


@pytest.mark.slow
def test_run_turns_a_dropped_file_into_one_message_and_stops_cleanly(engine, service_env):
    env, data = service_env
    inbox = data / "inbox"
    with FakeSlackApi() as slack:
        env = {
            **env,
            "MONITORBOT_SLACK_TOKEN": slack.token,
            "MONITORBOT_SLACK_API_URL": slack.base_url,
        }
        first = Running(env, data.parent, "first")
        try:
            port = first.port()
            _wait_for(lambda: _get(port, "/healthz")[0] == 200, "healthz (scheduler started)")
            _drop(inbox, "declaratie-41.xml", _declaration("BER-0001", "41", "41A01"))
            _wait_for(lambda: len(slack.posted()) >= 1, "the Slack message")
            _wait_for(lambda: len(_jobruns(engine, "evaluatie")) == 1, "the evaluation run")
            expected = [
                'monitorbot_regels_ingelezen_total{gemeente="9999"} 1.0',
                'monitorbot_alerts{gemeente="9999",status="firing"} 1.0',
                'monitorbot_job_duur_seconden_count{job="inbox"}',
            ]
            # the job's duration is observed when the scan (with its evaluation) returns
            _wait_for(
                lambda: all(line in _get(port, "/metrics")[1] for line in expected), "metrics"
            )
            assert first.stop() == 0
        finally:
            first.kill()
        assert not list(inbox.iterdir())
        assert [p.name for p in (data / "archief").rglob("*.xml")] == ["declaratie-41.xml"]
        assert "percelen aanvullen" in json.dumps(slack.posted()[0], ensure_ascii=False)
        _assert_json_logs_without_personal_data(first.err)

        # A restart with one more (mapped) file: one more scan and evaluation, no repeat.
        second = Running(env, data.parent, "second")
        try:
            second.port()
            _drop(inbox, "declaratie-45.xml", _declaration("BER-0002", "45", "45A01"))
            _wait_for(lambda: len(_jobruns(engine, "evaluatie")) == 2, "the second evaluation")
            assert second.stop() == 0
        finally:
            second.kill()
        assert len(slack.posted()) == 1
        assert not slack.replies  # nothing was posted twice, not even in a thread
    runs = _jobruns(engine, "evaluatie") + _jobruns(engine, "inbox")
    assert {r.status for r in runs} == {"geslaagd"}, [(r.job, r.status, r.fout) for r in runs]
    assert all(r.geeindigd_op is not None for r in runs)


def test_run_once_scans_the_inbox_and_exits(engine, service_env):
    env, data = service_env
    _drop(data / "inbox", "d1.xml", _declaration("BER-0001", "41", "41A01"))
    with FakeSlackApi() as slack:
        env = {
            **env,
            "MONITORBOT_SLACK_TOKEN": slack.token,
            "MONITORBOT_SLACK_API_URL": slack.base_url,
        }
        settled = time.time() - 5  # older than the settle time, without waiting for it
        os.utime(data / "inbox" / "d1.xml", (settled, settled))
        done = subprocess.run(
            [sys.executable, "-m", "monitorbot.cli.app", "run", "--eenmalig"],
            env=env,
            cwd=data.parent,
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        assert len(slack.posted()) == 1
    assert [p.name for p in (data / "archief").rglob("*.xml")] == ["d1.xml"]


def _assert_json_logs_without_personal_data(stderr: Path) -> None:
    lines = [line for line in stderr.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(e["bericht"] == "bestand verwerkt" for e in entries)
    assert any(e["bericht"] == "stopverzoek ontvangen" for e in entries)
    assert BSN not in "\n".join(lines) and KEY not in "\n".join(lines)


# --------------------------------------------------------------------------- in process

FROZEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def frozen() -> datetime:
    return FROZEN


@pytest.fixture
def runtime(engine, config_dir, tmp_path) -> App:
    _prepare_config(config_dir, scan_minutes=5)
    settings = load_settings(
        config_dir=config_dir,
        data_dir=tmp_path / "data",
        alerts_dir=_alerts(tmp_path),
        forecasts_dir=REPO / "forecasts",
        pseudonym_key=KEY,
        database_url=engine.url.render_as_string(hide_password=False),
    )
    return App(settings, _engine=engine)


@pytest.fixture
def cycles(monkeypatch) -> list[tuple[str, datetime, bool]]:
    """Record evaluate_and_notify calls instead of evaluating (this test is about scheduling)."""
    calls: list[tuple[str, datetime, bool]] = []

    def fake(engine, config, settings, spec, rules, gemeente, *, now, digest=False, **_: Any):
        calls.append((gemeente, now, digest))
        return CycleResult(evaluation=None, queued=0)  # type: ignore[arg-type]

    monkeypatch.setattr(scheduler_module, "evaluate_and_notify", fake)
    return calls


def test_missed_monthly_cycle_runs_once_after_downtime(runtime, cycles, engine):
    # The service ran in May and stopped; the stored job still points at 10 June.
    triggers = job_triggers(runtime.config.deployment)
    before = Service(runtime, clock=frozen)
    scheduler = before.build_scheduler()
    scheduler.start(paused=True)
    scheduler.add_job(
        JOB_FUNC,
        triggers["maandcyclus"],
        args=["maandcyclus"],
        id="maandcyclus",
        next_run_time=datetime(2026, 6, 10, 7, 0, tzinfo=ZoneInfo("Europe/Amsterdam")),
        **JOB_DEFAULTS,
    )
    scheduler.shutdown(wait=False)

    # Back in November: six fire times were missed; the cycle runs once.
    service = Service(runtime, clock=frozen)
    executed = threading.Event()
    scheduler = service.build_scheduler()
    service.build_scheduler = lambda: scheduler  # type: ignore[method-assign]
    scheduler.add_listener(
        lambda event: executed.set() if event.job_id == "maandcyclus" else None,
        EVENT_JOB_EXECUTED | EVENT_JOB_ERROR,
    )
    service.start()
    try:
        assert executed.wait(timeout=30), "the missed monthly cycle did not run"
        next_run = scheduler.get_job("maandcyclus").next_run_time
        assert next_run > datetime.now(UTC)  # coalesced: nothing else is due
    finally:
        service.shutdown()
    assert cycles == [("9999", FROZEN, True)]  # monthly digest goes along
    [run] = _jobruns(engine, "maandcyclus")
    assert run.status == "geslaagd" and run.statistiek["peilmaand"] == "2026-10-01"

    # A second instance (or a restart) in the same month does not repeat it.
    assert Service(runtime, clock=frozen).monthly_cycle() == []
    assert len(cycles) == 1
    assert _jobruns(engine, "maandcyclus")[-1].status == "overgeslagen"


def test_two_instances_never_run_the_cycle_at_once(runtime, cycles, engine):
    other = Service(runtime, clock=frozen)
    with claimed_run(engine, "evaluatie", "9999", clock=frozen) as held:
        assert held is not None  # instance A is evaluating 9999 after an inbox scan
        assert other.monthly_cycle() == []  # instance B skips: same lock group
    assert cycles == []
    assert other.monthly_cycle() == ["9999"]  # once A is done, B runs it
    assert len(cycles) == 1


def test_concurrent_claims_admit_exactly_one(engine):
    barrier = threading.Barrier(4)
    results: list[bool] = []
    release = threading.Event()

    def claim() -> None:
        barrier.wait()
        with claimed_run(engine, "maandcyclus", "9999", clock=frozen) as run:
            results.append(run is not None)
            if run is not None:
                release.wait(timeout=10)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    _wait_for(lambda: len(results) >= 3, "the losing claims", timeout=30)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, False, False, True]


def test_json_log_lines_carry_extra_fields_and_only_the_exception_type():
    import logging

    record = logging.makeLogRecord(
        {"name": "monitorbot.service", "levelname": "INFO", "msg": "klaar", "gemeente": "9999"}
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["bericht"] == "klaar" and entry["gemeente"] == "9999"
    try:
        raise ValueError(f"BSN {BSN} ongeldig")
    except ValueError:
        record = logging.makeLogRecord({"msg": "mislukt", "exc_info": sys.exc_info()})
    line = JsonFormatter().format(record)
    assert json.loads(line)["fout"] == "ValueError" and BSN not in line


def test_stop_request_finishes_the_current_file_and_leaves_the_rest(runtime, cycles, engine):
    service = Service(runtime, clock=frozen, settle_seconds=0)
    inbox = runtime.data_path(runtime.config.deployment.inbox)
    for n, categorie in enumerate(("41", "45", "42"), start=1):
        _drop(
            inbox,
            f"d{n}.xml",
            _declaration(f"BER-000{n}", categorie, f"{categorie}A01", FROZEN.date()),
        )
    checks = iter([False])  # the first check passes, then SIGTERM "arrives"
    service.stop_requested = lambda: next(checks, True)  # type: ignore[method-assign]
    first = service.scan_inbox()
    assert (first.bestanden, first.gemeenten) == (1, ["9999"])
    assert sorted(p.name for p in inbox.iterdir()) == ["d2.xml", "d3.xml"]
    assert cycles == []  # stopping: the evaluation waits for the next start
    with db.transaction(engine) as session:
        assert session.scalar(select(models.Bronbestand.bestandsnaam)).endswith("d1.xml")

    restarted = Service(runtime, clock=frozen, settle_seconds=0)
    second = restarted.scan_inbox()
    assert second.bestanden == 2 and not list(inbox.iterdir())
    assert [c[0] for c in cycles] == ["9999"]
    assert {r.status for r in _jobruns(engine, "inbox")} == {"geslaagd"}


def test_housekeeping_prunes_old_runs_and_closes_runs_of_crashed_processes(runtime, engine):
    with db.transaction(engine) as session:
        session.add_all(
            [
                models.JobRun(
                    job="inbox",
                    gestart_op=datetime(2025, 1, 1, tzinfo=UTC),
                    status="geslaagd",
                    statistiek={},
                ),
                models.JobRun(
                    job="inbox",
                    gestart_op=datetime(2026, 11, 20, tzinfo=UTC),
                    status="bezig",
                    statistiek={},
                ),
                models.JobRun(
                    job="inbox",
                    gestart_op=datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
                    status="bezig",
                    statistiek={},
                ),
            ]
        )
    Service(runtime, clock=frozen).housekeeping()
    runs = _jobruns(engine, "inbox")
    assert [r.status for r in runs] == ["afgebroken", "bezig"]  # the 2025 run is gone
    [own] = _jobruns(engine, "onderhoud")
    assert own.statistiek["verwijderd"] == 1 and own.statistiek["afgebroken"] == 1


def test_monthly_cycle_for_real_sends_the_kernteam_message_and_queues_the_digest(
    runtime, engine, capsys
):
    with FakeSlackApi() as slack:
        runtime.settings.slack_token = SecretStr(slack.token)
        runtime.settings.slack_api_url = slack.base_url
        service = Service(runtime, clock=frozen, settle_seconds=0)
        inbox = runtime.data_path(runtime.config.deployment.inbox)
        _drop(inbox, "d1.xml", _declaration("BER-0001", "41", "41A01", FROZEN.date()))
        service._ingest(service.inbox_files())
        assert service.monthly_cycle() == ["9999"]
        assert len(slack.posted()) == 1
    [run] = _jobruns(engine, "maandcyclus")
    assert run.status == "geslaagd" and run.statistiek["klaargezet"] == 2  # alerts + digest
    assert "Demodorp" in capsys.readouterr().out  # the digest, on the console channel


def test_sqlite_busy_is_retried_and_other_errors_are_not(engine):
    from sqlalchemy.exc import OperationalError

    from monitorbot.service.locks import retry_when_busy

    calls: list[int] = []

    def busy_twice() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("UPDATE ...", {}, Exception("database is locked"))
        return "klaar"

    if db.is_postgresql(engine):  # PostgreSQL has no such error: never retried
        with pytest.raises(OperationalError):
            retry_when_busy(engine, busy_twice)
        assert len(calls) == 1
    else:
        waits: list[float] = []
        assert retry_when_busy(engine, busy_twice, pause=waits.append) == "klaar"
        assert len(calls) == 3 and waits == [0.2, 0.4]
    with pytest.raises(OperationalError):
        retry_when_busy(
            engine,
            lambda: (_ for _ in ()).throw(OperationalError("x", {}, Exception("disk I/O error"))),
        )


def test_an_evaluation_cut_short_by_a_stop_runs_after_the_restart(runtime, cycles, engine):
    service = Service(runtime, clock=frozen, settle_seconds=0)
    inbox = runtime.data_path(runtime.config.deployment.inbox)
    _drop(inbox, "d1.xml", _declaration("BER-0001", "41", "41A01", FROZEN.date()))
    checks = iter([False])  # the file is ingested, then SIGTERM comes before the evaluation
    service.stop_requested = lambda: next(checks, True)  # type: ignore[method-assign]
    assert service.scan_inbox().gemeenten == ["9999"]
    assert cycles == [] and not list(inbox.iterdir())

    restarted = Service(runtime, clock=frozen, settle_seconds=0)
    assert restarted.scan_inbox().bestanden == 0  # an empty inbox, but the first scan ...
    assert [c[0] for c in cycles] == ["9999"]  # ... evaluates what was left
    restarted.scan_inbox()
    Service(runtime, clock=frozen, settle_seconds=0).scan_inbox()
    assert len(cycles) == 1  # once evaluated, nothing is pending any more


def test_a_hostile_file_in_the_inbox_is_no_poison_pill(engine, service_env):
    """An encrypted zip and a damaged one beside a valid declaration: one scan stores the
    declaration and quarantines both archives, so the next scan finds the inbox empty."""
    import zipfile

    env, data = service_env
    inbox = data / "inbox"
    _drop(inbox, "d1.xml", _declaration("BER-0001", "41", "41A01"))
    with zipfile.ZipFile(inbox / "geheim.zip", "w") as archive:
        archive.writestr("x.xml", _declaration("BER-0002", "41", "41A01"))
    raw = bytearray((inbox / "geheim.zip").read_bytes())
    raw[6] |= 1  # the local header's "encrypted" flag ...
    raw[raw.rindex(b"PK\x01\x02") + 8] |= 1  # ... and the directory entry's
    (inbox / "geheim.zip").write_bytes(bytes(raw))
    (inbox / "kapot.zip").write_bytes(b"PK\x03\x04" + b"\0" * 200 + b"PK\x05\x06" + b"\0" * 18)
    settled = time.time() - 5
    for path in inbox.iterdir():
        os.utime(path, (settled, settled))
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "monitorbot.cli.app", "run", "--eenmalig"],
            env=env,
            cwd=data.parent,
            capture_output=True,
            timeout=120,
        )
        assert done.returncode in (0, 1), done.stderr.decode()[-3000:]
        assert b"Traceback" not in done.stderr
    assert not list(inbox.iterdir())
    assert [p.name for p in (data / "archief").rglob("*.xml")] == ["d1.xml"]
    quarantined = sorted(p.name for p in (data / "quarantaine").iterdir())
    assert "geheim.zip" in quarantined and "kapot.zip" in quarantined


def test_run_serves_the_console_when_configured(engine, service_env, config_dir):
    env, data = service_env
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        console_port = probe.getsockname()[1]
    main = config_dir / "monitorbot.yaml"
    text = main.read_text(encoding="utf-8")
    main.write_text(
        text.replace("console_poort: null", f"console_poort: {console_port}"), encoding="utf-8"
    )
    running = Running(env, data.parent, "console")
    try:
        running.port()
        _wait_for(lambda: "console op" in running.out.read_text(encoding="utf-8"), "the console")
        page = _get(console_port, "/login")[1]
        assert "<h1>Inloggen</h1>" in page
        assert _get(console_port, "/gemeente/9999")[1].count("Inloggen") >= 1  # redirected
        assert running.stop() == 0
    finally:
        running.kill()
    assert f"console op http://127.0.0.1:{console_port}/" in running.out.read_text(encoding="utf-8")
