"""Ingestion into the database, on SQLite and PostgreSQL: whole files, once, nothing lost."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitorbot.config import load_config
from monitorbot.core.money import format_euros
from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
from monitorbot.ingest.pipeline import Destinations, Ingestor
from monitorbot.store import db, models
from monitorbot.store.queries.allocations import allocations_known
from monitorbot.store.sync import sync_config
from tests.messages import allocation_301, declaration_323, start_305

BSN_A = "999999990"  # passes the 11-proef
BSN_B = "123456782"


@pytest.fixture
def ingestor_for(engine, config_dir, tmp_path):
    config = load_config(config_dir)
    with db.transaction(engine) as session:
        sync_config(session, config)

    def make(move: bool = False) -> Ingestor:
        return Ingestor(
            engine,
            config,
            pseudonymize=Pseudonymizer(DEMO_KEY),
            destinations=Destinations(
                quarantine=tmp_path / "quarantaine", archive=tmp_path / "archief", move=move
            ),
            clock=lambda: __import__("datetime").datetime(
                2026, 11, 10, 7, 0, tzinfo=__import__("datetime").UTC
            ),
        )

    return make


def _sum(engine, **where) -> int:
    line = models.Declaratieregel
    query = select(func.coalesce(func.sum(line.bedrag_cents), 0)).where(
        *[getattr(line, k) == v for k, v in where.items()]
    )
    with db.transaction(engine) as session:
        return int(session.execute(query).scalar_one())


def _count(engine, table) -> int:
    with db.transaction(engine) as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_declaration_is_stored_in_signed_cents_per_care_month(ingestor_for, engine, tmp_path):
    file = tmp_path / "in" / "decl.xml"
    file.parent.mkdir()
    file.write_bytes(
        declaration_323(
            prestaties=[
                dict(
                    bsn=BSN_A,
                    ref="R1",
                    categorie="45",
                    code="45A01",
                    begin=date(2024, 1, 20),
                    end=date(2024, 2, 9),
                    volume=21,
                    tarief=8900,
                    dc="D",
                ),
                dict(
                    bsn=BSN_B,
                    ref="R2",
                    categorie="43",
                    code="43A01",
                    begin=date(2024, 2, 1),
                    end=date(2024, 2, 29),
                    volume=29,
                    tarief=22200,
                    dc="D",
                ),
                dict(
                    bsn=BSN_B,
                    ref="R3",
                    categorie="43",
                    code="43A01",
                    begin=date(2024, 2, 1),
                    end=date(2024, 2, 2),
                    volume=2,
                    tarief=22200,
                    dc="C",
                ),
            ]
        )
    )
    report = ingestor_for().run([file])
    assert report.geweigerd == 0
    assert report.regels == 3
    assert report.bedrag_cents == 21 * 8900 + 29 * 22200 - 2 * 22200
    # 20 Jan..9 Feb = 21 days: 12 in January, 9 in February, pro rata by day.
    assert _sum(engine, perceel_id="jeugd-ambulant", zorgmaand=date(2024, 1, 1)) == 12 * 8900
    assert _sum(engine, perceel_id="jeugd-ambulant", zorgmaand=date(2024, 2, 1)) == 9 * 8900
    assert _sum(engine, perceel_id="jeugd-verblijf", zorgmaand=date(2024, 2, 1)) == 27 * 22200
    with db.transaction(engine) as session:
        rows = session.execute(select(models.Declaratieregel)).scalars().all()
        assert {r.declaratiedatum for r in rows} == {date(2024, 3, 5)}
        assert all(len(r.client_pseudoniem) == 32 for r in rows)
        assert BSN_A not in {r.client_pseudoniem for r in rows}


def test_same_file_twice_and_same_message_under_another_name_change_nothing(
    ingestor_for, engine, tmp_path
):
    content = declaration_323(prestaties=[dict(bsn=BSN_A, ref="R1")])
    first = tmp_path / "a.xml"
    first.write_bytes(content)
    renamed = tmp_path / "b.xml"
    renamed.write_bytes(content.replace(b"<!-- -->", b""))
    same_message = tmp_path / "c.xml"
    same_message.write_bytes(content.replace(b"\n", b"\r\n"))
    ingestor = ingestor_for()
    assert ingestor.run([first]).regels == 1
    report = ingestor.run([first, same_message])
    assert [f.status for f in report.bestanden] == ["al ingelezen", "al ingelezen"]
    assert "al ingelezen als" in report.bestanden[1].reden
    assert _count(engine, models.Declaratieregel) == 1


def test_message_identity_is_sender_type_identification_and_dagtekening(
    ingestor_for, engine, tmp_path
):
    """CDT_BerichtIdentificatie: the same Identificatie on another Dagtekening is another
    message, stored as well; the same identity with other content is refused, never dropped."""
    ingestor = ingestor_for()
    files = {
        "jan.xml": declaration_323(
            ident="D-1", dagtekening=date(2024, 1, 5), prestaties=[dict(bsn=BSN_A, ref="R1")]
        ),
        "feb.xml": declaration_323(
            ident="D-1", dagtekening=date(2024, 2, 5), prestaties=[dict(bsn=BSN_A, ref="R2")]
        ),
        "feb-anders.xml": declaration_323(
            ident="D-1",
            dagtekening=date(2024, 2, 5),
            prestaties=[dict(bsn=BSN_A, ref="R3", volume=7)],
        ),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    report = ingestor.run([tmp_path / name for name in files])
    assert [f.status for f in report.bestanden] == ["ingelezen", "ingelezen", "geweigerd"]
    assert _count(engine, models.Declaratieregel) == 2
    reason = (tmp_path / "quarantaine" / "feb-anders.xml.error.txt").read_text(encoding="utf-8")
    assert "BerichtIdentificatie" in reason and "D-1" in reason
    assert "al ingelezen uit feb.xml, met andere inhoud" in reason
    # Nothing personal in the report of the refusal.
    assert BSN_A not in reason


def test_bad_file_is_quarantined_with_its_report_and_the_rest_is_kept(
    ingestor_for, engine, tmp_path
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1-good.xml").write_bytes(
        declaration_323(ident="GOOD1", prestaties=[dict(bsn=BSN_A, ref="R1")])
    )
    (inbox / "2-bad-date.xml").write_bytes(
        declaration_323(
            ident="BAD1", prestaties=[dict(bsn=BSN_A, ref="R1", raw_begin="2027-06-31")]
        )
    )
    (inbox / "3-not-xml.xml").write_bytes(b"<Bericht><Header>")
    (inbox / "4-good.xml").write_bytes(
        declaration_323(ident="GOOD2", prestaties=[dict(bsn=BSN_B, ref="R9")])
    )
    report = ingestor_for(move=True).run([inbox])
    assert [f.status for f in report.bestanden] == [
        "ingelezen",
        "geweigerd",
        "geweigerd",
        "ingelezen",
    ]
    assert _count(engine, models.Declaratieregel) == 2
    error = (tmp_path / "quarantaine" / "2-bad-date.xml.error.txt").read_text(encoding="utf-8")
    assert "2-bad-date.xml" in error
    assert "Begindatum" in error and "2027-06-31" in error
    assert "regel" in error
    assert (tmp_path / "quarantaine" / "3-not-xml.xml.error.txt").exists()
    assert sorted(p.name for p in (tmp_path / "archief" / "2026-11").iterdir()) == [
        "1-good.xml",
        "4-good.xml",
    ]
    assert list(inbox.iterdir()) == []


def test_semantic_problems_are_findings_and_lines_are_kept(ingestor_for, engine, tmp_path):
    file = tmp_path / "dirty.xml"
    file.write_bytes(
        declaration_323(
            total_override=999_999,
            prestaties=[
                dict(bsn=BSN_A, ref="R1", volume=2, tarief=8900, amount=20000),
                dict(bsn="123456789", ref="R1"),
                dict(bsn=BSN_B, ref="R2", categorie="55", code="55X01"),
            ],
        )
    )
    report = ingestor_for().run([file])
    assert report.bestanden[0].status == "ingelezen"
    assert report.regels == 3
    with db.transaction(engine) as session:
        kinds = dict(
            session.execute(
                select(models.Bevinding.soort, func.count()).group_by(models.Bevinding.soort)
            ).all()
        )
        assert kinds == {
            "totaal_mismatch": 1,
            "dubbele_productreferentie": 1,
            "tarief_maal_volume": 1,
            "bsn_11proef": 1,
        }
        mismatch = session.execute(
            select(models.Bevinding).where(models.Bevinding.soort == "totaal_mismatch")
        ).scalar_one()
        assert "TotaalIngediendBedrag € 9.999,99" in mismatch.omschrijving
        total = format_euros(report.bedrag_cents, decimals=2)
        assert f"som van de prestaties € {total}" in mismatch.omschrijving
        assert "123456789" not in " ".join(
            f"{b.omschrijving} {b.waarde}"
            for b in session.execute(select(models.Bevinding)).scalars()
        )


def test_unmapped_codes_land_in_niet_ingedeeld_and_are_counted(
    ingestor_for, engine, tmp_path, config_dir
):
    percelen = config_dir / "percelen.yaml"
    percelen.write_text(
        percelen.read_text(encoding="utf-8").replace(
            '"31", "32", "33", "34", "40", "41", "42", "45", "50"', '"31", "45"'
        ),
        encoding="utf-8",
    )
    config = load_config(config_dir)
    ingestor = ingestor_for()
    ingestor.config = config
    file = tmp_path / "unmapped.xml"
    file.write_bytes(
        declaration_323(
            prestaties=[
                dict(bsn=BSN_A, ref="R1", categorie="41", code="41A01", volume=3, tarief=10000),
                dict(bsn=BSN_B, ref="R2", categorie="41", code="41A01", volume=1, tarief=10000),
                dict(bsn=BSN_B, ref="R3", categorie="45", code="45A01", volume=1, tarief=10000),
            ]
        )
    )
    report = ingestor.run([file])
    assert report.niet_ingedeeld_regels == 2
    assert report.niet_ingedeeld_cents == 40000
    assert _sum(engine, perceel_id="niet-ingedeeld") == 40000
    with db.transaction(engine) as session:
        finding = session.execute(select(models.Bevinding)).scalar_one()
        assert finding.soort == "niet_ingedeeld"
        assert finding.bedrag_cents == 40000 and finding.waarde == "41/41A01"


def test_zip_members_are_ingested_one_by_one(ingestor_for, engine, tmp_path):
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.xml", declaration_323(ident="Z1", prestaties=[dict(bsn=BSN_A, ref="1")]))
        zf.writestr("b.xml", declaration_323(ident="Z2", prestaties=[dict(bsn=BSN_B, ref="2")]))
        zf.writestr("c.xml", b"garbage")
    report = ingestor_for().run([archive])
    assert [f.status for f in report.bestanden] == ["ingelezen", "ingelezen", "geweigerd"]
    assert _count(engine, models.Declaratieregel) == 2
    assert (tmp_path / "quarantaine" / "batch__c.xml.error.txt").exists()


def test_allocation_and_start_make_waiting_time_a_query(ingestor_for, engine, tmp_path):
    (tmp_path / "301.xml").write_bytes(
        allocation_301(bsn=BSN_A, number="4711", allocated=date(2024, 3, 1))
    )
    (tmp_path / "305.xml").write_bytes(
        start_305(bsn=BSN_A, number="4711", started=date(2024, 4, 12))
    )
    report = ingestor_for().run([tmp_path / "301.xml", tmp_path / "305.xml"])
    assert report.geweigerd == 0
    assert _allocations(engine, date(2024, 5, 1)) == [
        ("jeugd-ambulant", "12345678", date(2024, 3, 1), date(2024, 4, 12), None)
    ]


def test_a_301_keeps_what_it_allocates_per_message(ingestor_for, engine, tmp_path):
    """Omvang and Budget are stored with the 301 that said them: a later 301 that changes
    the allocation adds its own, so what was allocated is known as of any peildatum."""
    (tmp_path / "a.xml").write_bytes(
        allocation_301(
            bsn=BSN_A,
            number="4711",
            allocated=date(2024, 3, 1),
            omvang=(6, "04", "2"),  # six hours a week
            budget=1_250_000,
        )
    )
    (tmp_path / "b.xml").write_bytes(
        allocation_301(
            bsn=BSN_A,
            number="4711",
            allocated=date(2024, 6, 1),
            ident="T301-2",
            omvang=(8, "04", "2"),
        )
    )
    (tmp_path / "c.xml").write_bytes(
        allocation_301(bsn=BSN_B, number="4712", allocated=date(2024, 3, 1), ident="T301-3")
    )
    report = ingestor_for().run([tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "c.xml"])
    assert report.geweigerd == 0
    bericht = models.ToewijzingBericht
    with db.transaction(engine) as session:
        rows = session.execute(
            select(
                bericht.bekend_op,
                bericht.omvang_volume,
                bericht.omvang_eenheid,
                bericht.omvang_frequentie,
                bericht.budget_cents,
            ).order_by(bericht.bekend_op, bericht.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        (date(2024, 3, 1), 6, "04", "2", 1_250_000),
        (date(2024, 3, 1), None, None, None, None),  # a 301 without Omvang or Budget
        (date(2024, 6, 1), 8, "04", "2", None),
    ]


def _allocations(engine, grens: date) -> list[tuple]:
    """(perceel, aanbieder, toegewezen, gestart, gestopt) as known before `grens`."""
    known = allocations_known("9999", grens, "Europe/Amsterdam")
    with db.transaction(engine) as session:
        rows = session.execute(
            select(
                known.c.perceel_id,
                known.c.aanbieder_agb,
                known.c.toegewezen,
                known.c.gestart,
                known.c.gestopt,
            ).order_by(known.c.toegewezen, known.c.gestart)
        ).all()
    return [tuple(row) for row in rows]


def test_the_lifecycle_is_what_the_messages_known_at_the_peildatum_said(
    ingestor_for, engine, tmp_path
):
    """A start reported late is not known before its Dagtekening; a withdrawal undoes it."""
    files = {
        "301.xml": allocation_301(bsn=BSN_A, number="4711", allocated=date(2024, 3, 1)),
        "305.xml": start_305(
            bsn=BSN_A, number="4711", started=date(2024, 4, 12), dagtekening=date(2024, 5, 20)
        ),
        "305-ingetrokken.xml": start_305(
            bsn=BSN_A,
            number="4711",
            started=date(2024, 4, 12),
            dagtekening=date(2024, 7, 2),
            status="3",
            ident="T305-2",
        ),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    report = ingestor_for().run([tmp_path / name for name in files])
    assert report.geweigerd == 0
    allocated = ("jeugd-ambulant", "12345678", date(2024, 3, 1))
    assert _allocations(engine, date(2024, 3, 1)) == []
    assert _allocations(engine, date(2024, 5, 1)) == [(*allocated, None, None)]
    assert _allocations(engine, date(2024, 6, 1)) == [(*allocated, date(2024, 4, 12), None)]
    assert _allocations(engine, date(2024, 8, 1)) == [(*allocated, None, None)]


def test_run_is_recorded(ingestor_for, engine, tmp_path):
    file = tmp_path / "d.xml"
    file.write_bytes(declaration_323(prestaties=[dict(bsn=BSN_A, ref="R1")]))
    ingestor_for().run([file])
    with db.transaction(engine) as session:
        run = session.execute(select(models.JobRun)).scalar_one()
        assert run.status == "geslaagd"
        assert run.statistiek["regels"] == 1


def test_copy_of_the_inbox_file_is_not_needed_to_reingest(ingestor_for, engine, tmp_path):
    """A rejected file that is fixed and dropped again is ingested (new content, new hash)."""
    bad = tmp_path / "x.xml"
    bad.write_bytes(
        declaration_323(ident="FIX", prestaties=[dict(bsn=BSN_A, ref="R1", raw_begin="2027-06-31")])
    )
    ingestor = ingestor_for()
    assert ingestor.run([bad]).geweigerd == 1
    shutil.copy(bad, tmp_path / "backup.xml")
    bad.write_bytes(declaration_323(ident="FIX", prestaties=[dict(bsn=BSN_A, ref="R1")]))
    assert ingestor.run([bad]).regels == 1


EXPORT = (
    "Clientnummer BSN;Naam cliënt;Toewijzingnummer;Productcategorie;Productcode;Begindatum;"
    "Einddatum;Volume;Eenheid;Tarief;Bedrag;Declaratiedatum;Referentie\r\n"
    "999999990;Testpersoon, A.;4001;01;01H01;01-03-2025;31-03-2025;10;uur;26,40;264,00;"
    "05-04-2025;R-1\r\n"
    "123456782;Testpersoon, B.;4002;01;01H01;01-03-2025;31-03-2025;4;uur;26,40;twaalf;"
    "05-04-2025;R-2\r\n"
    "123456782;Testpersoon, B.;4002;01;01H01;01-03-2025;31-03-2025;-2;uur;26,40;-52,80;"
    "05-04-2025;R-2\r\n"
)


def _allow_partial(config_dir: Path, allowed: bool) -> None:
    formats = config_dir / "exportformaten.yaml"
    formats.write_text(
        formats.read_text(encoding="utf-8").replace(
            "gedeeltelijk_toegestaan: false", f"gedeeltelijk_toegestaan: {str(allowed).lower()}"
        ),
        encoding="utf-8",
    )


def test_unreadable_export_row_quarantines_the_file_by_default(ingestor_for, engine, tmp_path):
    export = tmp_path / "export.csv"
    export.write_bytes(EXPORT.encode("cp1252"))
    report = ingestor_for().run([export])
    (result,) = report.bestanden
    assert result.status == "geweigerd"
    assert "regel 3" in result.reden and "Bedrag" in result.reden and "'twaalf'" in result.reden
    assert _count(engine, models.Declaratieregel) == 0
    assert (tmp_path / "quarantaine" / "export.csv.error.txt").exists()


def test_partial_export_keeps_readable_rows_and_records_the_bad_one(
    ingestor_for, engine, tmp_path, config_dir
):
    _allow_partial(config_dir, True)
    ingestor = ingestor_for()
    ingestor.config = load_config(config_dir)
    export = tmp_path / "export.csv"
    export.write_bytes(EXPORT.encode("cp1252"))
    report = ingestor.run([export])
    assert report.bestanden[0].status == "ingelezen"
    assert report.regels == 2
    assert _sum(engine, perceel_id="wmo-hh-zin") == 26400 - 5280
    with db.transaction(engine) as session:
        finding = session.execute(select(models.Bevinding)).scalar_one()
    assert (finding.soort, finding.regel, finding.element, finding.waarde) == (
        "onleesbare_rij",
        3,
        "Bedrag",
        "twaalf",
    )


def test_rejected_file_offered_again_is_not_copied_to_quarantine_twice(ingestor_for, tmp_path):
    bad = tmp_path / "stuk.xml"
    bad.write_bytes(b"<Bericht><Header>")
    ingestor = ingestor_for()
    assert ingestor.run([bad]).geweigerd == 1
    assert ingestor.run([bad]).geweigerd == 1
    assert sorted(p.name for p in (tmp_path / "quarantaine").iterdir()) == [
        "stuk.xml",
        "stuk.xml.error.txt",
    ]


def test_credit_without_an_earlier_debit_is_a_finding(ingestor_for, engine, tmp_path):
    file = tmp_path / "credit.xml"
    file.write_bytes(
        declaration_323(
            prestaties=[
                dict(bsn=BSN_A, ref="R1", volume=2, tarief=8900),
                dict(bsn=BSN_A, ref="R1", volume=2, tarief=8900, dc="C", toewijzing="999"),
            ]
        )
    )
    ingestor_for().run([file])
    with db.transaction(engine) as session:
        finding = session.execute(
            select(models.Bevinding).where(models.Bevinding.soort == "credit_zonder_debet")
        ).scalar_one()
        volumes = sorted(session.execute(select(models.Declaratieregel.volume)).scalars())
    assert finding.bedrag_cents == -17800
    assert volumes == [-2.0, 2.0]  # a credit takes its volume back too


@pytest.mark.parametrize("withdrawal_first", [False, True])
def test_a_corrected_start_survives_the_withdrawal_of_the_old_one(
    ingestor_for, engine, tmp_path, withdrawal_first
):
    """The usual correction: a new 305 with the right date, and a 305 (status 3) that
    withdraws the wrong one; in either order the allocation keeps the right start."""
    new_day, withdraw_day = (date(2024, 6, 3), date(2024, 6, 1))
    if withdrawal_first:
        new_day, withdraw_day = withdraw_day, new_day
    files = {
        "301.xml": allocation_301(bsn=BSN_A, number="4711", allocated=date(2024, 3, 1)),
        "305-fout.xml": start_305(
            bsn=BSN_A, number="4711", started=date(2024, 4, 12), dagtekening=date(2024, 5, 20)
        ),
        "305-goed.xml": start_305(
            bsn=BSN_A,
            number="4711",
            started=date(2024, 4, 15),
            dagtekening=new_day,
            ident="T305-2",
        ),
        "305-weg.xml": start_305(
            bsn=BSN_A,
            number="4711",
            started=date(2024, 4, 12),
            dagtekening=withdraw_day,
            status="3",
            ident="T305-3",
        ),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    assert ingestor_for().run([tmp_path / name for name in files]).geweigerd == 0
    allocated = ("jeugd-ambulant", "12345678", date(2024, 3, 1))
    assert _allocations(engine, date(2024, 7, 1)) == [(*allocated, date(2024, 4, 15), None)]


def test_a_start_with_an_unknown_number_waits_for_its_own_allocation(
    ingestor_for, engine, tmp_path
):
    """A 305 that arrives before its 301 is not pinned on the client's other allocation."""
    files = {
        "301-a.xml": allocation_301(bsn=BSN_A, number="1000", allocated=date(2024, 1, 10)),
        "305-b.xml": start_305(bsn=BSN_A, number="2000", started=date(2024, 4, 2)),
        "301-b.xml": allocation_301(
            bsn=BSN_A, number="2000", allocated=date(2024, 3, 20), ident="T301-2"
        ),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    assert ingestor_for().run([tmp_path / name for name in files]).geweigerd == 0
    rows = _allocations(engine, date(2024, 6, 1))
    assert sorted((r[2], r[3]) for r in rows) == [
        (date(2024, 1, 10), None),  # still waiting
        (date(2024, 3, 20), date(2024, 4, 2)),
    ]


def test_the_waiting_list_export_known_at_the_peildatum_is_the_list(ingestor_for, engine, tmp_path):
    """Each export is the whole list on its day; a later one replaces it from then on only."""
    header = "gemeente;toewijzingsdatum;startdatum;aanbieder;perceel\n"
    first = tmp_path / "wachtlijst-1.csv"
    first.write_text(
        header + "9999;01-03-2025;;12345678;jeugd-ambulant\n"
        "9999;01-02-2025;15-03-2025;12345678;jeugd-ambulant\n",
        encoding="utf-8",
    )
    second = tmp_path / "wachtlijst-2.csv"
    second.write_text(
        header + "9999;01-03-2025;20-04-2025;12345678;jeugd-ambulant\n"
        "9999;01-02-2025;15-03-2025;12345678;jeugd-ambulant\n",
        encoding="utf-8",
    )
    ingestor = ingestor_for()
    ingestor.run([first])
    ingestor.run([second])
    p, a = "jeugd-ambulant", "12345678"
    # Loaded as history: each counts from a week after its last date (15-03, 20-04).
    assert _allocations(engine, date(2025, 3, 20)) == []
    assert _allocations(engine, date(2025, 4, 1)) == [
        (p, a, date(2025, 2, 1), date(2025, 3, 15), None),
        (p, a, date(2025, 3, 1), None, None),
    ]
    assert _allocations(engine, date(2025, 5, 1)) == [
        (p, a, date(2025, 2, 1), date(2025, 3, 15), None),
        (p, a, date(2025, 3, 1), date(2025, 4, 20), None),
    ]


def _export(*rows: tuple[str, str, str]) -> bytes:
    """An export of the configured household-help format: (referentie, bedrag, datum)."""
    header = EXPORT.split("\r\n")[0]
    lines = [
        f"999999990;Testpersoon, A.;4001;01;01H01;01-03-2025;31-03-2025;10;uur;26,40;{bedrag};"
        f"{datum};{ref}"
        for ref, bedrag, datum in rows
    ]
    return ("\r\n".join([header, *lines]) + "\r\n").encode("cp1252")


def test_a_later_export_of_the_same_source_and_period_replaces_the_earlier(
    ingestor_for, engine, tmp_path
):
    """Identified by source and period, not by bytes: the second delivery covers the
    first one's period and replaces it, with a finding; a part-overlap is refused."""
    first = tmp_path / "april.csv"
    first.write_bytes(_export(("R-1", "264,00", "05-04-2025"), ("R-2", "105,60", "05-04-2025")))
    again = tmp_path / "april-opnieuw.csv"
    again.write_bytes(_export(("R-1", "264,00", "05-04-2025"), ("R-3", "52,80", "07-04-2025")))
    may = tmp_path / "mei.csv"
    may.write_bytes(_export(("R-9", "26,40", "05-05-2025")))
    odd = tmp_path / "half.csv"
    odd.write_bytes(_export(("R-7", "26,40", "06-04-2025"), ("R-8", "26,40", "10-04-2025")))
    ingestor = ingestor_for()
    assert ingestor.run([first, may]).geweigerd == 0
    report = ingestor.run([again])
    assert [f.status for f in report.bestanden] == ["ingelezen"]
    assert _sum(engine) == 26400 + 5280 + 2640
    with db.transaction(engine) as session:
        finding = session.execute(
            select(models.Bevinding).where(models.Bevinding.soort == "export_vervangen")
        ).scalar_one()
        statuses = dict(
            session.execute(
                select(models.Bronbestand.bestandsnaam, models.Bronbestand.status)
            ).all()
        )
    assert "april.csv" in finding.omschrijving and finding.bedrag_cents == 5280 - 10560
    assert statuses[str(first)] == "vervangen" and statuses[str(may)] == "ingelezen"
    refused = ingestor.run([odd])
    assert refused.bestanden[0].status == "geweigerd"
    assert "overlapt gedeeltelijk" in refused.bestanden[0].reden
    assert ingestor.run([first]).bestanden[0].status == "al ingelezen"
    assert _sum(engine) == 26400 + 5280 + 2640


def test_an_export_inside_an_earlier_ones_period_is_refused_as_such(ingestor_for, tmp_path):
    quarter = tmp_path / "kwartaal.csv"
    quarter.write_bytes(_export(("R-1", "264,00", "05-04-2025"), ("R-2", "26,40", "30-06-2025")))
    may = tmp_path / "mei-correctie.csv"
    may.write_bytes(_export(("R-5", "26,40", "05-05-2025")))
    ingestor = ingestor_for()
    assert ingestor.run([quarter]).geweigerd == 0
    (refused,) = ingestor.run([may]).bestanden
    assert refused.status == "geweigerd" and "valt binnen kwartaal.csv" in refused.reden
