"""Ingest throughput and peak memory, in-process and as a whole `monitorbot ingest` process.

Usage:  python bench/ingest_bench.py [--lines 1000000] [--small-files 2000] [--postgres URL]

The reference is a bare streaming `lxml.etree.iterparse` pass over the same XML
file (every element's end event, clearing as it goes; no validation, no records,
no database), timed in the same run; every XML figure is printed with its ratio
to that pass. Each case runs in a fresh child process, so its peak memory is its
own: the peak of the largest single process (the writer or one of its readers).

Cases, and the choice each shows the effect of:

* XML → SQLite / PostgreSQL, in-process and whole process (`monitorbot ingest`):
  the finished pipeline (large declarations read in parts on every core, rows
  written by one process, reporting indexes built after a first load).
* XML → SQLite, one process: the same with `invoer.processen: 1`, so the effect
  of reading in parts is the ratio of the two.
* XML → SQLite, database not empty: a first load builds the reporting indexes
  once after its rows; a later load updates them row by row.
* CSV → PostgreSQL: a backoffice export (read in one process).
* Small files: many small declarations, files per second (one process; the
  per-file work is hashing, a savepoint and the file's own rows).

Figures go in the issue notes, not in unit tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_KEY = "bench-sleutel-niet-voor-productie"


def _peak_mb() -> float:
    """The largest single process so far: this one or a finished child (a reader)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def case_bare(path: Path) -> dict:
    """A bare streaming pass: iterparse, clearing each element (bounded memory), nothing else."""
    from lxml import etree

    started = time.perf_counter()
    events = 0
    for _event, element in etree.iterparse(str(path), events=("end",)):
        element.clear()
        events += 1
    return {"seconds": time.perf_counter() - started, "events": events}


class _Database:
    """A fresh database for one case: a SQLite file, or a schema of its own on PostgreSQL."""

    def __init__(self, url: str, folder: Path):
        from sqlalchemy import create_engine, text

        self.schema = None
        self.url = url
        if url.startswith("postgresql"):
            self.schema = f"bench_{uuid.uuid4().hex[:8]}"
            self.admin = create_engine(url)
            with self.admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            self.url = f"{url}?options=-csearch_path%3D{self.schema}"
        else:
            self.url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"

    def drop(self) -> None:
        from sqlalchemy import text

        if self.schema:
            with self.admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self.admin.dispose()


def _ingestor(url: str, processes: int | None):  # type: ignore[no-untyped-def]
    from monitorbot.config import load_config
    from monitorbot.core.privacy import Pseudonymizer
    from monitorbot.ingest.pipeline import Ingestor
    from monitorbot.store import db

    engine = db.make_engine(url)
    db.upgrade(engine)
    config = load_config(REPO / "config")
    if processes is not None:
        deployment = config.deployment
        limits = deployment.invoer.model_copy(update={"processen": processes})
        config = dataclasses.replace(
            config, deployment=deployment.model_copy(update={"invoer": limits})
        )
    pseudonymizer = Pseudonymizer(BENCH_KEY.encode())
    return engine, Ingestor(engine, config, pseudonymize=pseudonymizer)


def case_ingest(paths: list[Path], url: str, processes: int | None, seed: Path | None) -> dict:
    """The pipeline in this process; `seed` is loaded first (a database that is not empty)."""
    engine, ingestor = _ingestor(url, processes)
    try:
        if seed is not None:
            ingestor.run([seed])
        started = time.perf_counter()
        report = ingestor.run(paths)
        seconds = time.perf_counter() - started
        assert report.geweigerd == 0, report.as_dict()["bestanden"][0]["problemen"]
        return {"seconds": seconds, "lines": report.regels, "files": len(report.bestanden)}
    finally:
        engine.dispose()


def case_command(paths: list[Path], url: str) -> dict:
    """`monitorbot ingest` as a whole process: start-up, config, hashing, everything."""
    from monitorbot.store import db

    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    env = {
        **os.environ,
        "MONITORBOT_DATABASE_URL": url,
        "MONITORBOT_PSEUDONYM_KEY": BENCH_KEY,
        "MONITORBOT_CONFIG_DIR": str(REPO / "config"),
    }
    with tempfile.TemporaryDirectory(prefix="monitorbot-bench-data-") as data:
        env["MONITORBOT_DATA_DIR"] = data
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "monitorbot.cli.app", "ingest", "--quiet", "--json"]
            + [str(path) for path in paths],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"monitorbot ingest faalde:\n{completed.stdout}\n{completed.stderr}")
    totals = json.loads(completed.stdout)["totaal"]
    return {"seconds": seconds, "lines": totals["regels"], "files": totals.get("bestanden", 0)}


