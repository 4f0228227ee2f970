"""Hostile or careless input: refused with where and why, never a crash or a blow-up."""

from __future__ import annotations

import warnings
import zipfile
from datetime import date

import pytest

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
