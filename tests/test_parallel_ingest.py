"""A declaration read in parts by worker processes loads exactly as when read whole.

The part size is made tiny here so a file of a few hundred lines is cut into many
parts; the same file is loaded once by one process (the reference, on SQLite) and
once in parts (on SQLite and on PostgreSQL), and every row, finding and total is
compared. Files the split must not trust fall back to one process, and a file that
is invalid in a late part is rejected with the same problems either way.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from monitorbot.config import load_config
from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
from monitorbot.demo.bulk import bsn_from_number
from monitorbot.ingest import parallel
from monitorbot.ingest.pipeline import Destinations, Ingestor
from monitorbot.store import db, models
from monitorbot.store.sync import sync_config
from tests.messages import allocation_301, declaration_323, start_305

CLIENTS = 70
INVALID_BSN = "123456789"  # nine digits, valid for the schema, fails the 11-proef


def _prestaties() -> list[dict]:
    """Every kind of line the checks and the sink treat specially, spread over the file."""
    items: list[dict] = []
    for client in range(1, CLIENTS + 1):
        bsn = INVALID_BSN if client % 23 == 0 else bsn_from_number(client)
        for index in range(3):
            item: dict = {"bsn": bsn, "ref": f"R{client}-{index}", "toewijzing": str(client)}
            if index == 1:
                item |= {"begin": date(2024, 1, 15), "end": date(2024, 2, 20)}  # two months
            if client % 7 == 0 and index == 2:
                item |= {"amount": 1234}  # tarief × volume does not add up
            if client % 11 == 0 and index == 0:
                item |= {"categorie": "40", "code": "40X99"}  # no perceel
            if client % 13 == 0 and index == 2:
                item |= {"dc": "C"}  # a credit with no debit before it
            items.append(item)
    items.append({"bsn": bsn_from_number(1), "ref": "R1-0"})  # repeats the first line, same part
    items.append({"bsn": bsn_from_number(CLIENTS), "ref": "R2-1"})  # repeats across parts
    items.append({"bsn": bsn_from_number(CLIENTS), "ref": "R45-2"})
    return items


def declaration(**changes: object) -> bytes:
    return declaration_323(prestaties=_prestaties(), total_override=999, **changes)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(parallel, "PART_BYTES", 4000)


def _ingest(engine: Engine, config_dir: Path, folder: Path, processes: int, content: bytes):
    """Ingest one declaration with `processes` reading processes."""
    return _ingest_folder(engine, config_dir, folder, processes, {"declaratie.xml": content})


def _ingest_folder(
    engine: Engine, config_dir: Path, folder: Path, processes: int, files: dict[str, bytes]
):  # type: ignore[no-untyped-def]
    """Write `files` to an inbox under `folder` and ingest it with `processes` readers."""
    config = load_config(config_dir)
    deployment = config.deployment
    limits = deployment.invoer.model_copy(update={"processen": processes})
    config = dataclasses.replace(
        config, deployment=deployment.model_copy(update={"invoer": limits})
    )
    with db.transaction(engine) as session:
        sync_config(session, config)
    inbox = folder / "in"
    inbox.mkdir(parents=True)
    for name, content in files.items():
        (inbox / name).write_bytes(content)
    ingestor = Ingestor(
        engine,
        config,
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=folder / "q", archive=folder / "a", move=False),
    )
    return ingestor.run([inbox])


def _stored(engine: Engine) -> dict:
    regel, bevinding, bestand = models.Declaratieregel, models.Bevinding, models.Bronbestand
    with db.transaction(engine) as session:
        rows = session.execute(select(regel)).scalars().all()
        findings = session.execute(select(bevinding)).scalars().all()
        files = session.execute(select(bestand)).scalars().all()
        return {
            "rows": sorted(
                tuple(getattr(row, c.key) for c in regel.__table__.columns if c.key != "id")
                for row in rows
            ),
            "findings": sorted(
                (f.soort, f.regel, f.element, f.waarde, f.bedrag_cents, f.omschrijving)
                for f in findings
            ),
            "files": [
                (f.status, f.regels, f.bedrag_cents, f.periode_van, f.periode_tot) for f in files
            ],
        }


@pytest.fixture
def reference(tmp_path: Path, config_dir: Path, small_parts: None) -> dict:
    """The file loaded by one process, on SQLite."""
    engine = _sqlite(tmp_path, "reference.db")
    report = _ingest(engine, config_dir, tmp_path / "reference", 1, declaration())
    assert report.geweigerd == 0
    stored = _stored(engine)
    engine.dispose()
    return stored


def test_the_split_cuts_between_clients_and_keeps_line_numbers(tmp_path, small_parts):
    path = tmp_path / "d.xml"
    content = declaration()
    path.write_bytes(content)
    plan = parallel.plan_split(path)
    assert plan is not None and len(plan.parts) > 5
    for part in plan.parts:
        body = content[part.start : part.end]
        assert body.lstrip().startswith(b"<Client>")
        assert body.rstrip().endswith(b"</Client>")
        # The part's first line is where it is in the file.
        document = parallel.part_document(plan, part, body)
        assert document.index(body) == len(plan.prefix) + part.pad
        assert content[: part.start].count(b"\n") == plan.prefix.count(b"\n") + part.pad


def test_a_declaration_read_in_parts_loads_exactly_as_one_read_whole(
    engine, tmp_path, config_dir, reference, caplog
):
    caplog.set_level(logging.INFO, logger="monitorbot.ingest.sources")
    report = _ingest(engine, config_dir, tmp_path / "parts", 2, declaration())
    assert report.geweigerd == 0
    assert "in één proces gelezen" not in caplog.text  # it really was read in parts
    stored = _stored(engine)
    assert stored["files"] == reference["files"]
    assert stored["rows"] == reference["rows"]
    assert stored["findings"] == reference["findings"]
    kinds = {finding[0] for finding in stored["findings"]}
    assert {
        "dubbele_productreferentie",
        "bsn_11proef",
        "tarief_maal_volume",
        "totaal_mismatch",
        "credit_zonder_debet",
    } <= kinds
    repeats = [f for f in stored["findings"] if f[0] == "dubbele_productreferentie"]
    assert len(repeats) == 3
    assert len({f[5] for f in repeats}) == 3  # each names the first line of its reference


def test_a_file_with_a_comment_is_read_whole_and_loads_the_same(
    engine, tmp_path, config_dir, reference, caplog
):
    content = declaration().replace(b"<Clienten>", b"<Clienten><!-- <Client> -->", 1)
    path = tmp_path / "c.xml"
    path.write_bytes(content)
    assert parallel.plan_split(path) is None
    report = _ingest(engine, config_dir, tmp_path / "comment", 2, content)
    assert report.geweigerd == 0
    stored = _stored(engine)
    assert stored["rows"] == reference["rows"]
    assert stored["findings"] == reference["findings"]


def test_an_error_in_a_late_part_is_reported_as_when_read_whole(
    engine, tmp_path, config_dir, small_parts, caplog
):
    content = declaration()
    late = content.rindex(b"<GeleverdVolume>")
    rest = content[late:].split(b"</GeleverdVolume>", 1)[1]
    broken = content[:late] + b"<GeleverdVolume>zeven</GeleverdVolume>" + rest
    whole = _ingest(_sqlite(tmp_path, "whole.db"), config_dir, tmp_path / "whole", 1, broken)
    caplog.set_level(logging.INFO, logger="monitorbot.ingest.sources")
    in_parts = _ingest(engine, config_dir, tmp_path / "parts", 2, broken)
    assert "in één proces gelezen" in caplog.text  # the failing part sent it back whole
    assert in_parts.geweigerd == whole.geweigerd == 1
    problems = [(p.line, p.element, p.value, p.reason) for p in in_parts.bestanden[0].problemen]
    assert problems == [
        (p.line, p.element, p.value, p.reason) for p in whole.bestanden[0].problemen
    ]
    assert problems[0] == (
        broken[:late].count(b"\n") + 1,
        "GeleverdVolume",
        "zeven",
        "geen geheel getal (LDT_Volume)",
    )
    with db.transaction(engine) as session:
        assert session.execute(select(models.Declaratieregel)).first() is None


def _sqlite(tmp_path: Path, name: str) -> Engine:
    engine = db.make_engine(f"sqlite:///{tmp_path / name}")
    db.upgrade(engine)
    return engine


_READ_PART = parallel.read_part


def _dying_read_part(plan, part, filename, bestand_id):  # type: ignore[no-untyped-def]
    """A reader that is killed (out of memory, kill -9) on the file's third part."""
    if part == plan.parts[2]:
        os.kill(os.getpid(), signal.SIGKILL)
    return _READ_PART(plan, part, filename, bestand_id)


