"""Ingest throughput and peak memory: XML → SQLite, XML → PostgreSQL, CSV → PostgreSQL.

Usage:  python bench/ingest_bench.py [--lines 1000000] [--postgres URL]

Each case runs in a fresh child process, so its peak RSS is its own. The
baseline is a bare streaming `lxml.etree.iterparse` pass over the same XML file
(clearing elements as it goes; no validation, no records, no database); the
script prints the ratio of our full ingest time to that pass. Figures go in the
issue notes, not in unit tests.
"""

from __future__ import annotations

import argparse
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


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def case_bare(path: Path) -> dict:
    """A bare streaming pass: iterparse, clearing each element (bounded memory), nothing else."""
    from lxml import etree

    started = time.perf_counter()
    events = 0
    for _event, element in etree.iterparse(str(path), events=("end",)):
        element.clear()
        events += 1
    return {"seconds": time.perf_counter() - started, "events": events}


def case_ingest(path: Path, url: str) -> dict:
    from sqlalchemy import create_engine, text

    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.ingest.pipeline import Ingestor
    from monitorbot.store import db

    schema = None
    if url.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = db.make_engine(f"{url}?options=-csearch_path%3D{schema}")
    else:
        engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        config = load_config(REPO / "config")
        ingestor = Ingestor(engine, config, pseudonymize=Pseudonymizer(DEMO_KEY))
        started = time.perf_counter()
        report = ingestor.run([path])
        seconds = time.perf_counter() - started
        assert report.geweigerd == 0, report.as_dict()["bestanden"][0]["problemen"]
        return {"seconds": seconds, "lines": report.regels}
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def run_child(args: list[str]) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", default=os.environ.get("MONITORBOT_TEST_POSTGRES_URL", DEFAULT_PG)
    )
    parser.add_argument("--child", nargs="*")
    options = parser.parse_args()
    if options.child:
        kind, path, *rest = options.child
        result = case_bare(Path(path)) if kind == "bare" else case_ingest(Path(path), rest[0])
        result["peak_mb"] = _peak_mb()
        print(json.dumps(result))
        return

    from monitorbot.demo.bulk import write_large_declaration, write_large_export

    workdir = Path(tempfile.mkdtemp(prefix="monitorbot-bench-"))
    try:
        xml, csv = workdir / "declaratie.xml", workdir / "export.csv"
        started = time.perf_counter()
        write_large_declaration(xml, options.lines)
        write_large_export(csv, options.lines)
        print(
            f"Invoer: {options.lines:,} regels; XML {xml.stat().st_size / 1e6:.0f} MB, "
            f"CSV {csv.stat().st_size / 1e6:.0f} MB ({time.perf_counter() - started:.1f} s)"
        )
        bare = run_child(["bare", str(xml)])
        print(
            f"{'kale lxml.iterparse over de XML':34s} {bare['seconds']:7.1f} s "
            f"{options.lines / bare['seconds']:>10,.0f} regels/s  piek {bare['peak_mb']:5.0f} MB"
        )
        cases = [
            ("XML → SQLite", str(xml), f"sqlite:///{workdir / 'bench.db'}"),
            ("XML → PostgreSQL", str(xml), options.postgres),
            ("CSV → PostgreSQL", str(csv), options.postgres),
        ]
        for label, path, url in cases:
            result = run_child(["ingest", path, url])
            ratio = (
                f"  {result['seconds'] / bare['seconds']:.2f}× kale iterparse"
                if (path == str(xml))
                else ""
            )
            print(
                f"{label:34s} {result['seconds']:7.1f} s "
                f"{result['lines'] / result['seconds']:>10,.0f} regels/s  "
                f"piek {result['peak_mb']:5.0f} MB{ratio}"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
