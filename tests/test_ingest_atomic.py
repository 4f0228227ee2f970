"""Killing the process mid-file leaves no partial rows; the next run ingests the file whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitorbot.demo.bulk import write_large_declaration
from monitorbot.store import db, models

LINES = 300_000


def _run(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "monitorbot.cli.app", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _counts(engine) -> tuple[int, int, list[str]]:
    with db.transaction(engine) as session:
        lines = session.execute(select(func.count()).select_from(models.Declaratieregel)).scalar()
        files = session.execute(select(func.count()).select_from(models.Bronbestand)).scalar()
        runs = list(session.execute(select(models.JobRun.status)).scalars())
    return lines, files, runs


@pytest.mark.slow
def test_kill_mid_file_leaves_nothing_and_a_rerun_is_complete(
    engine, database_url, config_dir, tmp_path
):
    big = tmp_path / "groot.xml"
    write_large_declaration(big, LINES)
    env = {
        **os.environ,
        "MONITORBOT_DATABASE_URL": database_url,
        "MONITORBOT_PSEUDONYM_KEY": "kill-test-key-long-enough",
        "PYTHONPATH": str(Path.cwd()),
    }
    args = [
        "--config-dir",
        str(config_dir),
        "--data-dir",
        str(tmp_path / "data"),
        "ingest",
        "--quiet",
        str(big),
    ]

    process = _run(args, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "bezig" not in _counts(engine)[2]:
        time.sleep(0.05)  # wait until the run is recorded, i.e. the file is being read
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the ingest ended before it could be killed"
    # Its reader processes die with it: none holds the database connection it inherited.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _processes_reading(big):
        time.sleep(0.1)
    assert not _processes_reading(big)
    lines, files, runs = _counts(engine)
    assert (lines, files) == (0, 0)
    assert runs == ["bezig"]  # the killed run never finished

    rerun = _run(args, env)
    output, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, output.decode()
    lines, files, _ = _counts(engine)
    assert (lines, files) == (LINES, 1)


def _processes_reading(path: Path) -> list[int]:
    """Processes whose command line names `path` (the run and its forked readers)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(path).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found
