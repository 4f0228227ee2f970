"""AVG: no BSN and no name from the input survives ingestion, anywhere.

Ingests a year of the demo municipality (every message type, the CSV export with
its name column, the PGB totals) through the CLI, then looks for every BSN and
every name of the input in: all tables of the database, the command output,
the log records, and the quarantine reports.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.store import models

BSN_IN_XML = re.compile(rb"<(?:\w+:)?Bsn>(\d{9})</")
NAME_IN_XML = re.compile(rb"<(?:\w+:)?(?:Achternaam|Voornamen|Voorletters|Straatnaam)>([^<]+)</")


def _personal_data(inputs: list[Path]) -> tuple[set[str], set[str]]:
    bsns: set[str] = set()
    names: set[str] = set()
    for file in inputs:
        data = file.read_bytes()
        if file.suffix == ".xml":
            bsns.update(m.decode() for m in BSN_IN_XML.findall(data))
            names.update(m.decode().strip() for m in NAME_IN_XML.findall(data))
        elif file.suffix == ".csv" and b"BSN" in data[:200]:
            lines = data.decode("cp1252").splitlines()
            header = lines[0].split(";")
            bsn_col, name_col = header.index("Clientnummer BSN"), header.index("Naam cliënt")
            for line in lines[1:]:
                cells = line.split(";")
                bsns.add(cells[bsn_col])
                names.add(cells[name_col].strip())
    return bsns, {n for n in names if len(n) >= 3}


def _dump_database(engine) -> str:
    chunks = []
    with engine.connect() as connection:
        for table in models.Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


@pytest.fixture
def one_year_of_demo(demo_dir: Path, tmp_path: Path) -> list[Path]:
    """A year of the demo, the month with the planted rejected file, and two bad files.

    The bad files carry personal data where a careless error message would quote
    it: a headerless export whose first line is a client, and a broken XML.
    """
    months = sorted(
        p
        for p in (demo_dir / "berichten").iterdir()
        if p.name.startswith("2025") or p.name == "2026-07"
    )
    exports = sorted((demo_dir / "exports").glob("*2025-*.csv"))
    bad = tmp_path / "slecht"
    bad.mkdir()
    first_csv = exports[0].read_text(encoding="cp1252").splitlines()
    (bad / "zonder-kopregel.csv").write_text("\n".join(first_csv[1:20]), encoding="cp1252")
    first_xml = next((demo_dir / "berichten" / "2024-03").glob("JW301_*.xml")).read_bytes()
    (bad / "afgebroken.xml").write_bytes(first_xml[: len(first_xml) * 2 // 3])
    return [*months, *exports, demo_dir / "pgb", bad]


def test_no_bsn_or_name_reaches_database_output_logs_or_quarantine(
    one_year_of_demo, database_url, engine, tmp_path, config_dir, caplog, monkeypatch
):
    files = [
        f for p in one_year_of_demo for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()
    ]
    bsns, names = _personal_data(files)
    assert len(bsns) > 500 and len(names) > 50  # the test must have something to find

    monkeypatch.setenv("MONITORBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("MONITORBOT_PSEUDONYM_KEY", "a-test-key-that-is-long-enough")
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    base = ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "data")]
    outputs = []
    for args in (
        ["ingest", "--json", *map(str, one_year_of_demo)],
        ["ingest", *map(str, one_year_of_demo)],
        ["findings", "--limit", "1000"],
    ):
        result = runner.invoke(app, base + args)
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        outputs.append(result.output)

    quarantine = tmp_path / "data" / "quarantaine"
    reports = [p.read_text(encoding="utf-8") for p in quarantine.glob("*.error.txt")]
    haystacks = {
        "database": _dump_database(engine),
        "output": "\n".join(outputs),
        "logs": "\n".join(r.getMessage() for r in caplog.records),
        "quarantaine": "\n".join(reports),
    }
    assert "ingelezen" in haystacks["output"], outputs
    assert len(reports) >= 3, sorted(p.name for p in quarantine.glob("*"))
    for where, text in haystacks.items():
        leaked_bsns = sorted(b for b in bsns if b in text)
        leaked_names = sorted(n for n in names if n in text)
        assert not leaked_bsns, f"BSN in {where}: {leaked_bsns[:3]}"
        assert not leaked_names, f"naam in {where}: {leaked_names[:3]}"
