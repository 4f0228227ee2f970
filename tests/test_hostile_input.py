"""Hostile or careless input: refused with where and why, never a crash or a blow-up."""

from __future__ import annotations

import re
import warnings
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitorbot.config import ConfigError
from monitorbot.config.yaml_source import load_yaml
from monitorbot.ingest.errors import RejectedInput
from monitorbot.ingest.xml_messages import parse_message
from tests.messages import declaration_323

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
regels: [*i, *i, *i, *i, *i, *i, *i, *i, *i]
"""


def test_a_yaml_alias_bomb_is_refused_at_its_line(tmp_path):
    file = tmp_path / "bom.yaml"
    file.write_text(BOMB, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_yaml(file)
    (problem,) = info.value.problems
    assert problem.line == 1  # where the anchor that is reused stands
    assert "YAML-verwijzingen" in problem.message


def _parse(content: bytes) -> None:
    with parse_message(content, filename="323.xml", pseudonymize=lambda bsn: "x" * 32) as message:
        list(message.records)


@pytest.mark.parametrize(
    ("begin", "end", "reason"),
    [
        (date(2024, 2, 10), date(2024, 2, 1), "einddatum ligt voor de begindatum 10-02-2024"),
        (date(2001, 1, 1), date(2099, 12, 31), "een prestatie beslaat hoogstens 366 dagen"),
    ],
)
def test_an_impossible_product_period_is_refused_with_its_line(begin, end, reason):
    content = declaration_323(prestaties=[dict(bsn="999999990", ref="R1", begin=begin, end=end)])
    with pytest.raises(RejectedInput) as info:
        _parse(content)
    (problem,) = info.value.problems
    assert problem.element == "Einddatum" and problem.value == end.isoformat()
    assert reason in problem.reason and problem.line is not None


@pytest.mark.parametrize(
    ("broken", "leak"),
    [
        (b"<Achternaam>Jansen</Achternaam>", b"<Achternaam>Jansen</Jansen>"),  # surname as tag
        (b"<Bsn>999999990</Bsn>", b"<Bsn><999999990/></Bsn>"),  # a BSN where a name goes
    ],
)
def test_a_malformed_message_never_echoes_personal_data(broken, leak):
    """The parser quotes what it choked on; a surname or BSN must not reach the report."""
    content = declaration_323(prestaties=[dict(bsn="999999990", ref="R1")])
    content = (
        content.replace(broken, leak, 1)
        if broken in content
        else content.replace(b"</Bericht>", leak + b"</Bericht>", 1)
    )
    with pytest.raises(RejectedInput) as info:
        _parse(content)
    text = " ".join(str(p) for p in info.value.problems)
    assert "Jansen" not in text and "999999990" not in text
    assert "niet goed gevormd" in text


# --------------------------------------------------------------------------- files that are not


BSN = "999999990"


@pytest.fixture
def ingest(engine, config_dir, tmp_path):
    """Ingest the given files beside a valid declaration; returns the report."""
    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.ingest.pipeline import Destinations, Ingestor
    from monitorbot.store import db
    from monitorbot.store.sync import sync_config

    config = load_config(config_dir)
    with db.transaction(engine) as session:
        sync_config(session, config)
    valid = tmp_path / "in" / "a-goed.xml"
    valid.parent.mkdir()
    valid.write_bytes(declaration_323(ident="GOED", prestaties=[dict(bsn=BSN, ref="G")]))

    def run(*paths):
        ingestor = Ingestor(
            engine,
            config,
            pseudonymize=Pseudonymizer(DEMO_KEY),
            destinations=Destinations(quarantine=tmp_path / "quarantaine"),
        )
        return ingestor.run([valid, *paths])

    return run


def _zip(path, members: list[tuple[str, bytes]], compression=zipfile.ZIP_DEFLATED):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name
        with zipfile.ZipFile(path, "w", compression=compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def _stored_lines(engine) -> int:
    from sqlalchemy import func, select

    from monitorbot.store import db, models

    with db.transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(models.Declaratieregel))


def _declaration(ident: str) -> bytes:
    return declaration_323(ident=ident, prestaties=[dict(bsn=BSN, ref=ident)])


def test_an_encrypted_member_is_refused_by_name_and_the_rest_goes_on(ingest, engine, tmp_path):
    path = _zip(
        tmp_path / "geheim.zip", [("b.xml", _declaration("B")), ("c.xml", _declaration("C"))]
    )
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag of c.xml in its local header (the name follows its 30
    # bytes) and in its directory entry (the last one).
    local = data.index(b"c.xml") - 30
    central = data.rindex(b"PK\x01\x02")
    assert data[local : local + 4] == b"PK\x03\x04"
    data[local + 6] |= 1
    data[central + 8] |= 1
    path.write_bytes(bytes(data))
    report = ingest(path)
    assert [f.status for f in report.bestanden] == ["ingelezen", "ingelezen", "geweigerd"]
    refused = report.bestanden[2]
    assert refused.naam.endswith("geheim.zip!c.xml") and "versleuteld" in refused.reden
    assert _stored_lines(engine) == 2
    quarantined = tmp_path / "quarantaine" / "geheim.zip"
    assert quarantined.exists()
    assert "versleuteld" in (tmp_path / "quarantaine" / "geheim.zip.error.txt").read_text()


def test_a_member_with_a_crc_error_is_refused_and_nothing_of_it_is_kept(ingest, engine, tmp_path):
    content = _declaration("B")
    path = _zip(tmp_path / "kapot.zip", [("b.xml", content)], compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    spot = data.index(b"<Bericht") + 200
    data[spot] = ord("X") if data[spot] != ord("X") else ord("Y")
    path.write_bytes(bytes(data))
    report = ingest(path)
    assert [f.status for f in report.bestanden] == ["ingelezen", "geweigerd"]
    assert "CRC" in report.bestanden[1].reden
    assert _stored_lines(engine) == 1


def test_two_members_of_the_same_name_refuse_the_archive(ingest, engine, tmp_path):
    path = _zip(tmp_path / "dubbel.zip", [("b.xml", b"garbage"), ("b.xml", _declaration("B"))])
    report = ingest(path)
    assert [f.status for f in report.bestanden] == ["ingelezen", "geweigerd"]
    assert "twee keer" in report.bestanden[1].reden and "b.xml" in report.bestanden[1].reden
    assert _stored_lines(engine) == 1
    assert (tmp_path / "quarantaine" / "dubbel.zip.error.txt").exists()


def test_a_zip_bomb_is_not_unpacked(ingest, engine, tmp_path, monkeypatch):
    from monitorbot.ingest import pipeline

    monkeypatch.setattr(pipeline, "RATIO_FROM", 1 << 20)  # the real threshold is 64 MiB
    path = _zip(tmp_path / "bom.zip", [("b.xml", _declaration("B")), ("z.xml", bytes(8 << 20))])
    report = ingest(path)
    assert [f.status for f in report.bestanden] == ["ingelezen", "ingelezen", "geweigerd"]
    assert "zip-bom" in report.bestanden[2].reden
    assert _stored_lines(engine) == 2


def test_a_damaged_archive_is_refused_as_a_whole(ingest, engine, tmp_path):
    path = _zip(tmp_path / "afgebroken.zip", [("b.xml", _declaration("B"))])
    data = path.read_bytes()
    cut = data.rindex(b"PK\x01\x02")
    path.write_bytes(data[:cut] + b"PK\x01\x02" + b"\0" * 60 + data[-22:])
    report = ingest(path)
    assert [f.status for f in report.bestanden] == ["ingelezen", "geweigerd"]
    assert _stored_lines(engine) == 1


def test_a_member_name_longer_than_the_column_is_stored_by_its_end(ingest, engine, tmp_path):
    from sqlalchemy import select

    from monitorbot.store import db, models

    long = "map/" * 150 + "b.xml"
    path = _zip(tmp_path / "lang.zip", [(long, _declaration("B")), ("c.xml", b"garbage")])
    report = ingest(path)
    assert [f.status for f in report.bestanden] == ["ingelezen", "geweigerd", "ingelezen"]
    with db.transaction(engine) as session:
        names = session.scalars(select(models.Bronbestand.bestandsnaam)).all()
    stored = next(n for n in names if n.endswith("b.xml"))
    assert len(stored) == 500 and stored.startswith("…")


def test_a_disk_that_fills_while_quarantining_leaves_no_partial_copy(
    ingest, engine, tmp_path, monkeypatch, caplog
):
    import errno
    import shutil

    def full(source, target, *args, **kwargs):
        with open(target, "wb") as out:
            out.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copy2", full)
    bad = tmp_path / "in" / "b-kapot.xml"
    bad.write_bytes(b"<kapot")
    later = tmp_path / "in" / "c-goed.xml"
    later.write_bytes(_declaration("C"))
    report = ingest(bad, later)
    assert [f.status for f in report.bestanden] == ["ingelezen", "geweigerd", "ingelezen"]
    assert bad.exists()
    assert not list((tmp_path / "quarantaine").glob("b-kapot*"))
    assert "No space left" in caplog.text and "b-kapot.xml" in caplog.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("maand;perceel;bedrag\n2026-01;jeugd-pgb;500.000.000.000.000,00\n", "9.999.999.999,99"),
    ],
)
def test_an_amount_beyond_what_the_standard_allows_is_refused(tmp_path, content, reason):
    from monitorbot.ingest.tabular import read_monthly_totals

    path = tmp_path / "totalen.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RejectedInput) as refused:
        read_monthly_totals(path)
    (problem, *_) = refused.value.problems
    assert problem.line == 2 and reason in problem.reason


def test_the_same_export_saved_with_other_line_endings_is_not_read_twice(ingest, tmp_path):
    rows = [
        "maand;gemeente;perceel;bedrag",
        "2026-01;9999;jeugd-pgb;2.750,00",
        "2026-02;9999;jeugd-pgb;2.800,00",
    ]
    unix = tmp_path / "in" / "pgb.csv"
    unix.write_bytes(("\n".join(rows) + "\n").encode())
    first = ingest(unix)
    assert [f.status for f in first.bestanden] == ["ingelezen", "ingelezen"]
    windows = tmp_path / "in" / "pgb-opnieuw.csv"
    windows.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(rows) + "\r\n").encode())
    again = ingest(windows)
    assert [f.status for f in again.bestanden] == ["al ingelezen", "al ingelezen"]
    assert "pgb.csv" in again.bestanden[1].reden


def test_an_unbalanced_quote_refuses_the_file_instead_of_swallowing_rows(tmp_path):
    from monitorbot.ingest.tabular import read_monthly_totals

    path = tmp_path / "totalen.csv"
    path.write_text(
        'maand;perceel;bedrag\n2026-01;"jeugd-pgb;2.750,00\n2026-02;jeugd-pgb;2.800,00\n'
        "2026-03;jeugd-pgb;2.850,00\n",
        encoding="utf-8",
    )
    with pytest.raises(RejectedInput) as refused:
        read_monthly_totals(path, gedeeltelijk_toegestaan=True)
    (problem,) = refused.value.problems
    assert problem.line == 2 and "aanhalingsteken" in problem.reason


# --------------------------------------------------------------------------- faults


def _cli(config_dir, tmp_path, *args):
    from typer.testing import CliRunner

    from monitorbot.cli.app import app

    return CliRunner().invoke(
        app, ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "data"), *args]
    )


def test_an_ingest_waits_for_another_writer_instead_of_failing(engine, ingest, tmp_path):
    """busy_timeout is honoured: a batch begins IMMEDIATE and waits for the write lock."""
    import sqlite3
    import threading
    import time

    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has row locks; the single-writer lock is SQLite's")
    held = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(engine.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE gemeente SET naam = naam")
        held.set()
        time.sleep(1.5)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    started = time.perf_counter()
    report = ingest()
    waited = time.perf_counter() - started
    thread.join()
    assert [f.status for f in report.bestanden] == ["ingelezen"]
    assert waited > 1.0


def test_a_database_that_does_not_answer_is_named_without_its_password(
    config_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("MONITORBOT_PSEUDONYM_KEY", "een-sleutel-van-minstens-zestien-tekens")
    monkeypatch.setenv(
        "MONITORBOT_DATABASE_URL", "postgresql+psycopg://beheer:geheim@127.0.0.1:1/monitor"
    )
    (tmp_path / "a.xml").write_bytes(_declaration("A"))
    result = _cli(config_dir, tmp_path, "ingest", str(tmp_path / "a.xml"))
    assert result.exit_code == 3, result.output
    assert "niet bereikbaar" in result.output and "127.0.0.1:1" in result.output
    assert "geheim" not in result.output and "Traceback" not in result.output


def test_a_locked_sqlite_database_says_so(config_dir, tmp_path, monkeypatch):
    import sqlite3

    from monitorbot.store import db

    monkeypatch.setenv("MONITORBOT_PSEUDONYM_KEY", "een-sleutel-van-minstens-zestien-tekens")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    assert _cli(config_dir, tmp_path, "db", "upgrade").exit_code == 0
    other = sqlite3.connect(tmp_path / "data" / "monitorbot.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        (tmp_path / "a.xml").write_bytes(_declaration("A"))
        result = _cli(config_dir, tmp_path, "ingest", str(tmp_path / "a.xml"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 3, result.output
    assert "bezet" in result.output and "Traceback" not in result.output
    assert (tmp_path / "a.xml").exists()


def test_a_file_that_cannot_be_read_is_refused_and_the_rest_goes_on(
    ingest, engine, tmp_path, monkeypatch
):
    from monitorbot.ingest import pipeline

    locked = tmp_path / "in" / "b-geen-rechten.xml"
    locked.write_bytes(_declaration("B"))
    later = tmp_path / "in" / "c-goed.xml"
    later.write_bytes(_declaration("C"))
    real = pipeline.digests_of

    def refusing(stream):  # type: ignore[no-untyped-def]
        # What the operating system says to a user without read permission (root, who
        # runs these tests, may read anything).
        if str(getattr(stream, "name", "")).endswith("b-geen-rechten.xml"):
            raise PermissionError(13, "Permission denied", stream.name)
        return real(stream)

    monkeypatch.setattr(pipeline, "digests_of", refusing)
    report = ingest(locked, later)
    assert [f.status for f in report.bestanden] == ["ingelezen", "geweigerd", "ingelezen"]
    assert "Permission denied" in report.bestanden[1].reden
    assert locked.exists() and _stored_lines(engine) == 2


def test_a_lock_held_by_a_process_that_died_is_taken_over_at_once(engine):
    import subprocess
    import sys
    from datetime import UTC, datetime

    from monitorbot.service.locks import claimed_run, owner_id
    from monitorbot.store import db, models

    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL drops the advisory lock of a dead session itself")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    now = datetime(2026, 11, 10, 7, tzinfo=UTC)
    with db.transaction(engine) as session:
        session.add(
            models.JobRun(
                job="inbox",
                gestart_op=now,
                status="bezig",
                statistiek={"eigenaar": f"{owner_id().rsplit(':', 1)[0]}:{dead.stdout.strip()}"},
            )
        )
    with claimed_run(engine, "inbox", clock=lambda: now) as run:
        assert run is not None
    with db.transaction(engine) as session:
        statuses = [r.status for r in session.query(models.JobRun).order_by(models.JobRun.id)]
    assert statuses == ["mislukt", "geslaagd"]


def _with_limits(config_dir, **limits) -> None:
    path = config_dir / "monitorbot.yaml"
    text = path.read_text(encoding="utf-8")
    for key, value in limits.items():
        text = re.sub(rf"(\n  {key}: )\d+", rf"\g<1>{value}", text)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("limits", "make", "reason"),
    [
        (
            {"max_bestand_mb": 1},
            lambda folder: (folder / "groot.xml").write_bytes(b" " * (2 << 20)),
            "max_bestand_mb",
        ),
        (
            {"max_leden": 2},
            lambda folder: _zip(
                folder / "veel.zip",
                [(f"{n}.xml", _declaration(f"V{n}")) for n in range(3)],
            ),
            "max_leden",
        ),
        (
            {"max_lid_mb": 1},
            lambda folder: _zip(folder / "groot-lid.zip", [("g.xml", b" " * (2 << 20))]),
            "max_lid_mb",
        ),
    ],
)
def test_a_file_past_a_configured_limit_is_refused_by_name(
    engine, config_dir, tmp_path, limits, make, reason
):
    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.ingest.pipeline import Destinations, Ingestor
    from monitorbot.store import db
    from monitorbot.store.sync import sync_config

    _with_limits(config_dir, **limits)
    config = load_config(config_dir)
    assert config.deployment.invoer.model_dump()[next(iter(limits))] == next(iter(limits.values()))
    with db.transaction(engine) as session:
        sync_config(session, config)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-goed.xml").write_bytes(_declaration("A"))
    make(folder)
    report = Ingestor(
        engine,
        config,
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=tmp_path / "quarantaine"),
    ).run([folder])
    statuses = [f.status for f in report.bestanden]
    assert statuses[0] == "ingelezen" and statuses[1:] == ["geweigerd"]
    assert reason in report.bestanden[1].reden
    assert _stored_lines(engine) == 1


def test_a_later_delivery_of_monthly_totals_replaces_them_and_says_by_how_much(
    ingest, engine, tmp_path
):
    from sqlalchemy import func, select

    from monitorbot.store import db, models

    first = tmp_path / "in" / "pgb-1.csv"
    first.write_text(
        "maand;gemeente;perceel;bedrag\n2026-01;9999;jeugd-pgb;2.750,00\n"
        "2026-02;9999;jeugd-pgb;2.800,00\n"
    )
    later = tmp_path / "in" / "pgb-2.csv"
    later.write_text(
        "maand;gemeente;perceel;bedrag\n2026-02;9999;jeugd-pgb;3.000,00\n"
        "2026-03;9999;jeugd-pgb;2.900,00\n"
    )
    ingest(first)
    report = ingest(later)
    assert [f.status for f in report.bestanden] == ["al ingelezen", "ingelezen"]
    with db.transaction(engine) as session:
        total = session.scalar(select(func.sum(models.PgbMaand.bedrag_cents)))
        finding = session.scalars(
            select(models.Bevinding).where(models.Bevinding.soort == "maandtotaal_vervangen")
        ).one()
    assert total == 275000 + 300000 + 290000  # February once, at its new figure
    assert finding.bedrag_cents == 20000
    assert "was € 2.800,00, nu € 3.000,00" in finding.omschrijving


# --------------------------------------------------------------------------- fuzzing

_VALID = declaration_323(prestaties=[dict(bsn=BSN, ref="R1"), dict(bsn=BSN, ref="R2")])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.integers(min_value=0, max_value=len(_VALID) - 1),
    replacement=st.binary(min_size=0, max_size=12),
    cut=st.booleans(),
)
def test_any_damage_to_a_message_is_a_named_refusal_or_a_valid_read(position, replacement, cut):
    """A byte changed, inserted or the file cut anywhere: RejectedInput with a reason, or
    records — never another exception, never the BSN in the reason."""
    damaged = _VALID[:position] + replacement + (b"" if cut else _VALID[position + 1 :])
    try:
        with parse_message(damaged, filename="x.xml", pseudonymize=lambda b: "p") as message:
            list(message.records)
    except RejectedInput as refused:
        text = " ".join(str(p) for p in refused.problems)
        assert text and BSN not in text


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list('0123456789;,.-"€ \nab')), max_size=30),
        max_size=8,
    )
)
def test_any_table_is_rows_or_a_named_refusal(tmp_path_factory, lines):
    from monitorbot.ingest.tabular import read_monthly_totals

    path = tmp_path_factory.mktemp("fuzz") / "t.csv"
    path.write_text("maand;perceel;bedrag\n" + "\n".join(lines) + "\n", encoding="utf-8")
    try:
        result = read_monthly_totals(path, gedeeltelijk_toegestaan=True)
    except RejectedInput as refused:
        assert all(p.reason for p in refused.problems)
        return
    text = path.read_text(encoding="utf-8").splitlines()

    def holds_data(line: str) -> bool:  # not only quotes, separators and spaces
        return bool(line.replace('"', "").replace(";", "").strip())

    expected = {n for n, line in enumerate(text, start=1) if n > 1 and holds_data(line)}
    seen = {row.line for row in result.rows} | {p.line for p in result.problems}
    assert expected <= seen  # every line is a row or named in a problem: none lost silently


def test_one_file_of_every_hostile_class_beside_valid_files(
    engine, config_dir, tmp_path, monkeypatch
):
    """The issue's run: valid files with one of each class between them. Every valid file
    is stored, every hostile one refused with a reason, nothing else stops the run."""
    from sqlalchemy import func, select

    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.ingest import pipeline
    from monitorbot.ingest.pipeline import Destinations, Ingestor
    from monitorbot.store import db, models
    from monitorbot.store.sync import sync_config

    monkeypatch.setattr(pipeline, "RATIO_FROM", 1 << 20)
    _with_limits(config_dir, max_bestand_mb=3)
    config = load_config(config_dir)
    with db.transaction(engine) as session:
        sync_config(session, config)
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(10):
        (folder / f"geldig-{n}.xml").write_bytes(_declaration(f"OK{n}"))
    encrypted = _zip(folder / "h-versleuteld.zip", [("x.xml", _declaration("E"))])
    data = bytearray(encrypted.read_bytes())
    data[6] |= 1
    data[data.rindex(b"PK\x01\x02") + 8] |= 1
    encrypted.write_bytes(bytes(data))
    crc = _zip(folder / "h-crc.zip", [("x.xml", _declaration("C"))], zipfile.ZIP_STORED)
    data = bytearray(crc.read_bytes())
    data[data.index(b"<Bericht") + 100] ^= 1
    crc.write_bytes(bytes(data))
    _zip(folder / "h-bom.zip", [("z.xml", bytes(4 << 20))])
    _zip(folder / "h-dubbel.zip", [("d.xml", b"x"), ("d.xml", _declaration("D"))])
    (folder / "h-groot.xml").write_bytes(b" " * (4 << 20))
    (folder / "h-kapot.xml").write_bytes(_declaration("K")[:-40])
    (folder / "h-onzin.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "h-periode.xml").write_bytes(
        declaration_323(
            ident="P",
            prestaties=[dict(bsn=BSN, ref="P", begin=date(1, 1, 1), end=date(9999, 12, 31))],
        )
    )
    header = "maand;perceel;bedrag\n"
    (folder / "h-quote.csv").write_text(
        header + '2026-01;"jeugd-pgb;1,00\n2026-02;jeugd-pgb;2,00\n'
    )
    (folder / "h-bedrag.csv").write_text(header + "2026-01;jeugd-pgb;500.000.000.000.000,00\n")
    hostile = sorted(p.name for p in folder.iterdir() if p.name.startswith("h-"))
    report = Ingestor(
        engine,
        config,
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=tmp_path / "quarantaine"),
    ).run([folder])
    refused = {Path(f.naam.split("!")[0]).name for f in report.bestanden if f.status == "geweigerd"}
    assert refused == set(hostile)
    assert all(f.reden for f in report.bestanden if f.status == "geweigerd")
    stored = {Path(f.naam).name for f in report.bestanden if f.status == "ingelezen"}
    assert stored == {f"geldig-{n}.xml" for n in range(10)}
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.Declaratieregel)) == 10


def test_a_config_file_of_megabytes_is_refused_before_it_is_read(tmp_path):
    file = tmp_path / "groot.yaml"
    file.write_text("regels:\n" + "  - naam: x\n" * 600_000)
    with pytest.raises(ConfigError) as refused:
        load_yaml(file)
    assert "hoogstens 5 MiB" in str(refused.value)


def test_a_report_that_cannot_be_written_never_removes_the_moved_file(
    engine, config_dir, tmp_path, monkeypatch
):
    import errno

    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.ingest import pipeline
    from monitorbot.ingest.pipeline import Destinations, Ingestor

    def full(target, result):  # type: ignore[no-untyped-def]
        target.with_name(target.name + ".error.txt").write_text("hal")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline, "_write_error_file", full)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "kapot.xml").write_bytes(b"<kapot")
    Ingestor(
        engine,
        load_config(config_dir),
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(
            quarantine=tmp_path / "quarantaine", archive=tmp_path / "archief", move=True
        ),
    ).run([inbox])
    assert (tmp_path / "quarantaine" / "kapot.xml").exists()  # moved, and still there
    assert not (tmp_path / "quarantaine" / "kapot.xml.error.txt").exists()


@pytest.mark.parametrize(
    ("driver", "expected"),
    [
        (
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  password '
            'authentication failed for user "beheer"',
            "weigert de aanmelding",
        ),
        ('connection to server failed: FATAL:  database "monitor" does not exist', "bestaat niet"),
        ("connection to server at 127.0.0.1 port 1 failed: Connection refused", "niet bereikbaar"),
        ("database is locked", "bezet"),
        ("database or disk is full", "vol"),
    ],
)
def test_each_database_fault_has_its_own_sentence_without_the_password(driver, expected):
    from sqlalchemy.exc import OperationalError

    from monitorbot.store.faults import describe

    fault = OperationalError("SELECT 1", {}, Exception(driver))
    url = "postgresql+psycopg://beheer:geheim@db.example:5432/monitor?sslpassword=ookgeheim"
    message = describe(fault, database=url)
    assert message is not None and expected in message
    assert "geheim" not in message and "SELECT" not in message
