"""The 325 declaratie-antwoord: granted cost where an answer is known, declared cost before."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from monitorbot.config import load_config
from monitorbot.forecast.series import monthly_cost, unique_clients
from monitorbot.store import db, models
from tests.messages import answer_325, declaration_323

BSN, OTHER = "999999990", "999999989"
FEB = date(2024, 2, 1)


def _declaration(
    ident: str = "BER-0001", refs: tuple[str, ...] = ("A", "B", "C", "D"), wet="jw", **kw
):
    """Four lines of € 100 (A, B for one client; C, D for another), February 2024."""
    product = {"jw": dict(categorie="45", code="45A01"), "wmo": dict(categorie="02", code="02A01")}
    return declaration_323(
        ident=ident,
        prestaties=[
            dict(bsn=BSN if ref in "AB" else OTHER, ref=ref, volume=1, tarief=10000, **product[wet])
            for ref in refs
        ],
        wet=wet,
        **kw,
    )


def _cost(engine, known_before: date | None = None) -> int:
    with db.transaction(engine) as session:
        frame = monthly_cost(session, "9999", by=(), known_before=known_before)
    return int(frame["bedrag"].sum())


def _rejecting_b_and_c(**kw) -> bytes:
    return answer_325(
        clients={BSN: {"B": 10000}, OTHER: {"C": 10000}},
        rejected={"B": ["0611"], "C": ["8187"]},
        ingediend=40000,
        **kw,
    )


def test_rejected_lines_leave_the_cost_on_the_day_the_answer_is_known(ingest_files, engine):
    report = ingest_files({"323.xml": _declaration(), "325.xml": _rejecting_b_and_c()})
    assert [f.status for f in report.bestanden] == ["ingelezen", "ingelezen"]
    assert [f.bevindingen for f in report.bestanden] == [0, 0]
    assert report.bestanden[1].bedrag_cents == -20000
    assert _cost(engine) == 20000  # granted
    assert _cost(engine, known_before=date(2024, 3, 20)) == 40000  # declared, before the answer
    assert _cost(engine, known_before=date(2024, 3, 21)) == 20000
    with db.transaction(engine) as session:
        answer = session.scalars(select(models.DeclaratieAntwoord)).one()
        codes = session.execute(
            select(
                models.AfgewezenPrestatie.productreferentie, models.AfgewezenPrestatie.retourcodes
            ).order_by(models.AfgewezenPrestatie.productreferentie)
        ).all()
        stored_codes = session.execute(
            select(models.Retourcode.niveau, models.Retourcode.code, models.Retourcode.aantal)
            .where(models.Retourcode.berichttype == "jw325")
            .order_by(models.Retourcode.niveau, models.Retourcode.code)
        ).all()
    assert (answer.ingediend_cents, answer.toegekend_cents, answer.afgewezen_cents) == (
        40000,
        20000,
        20000,
    )
    assert answer.geheel_afgewezen is False
    assert [tuple(c) for c in codes] == [("B", "0611"), ("C", "8187")]
    assert [tuple(c) for c in stored_codes] == [
        ("Client", "0200", 2),
        ("DeclaratieAntwoord", "0200", 1),
        ("Header", "0200", 1),
        ("Prestatie", "0611", 1),
        ("Prestatie", "8187", 1),
    ]


def test_the_corrected_resend_counts_once(ingest_files, engine):
    ingest_files({"323.xml": _declaration(), "325.xml": _rejecting_b_and_c()})
    resend = _declaration("BER-0002", refs=("B2",), dagtekening=date(2024, 4, 5))
    ingest_files({"323-b.xml": resend})
    assert _cost(engine) == 30000


def test_an_answer_before_its_declaration_waits_and_is_applied_when_it_comes(ingest_files, engine):
    first = ingest_files({"325.xml": _rejecting_b_and_c()})
    (file,) = first.bestanden
    assert file.status == "ingelezen" and file.bevindingen == 1
    with db.transaction(engine) as session:
        finding = session.scalars(select(models.Bevinding)).one()
    assert finding.soort == "antwoord_zonder_declaratie"
    assert "BER-0001" in finding.omschrijving and "zodra" in finding.omschrijving
    second = ingest_files({"323.xml": _declaration()})
    assert second.bestanden[0].bedrag_cents == 40000 - 20000
    assert _cost(engine) == 20000
    assert _cost(engine, known_before=date(2024, 3, 20)) == 40000


def test_an_answer_on_another_dagtekening_is_another_declarations(ingest_files, engine):
    ingest_files(
        {
            "323.xml": _declaration(),
            "325.xml": _rejecting_b_and_c(declared_on=date(2024, 3, 6)),
        }
    )
    assert _cost(engine) == 40000


@pytest.mark.parametrize("level", ["header", "declaratie"])
def test_a_rejecting_code_on_the_message_or_declaration_rejects_every_line(
    ingest_files, engine, level
):
    codes = {"header_codes": ("0001",)} if level == "header" else {"declaration_codes": ("9308",)}
    answer = answer_325(ingediend=40000, toegekend=0, **codes)
    report = ingest_files({"323.xml": _declaration(), "325.xml": answer})
    assert report.bestanden[1].bevindingen == 0
    assert _cost(engine) == 0
    with db.transaction(engine) as session:
        assert session.scalar(select(models.DeclaratieAntwoord.geheel_afgewezen)) is True


def test_a_message_level_verdict_without_declaratieantwoord_rejects_the_declaration(
    ingest_files, engine
):
    report = ingest_files(
        {
            "323.xml": _declaration(),
            "325.xml": answer_325(header_codes=("0001",), without_answer=True),
        }
    )
    assert [f.status for f in report.bestanden] == ["ingelezen", "ingelezen"]
    assert _cost(engine) == 0


def test_a_rejecting_client_code_rejects_that_clients_listed_lines(ingest_files, engine):
    answer = answer_325(
        clients={OTHER: {"C": 10000, "D": 10000}},
        client_codes={OTHER: ["8848"]},
        ingediend=40000,
    )
    ingest_files({"323.xml": _declaration(), "325.xml": answer})
    assert _cost(engine) == 20000
    with db.transaction(engine) as session:
        clients = unique_clients(session, "9999", ["jeugd-ambulant"])
    assert clients["clienten"].tolist() == [1]  # the rejected client no longer counts


def test_a_second_answer_does_not_reject_a_line_twice(ingest_files, engine):
    ingest_files({"323.xml": _declaration(), "325.xml": _rejecting_b_and_c()})
    again = answer_325(
        ident="ANT-2",
        dagtekening=date(2024, 3, 25),
        clients={BSN: {"A": 10000, "B": 10000}},
        rejected={"A": ["0611"], "B": ["0611"]},
        ingediend=40000,
    )
    report = ingest_files({"325-2.xml": again})
    assert _cost(engine) == 10000  # A newly rejected, B not twice
    with db.transaction(engine) as session:
        soorten = session.scalars(
            select(models.Bevinding.soort).where(models.Bevinding.bestand_id.is_not(None))
        ).all()
    assert "tweede_antwoord" in soorten
    assert report.bestanden[0].bedrag_cents == -10000


def test_totals_that_do_not_add_up_are_a_finding_and_the_lines_decide(ingest_files, engine):
    answer = _rejecting_b_and_c(toegekend=25000)
    report = ingest_files({"323.xml": _declaration(), "325.xml": answer})
    assert report.bestanden[1].bevindingen == 1
    with db.transaction(engine) as session:
        finding = session.scalars(select(models.Bevinding)).one()
    assert finding.soort == "antwoord_telt_niet_op"
    assert finding.element == "TotaalToegekendBedrag" and finding.bedrag_cents == 5000
    assert "250,00" in finding.omschrijving and "200,00" in finding.omschrijving
    assert _cost(engine) == 20000


def test_a_rejected_line_the_declaration_does_not_hold_is_a_finding(ingest_files, engine):
    answer = answer_325(clients={BSN: {"X": 10000}}, rejected={"X": ["0611"]}, ingediend=40000)
    ingest_files({"323.xml": _declaration(), "325.xml": answer})
    with db.transaction(engine) as session:
        finding = session.scalars(select(models.Bevinding)).one()
    assert (finding.soort, finding.waarde, finding.bedrag_cents) == (
        "afwijzing_zonder_regel",
        "X",
        10000,
    )
    assert _cost(engine) == 40000


def test_a_line_over_two_months_is_reversed_in_both(ingest_files, engine):
    declaration = declaration_323(
        prestaties=[
            dict(
                bsn=BSN,
                ref="A",
                volume=1,
                tarief=31000,
                begin=date(2024, 1, 17),
                end=date(2024, 2, 15),
            ),
        ]
    )
    answer = answer_325(clients={BSN: {"A": 31000}}, rejected={"A": ["0611"]}, ingediend=31000)
    ingest_files({"323.xml": declaration, "325.xml": answer})
    with db.transaction(engine) as session:
        per_month = monthly_cost(session, "9999", by=())
        rows = session.scalar(select(func.count()).select_from(models.Declaratieregel))
    assert per_month["bedrag"].tolist() == [0, 0]
    assert rows == 4


def test_the_same_answer_again_is_a_no_op(ingest_files, engine):
    ingest_files({"323.xml": _declaration(), "325.xml": _rejecting_b_and_c()})
    again = ingest_files({"kopie-325.xml": _rejecting_b_and_c()})
    assert [f.status for f in again.bestanden] == ["al ingelezen"]
    assert _cost(engine) == 20000


def test_a_wmo_answer_without_schema_is_kept_and_changes_nothing(ingest_files, engine):
    declaration = _declaration(wet="wmo")
    answer = answer_325(clients={BSN: {"B": 10000}}, ingediend=40000, wet="wmo")
    report = ingest_files({"323.xml": declaration, "325.xml": answer})
    assert [f.status for f in report.bestanden] == ["ingelezen", "ingelezen"]
    with db.transaction(engine) as session:
        finding = session.scalars(select(models.Bevinding)).one()
        answers = session.scalar(select(func.count()).select_from(models.DeclaratieAntwoord))
    assert finding.soort == "niet_gevalideerd" and answers == 0
    assert _cost(engine) == 40000


def test_no_bsn_in_what_an_answer_stores(ingest_files, engine):
    ingest_files({"323.xml": _declaration(), "325.xml": _rejecting_b_and_c()})
    with db.transaction(engine) as session:
        stored = [
            str(session.execute(select(table)).all())
            for table in (
                models.DeclaratieAntwoord,
                models.AfgewezenPrestatie,
                models.Declaratieregel,
            )
        ]
    assert not any(BSN in text or OTHER in text for text in stored)


def test_the_rejected_share_per_provider_is_a_metric_known_from_the_answers_day(
    ingest_files, engine, config_dir
):
    from monitorbot.core.calendar import Peildatum
    from monitorbot.evaluate.metrics import MetricContext, afgewezen_declaraties_pct

    ingest_files({"323.xml": _declaration(), "325.xml": _rejecting_b_and_c()})
    config = load_config(config_dir)

    def measured(peildatum: str):
        with db.transaction(engine) as session:
            context = MetricContext(session, config, None, "9999", Peildatum.parse(peildatum))  # type: ignore[arg-type]
            return afgewezen_declaraties_pct(context, "aanbieder")

    assert measured("2024-03-15") == []  # the answer is dated 20 March
    (row,) = measured("2024-05")
    assert (row.labels, row.waarde, row.impact_cents) == ({"aanbieder": "12345678"}, 50.0, 20000.0)
    assert row.invoer["retourcodes"] == ["0611 (1×)", "8187 (1×)"]
    assert (row.invoer["ingediend_cents"], row.invoer["afgewezen_cents"]) == (40000, 20000)
    assert measured("2024-09") == []  # more than 92 days later


def test_two_answers_waiting_for_one_declaration_are_both_applied_once(ingest_files, engine):
    first = answer_325(clients={BSN: {"B": 10000}}, rejected={"B": ["0611"]}, ingediend=40000)
    second = answer_325(
        ident="ANT-2",
        dagtekening=date(2024, 3, 25),
        clients={OTHER: {"C": 10000}},
        rejected={"C": ["0611"]},
        ingediend=40000,
    )
    ingest_files({"325-1.xml": first, "325-2.xml": second})
    report = ingest_files({"323.xml": _declaration()})
    assert report.bestanden[0].bedrag_cents == 20000
    assert _cost(engine) == 20000
    with db.transaction(engine) as session:
        soorten = sorted(
            session.scalars(
                select(models.Bevinding.soort).where(
                    models.Bevinding.soort != "antwoord_zonder_declaratie"
                )
            ).all()
        )
    assert soorten == ["tweede_antwoord"]  # and no totals that "do not add up"


def test_a_second_answer_after_a_whole_rejection_takes_nothing_out_twice(
    ingest_files, engine, monkeypatch
):
    from monitorbot.ingest import answers

    monkeypatch.setattr(answers, "KEYS_PER_STATEMENT", 1)  # every key its own statement
    whole = answer_325(ingediend=40000, toegekend=0, declaration_codes=("9308",))
    again = _rejecting_b_and_c(ident="ANT-2", dagtekening=date(2024, 3, 25))
    ingest_files({"323.xml": _declaration(), "325-1.xml": whole, "325-2.xml": again})
    assert _cost(engine) == 0
    with db.transaction(engine) as session:
        reversals = session.scalar(
            select(func.count()).where(models.Declaratieregel.antwoord_id.is_not(None))
        )
    assert reversals == 4