def test_a_reader_killed_mid_file_leaves_the_file_to_one_process(
    engine, tmp_path, config_dir, reference, caplog, monkeypatch
):
    monkeypatch.setattr(parallel, "read_part", _dying_read_part)
    caplog.set_level(logging.INFO, logger="monitorbot.ingest.sources")
    report = _ingest(engine, config_dir, tmp_path / "killed", 2, declaration())
    assert "een leesproces is weggevallen" in caplog.text
    assert report.geweigerd == 0
    stored = _stored(engine)
    assert stored["rows"] == reference["rows"]
    assert stored["findings"] == reference["findings"]


# --------------------------------------------------------------------------- read ahead

_READ_AHEAD = parallel.read_ahead
_READ_AHEAD_LOG: Path | None = None  # set by the test before the workers are forked


def _logged_read_ahead(paths):  # type: ignore[no-untyped-def]
    """The workers' read-ahead, noting which files it read (in a file: it runs elsewhere)."""
    assert _READ_AHEAD_LOG is not None
    with _READ_AHEAD_LOG.open("a") as log:
        log.writelines(f"{path.name}\n" for path in paths)
    return _READ_AHEAD(paths)


def _small_files() -> dict[str, bytes]:
    """Forty small messages of several kinds, and three that are refused in three ways."""
    files: dict[str, bytes] = {}
    for number in range(1, 21):
        bsn = bsn_from_number(number)
        day = date(2024, 1, number)
        files[f"a{number:02d}_301.xml"] = allocation_301(
            bsn=bsn, number=str(number), allocated=day, ident=f"A{number}"
        )
        files[f"a{number:02d}_305.xml"] = start_305(
            bsn=bsn, number=str(number), started=day, ident=f"S{number}"
        )
        files[f"d{number:02d}_323.xml"] = declaration_323(
            prestaties=[{"bsn": bsn, "ref": f"R{number}", "toewijzing": str(number)}],
            ident=f"D{number}",
        )
    files["x1_afgebroken.xml"] = files["d05_323.xml"][:-200]
    late = files["d06_323.xml"].rindex(b"<GeleverdVolume>")
    files["x2_schema.xml"] = (
        files["d06_323.xml"][:late].replace(b"<Identificatie>D6<", b"<Identificatie>X2<")
        + b"<GeleverdVolume>veel</GeleverdVolume>"
        + files["d06_323.xml"][late:].split(b"</GeleverdVolume>", 1)[1]
    )
    files["x3_geen_bericht.xml"] = b"<?xml version='1.0'?><Onbekend/>"
    files["a20_305_opnieuw.xml"] = files["a20_305.xml"]  # the same file again
    return files