def run_child(args: list[str]) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(spec: list) -> None:
    kind, paths, url, processes, seed = spec
    files = [Path(p) for p in paths]
    if kind == "bare":
        result = case_bare(files[0])
    else:
        database = _Database(url, files[0].parent)
        try:
            if kind == "command":
                result = case_command(files, database.url)
            else:
                result = case_ingest(files, database.url, processes, seed and Path(seed))
        finally:
            database.drop()
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def _line(label: str, result: dict, bare: dict | None, unit: str = "regels") -> str:
    count = result["lines"] if unit == "regels" else result["files"]
    ratio = f"  {result['seconds'] / bare['seconds']:4.2f}× kale iterparse" if bare else ""
    return (
        f"{label:44s} {result['seconds']:7.1f} s {count / result['seconds']:>10,.0f} {unit}/s"
        f"  piek {result['peak_mb']:5.0f} MB{ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--small-files", type=int, default=2_000)
    parser.add_argument(
        "--postgres", default=os.environ.get("MONITORBOT_TEST_POSTGRES_URL", DEFAULT_PG)
    )
    parser.add_argument("--child")
    options = parser.parse_args()
    if options.child:
        child(json.loads(options.child))
        return

    from monitorbot.demo.bulk import write_large_declaration, write_large_export

    workdir = Path(tempfile.mkdtemp(prefix="monitorbot-bench-"))
    try:
        xml, csv, seed = workdir / "declaratie.xml", workdir / "export.csv", workdir / "eerder.xml"
        small = workdir / "klein"
        small.mkdir()
        started = time.perf_counter()
        write_large_declaration(xml, options.lines)
        write_large_export(csv, options.lines)
        write_large_declaration(seed, 10, ident="EERDER")
        for number in range(options.small_files):
            write_large_declaration(small / f"d{number}.xml", 5, ident=f"K{number}")
        print(
            f"Invoer: {options.lines:,} regels; XML {xml.stat().st_size / 1e6:.0f} MB, "
            f"CSV {csv.stat().st_size / 1e6:.0f} MB; {options.small_files:,} kleine "
            f"declaraties van 5 regels ({time.perf_counter() - started:.1f} s); "
            f"{os.cpu_count()} kernen"
        )
        bare = run_child(["bare", [str(xml)], None, None, None])
        bare["lines"] = options.lines
        print(_line("kale lxml.iterparse over de XML", bare, None))
        sqlite, pg = "sqlite", options.postgres
        cases = [
            ("XML → SQLite", "ingest", [xml], sqlite, None, None),
            ("XML → SQLite, monitorbot ingest (proces)", "command", [xml], sqlite, None, None),
            ("XML → SQLite, één proces leest", "ingest", [xml], sqlite, 1, None),
            ("XML → SQLite, database niet leeg", "ingest", [xml], sqlite, None, seed),
            ("XML → PostgreSQL", "ingest", [xml], pg, None, None),
            ("XML → PostgreSQL, monitorbot ingest (proces)", "command", [xml], pg, None, None),
            ("CSV → PostgreSQL", "ingest", [csv], pg, None, None),
            ("CSV → PostgreSQL, monitorbot ingest (proces)", "command", [csv], pg, None, None),
        ]
        for label, kind, paths, url, processes, seeded in cases:
            result = run_child(
                [kind, [str(p) for p in paths], url, processes, seeded and str(seeded)]
            )
            print(_line(label, result, bare if paths[0] == xml else None))
        small_result = run_child(["ingest", [str(small)], sqlite, None, None])
        print(_line("kleine bestanden → SQLite", small_result, None, unit="bestanden"))
        small_result = run_child(["ingest", [str(small)], pg, None, None])
        print(_line("kleine bestanden → PostgreSQL", small_result, None, unit="bestanden"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
