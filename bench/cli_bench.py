"""Start-up time of the command line, as whole processes, against the bare interpreter.

Usage:  python bench/cli_bench.py [--runs 7]

A controller runs `config check` after every edit and an operator's cron job
ingests one file at a time: each pays the command line's start-up before any
work. This script times, each as a fresh process:

* `python -c pass` — the reference: the interpreter alone, measured in the same run;
* `monitorbot --help` (target < 0,5 s);
* `monitorbot config check` on the repository's configuration (target < 1 s);
* `monitorbot ingest` of one small 323 file (20 lines) into an existing SQLite
  database, a new file each run (target < 1,5 s).

It prints minimum, median and maximum per command and the median's ratio to the
reference. Figures go in the issue notes, never in unit tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The installed console script, as a user runs it (`python -m` where it is not installed).
_SCRIPT = Path(sys.executable).with_name("monitorbot")
MONITORBOT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "monitorbot.cli.app"]
TARGETS = {"monitorbot --help": 0.5, "monitorbot config check": 1.0, "monitorbot ingest": 1.5}


def timed(command: list[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one process; a failing command stops the bench."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr}{done.stdout}")
    return seconds


def series(runs: int, make_command: Callable[[int], list[str]], env: dict[str, str]) -> list[float]:
    timed(make_command(-1), env)  # warm the file cache once; not counted
    return [timed(make_command(run), env) for run in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()

    from monitorbot.demo.bulk import write_large_declaration

    workdir = Path(tempfile.mkdtemp(prefix="monitorbot-clibench-"))
    try:
        env = os.environ | {
            "MONITORBOT_DATA_DIR": str(workdir / "data"),
            "MONITORBOT_CONFIG_DIR": str(REPO / "config"),
            "MONITORBOT_PSEUDONYM_KEY": "bench-sleutel-alleen-voor-deze-meting",
        }
        env.pop("MONITORBOT_DATABASE_URL", None)
        files = workdir / "in"
        files.mkdir()
        for run in range(-2, options.runs):
            write_large_declaration(files / f"jw323-{run + 2}.xml", 20, ident=f"CLIBENCH{run + 2}")
        # The database exists already, as for a cron job: create it with the first file.
        timed([*MONITORBOT, "ingest", "--quiet", str(files / "jw323-0.xml")], env)

        cases: list[tuple[str, Callable[[int], list[str]]]] = [
            ("python -c pass", lambda run: [sys.executable, "-c", "pass"]),
            ("monitorbot --help", lambda run: [*MONITORBOT, "--help"]),
            ("monitorbot config check", lambda run: [*MONITORBOT, "config", "check"]),
            (
                "monitorbot ingest",
                lambda run: [*MONITORBOT, "ingest", "--quiet", str(files / f"jw323-{run + 2}.xml")],
            ),
        ]
        print(f"Opstarttijd van de commandoregel, {options.runs} runs per commando (hele proces)")
        print(f"{'commando':28s} {'min':>7} {'mediaan':>8} {'max':>7} {'× python':>9} {'doel':>8}")
        reference = None
        for label, make_command in cases:
            seconds = series(options.runs, make_command, env)
            median = statistics.median(seconds)
            reference = reference or median
            target = TARGETS.get(label)
            verdict = (
                ""
                if target is None
                else f"< {target:.1f} s " + ("ja" if median < target else "NEE")
            )
            print(
                f"{label:28s} {min(seconds):7.3f} {median:8.3f} {max(seconds):7.3f} "
                f"{median / reference:9.1f} {verdict:>8}"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