def _outcome(report) -> list:  # type: ignore[no-untyped-def]
    return [
        (
            Path(f.naam).name,
            f.status,
            f.soort,
            f.regels,
            f.bedrag_cents,
            f.bevindingen,
            [(p.line, p.element, p.value, p.reason) for p in f.problemen],
        )
        for f in report.bestanden
    ]


def test_small_files_read_ahead_by_workers_load_as_read_one_by_one(
    engine, tmp_path, config_dir, monkeypatch
):
    files = _small_files()
    reference_engine = _sqlite(tmp_path, "one.db")
    one = _ingest_folder(reference_engine, config_dir, tmp_path / "one", 1, files)
    log = tmp_path / "read-ahead.log"
    monkeypatch.setattr(sys.modules[__name__], "_READ_AHEAD_LOG", log)
    monkeypatch.setattr(parallel, "read_ahead", _logged_read_ahead)
    ahead = _ingest_folder(engine, config_dir, tmp_path / "ahead", 2, files)
    assert set(log.read_text().split()) == set(files)  # every file was read by a worker
    assert _outcome(ahead) == _outcome(one)
    assert ahead.geweigerd == 3
    assert _stored(engine)["rows"] == _stored(reference_engine)["rows"]
    assert _stored(engine)["findings"] == _stored(reference_engine)["findings"]
    with db.transaction(engine) as session:
        events = session.execute(select(func.count(models.ToewijzingBericht.id))).scalar()
    assert events == 40
