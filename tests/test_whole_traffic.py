"""The whole traffic: technical return messages kept and counted, the rest named, nothing lost."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from monitorbot.config import load_config
from monitorbot.core.calendar import Peildatum
from monitorbot.evaluate.metrics import MetricContext, afgekeurde_berichten
from monitorbot.store import db, models
from monitorbot.store.sync import sync_config
from tests.messages import return_306

BSN = "999999990"


def test_a_return_message_is_kept_with_its_retourcodes_and_counted_per_provider(
    ingest_files, engine, config_dir
):
    files = {
        f"306-{n}.xml": return_306(
            bsn=BSN,
            ident=f"R306-{n}",
            returned=f"T305-{n}",
            product_codes=["0611"] if n < 3 else ["0200"],  # three rejected, one fine
            header_codes=["0200"],
        )
        for n in range(4)
    }
    report = ingest_files(files)
    assert [f.status for f in report.bestanden] == ["ingelezen"] * 4
    with db.transaction(engine) as session:
        rows = session.execute(
            select(
                models.Retourcode.niveau, models.Retourcode.code, func.sum(models.Retourcode.aantal)
            )
            .group_by(models.Retourcode.niveau, models.Retourcode.code)
            .order_by(models.Retourcode.niveau, models.Retourcode.code)
        ).all()
        stored = session.scalars(select(models.Retourcode.retour_identificatie).distinct()).all()
        assert BSN not in str(session.execute(select(models.Retourcode)).all())
    assert [tuple(r) for r in rows] == [
        ("Client", "0200", 4),
        ("Header", "0200", 4),
        ("StartProduct", "0200", 1),
        ("StartProduct", "0611", 3),
    ]
    assert sorted(stored) == ["T305-0", "T305-1", "T305-2", "T305-3"]
    config = load_config(config_dir)
    with db.transaction(engine) as session:
        context = MetricContext(session, config, None, "9999", Peildatum.parse("2024-05"))  # type: ignore[arg-type]
        (measurement,) = afgekeurde_berichten(context, "aanbieder")
    assert (measurement.labels, measurement.waarde) == ({"aanbieder": "12345678"}, 3.0)


def test_a_wmo_return_message_without_schema_is_kept_but_counts_nowhere(ingest_files, engine):
    report = ingest_files({"wmo306.xml": return_306(bsn=BSN, product_codes=["0611"], wet="wmo")})
    (file,) = report.bestanden
    assert file.status == "ingelezen" and file.bevindingen == 1
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.Retourcode)) == 0
        finding = session.scalars(select(models.Bevinding)).one()
    assert finding.soort == "niet_gevalideerd"
    assert "schema ontbreekt" in finding.omschrijving or "ontbreekt" in finding.omschrijving


def test_a_line_outside_its_declaration_period_is_kept_with_a_finding(ingest_files, engine):
    from tests.messages import declaration_323

    content = declaration_323(
        prestaties=[
            dict(bsn=BSN, ref="IN", begin=date(2024, 2, 1), end=date(2024, 2, 29)),
            dict(bsn=BSN, ref="UIT", begin=date(2024, 3, 1), end=date(2024, 3, 31)),
        ]
    )
    (file,) = ingest_files({"323.xml": content}).bestanden
    assert file.status == "ingelezen" and file.regels == 2
    with db.transaction(engine) as session:
        findings = session.scalars(
            select(models.Bevinding).where(models.Bevinding.soort == "periode_buiten_declaratie")
        ).all()
    assert [(f.element, f.waarde) for f in findings] == [
        ("ProductPeriode", "2024-03-01/2024-03-31")
    ]


def test_a_source_that_stops_delivering_is_an_alert_not_a_zero(engine, config_dir):
    """PGB totals through June, eigen bijdrage through August, exports monthly until June."""
    from datetime import UTC, datetime

    from monitorbot.evaluate.metrics import ontbrekende_maandtotalen

    config = load_config(config_dir)

    def source(session, n: int, soort: str, arrived: date, last: date) -> int:
        row = models.Bronbestand(
            gemeente_code="9999",
            bestandsnaam=f"{soort}-{n}.csv",
            sha256=f"{n:064d}",
            soort=soort,
            status="ingelezen",
            periode_tot=last,
            ingelezen_op=datetime(arrived.year, arrived.month, arrived.day, 9, tzinfo=UTC),
        )
        session.add(row)
        session.flush()
        return row.id

    with db.transaction(engine) as session:
        sync_config(session, config)
        pgb = source(session, 1, "maandtotalen", date(2024, 7, 12), date(2024, 6, 30))
        eigen = source(session, 2, "maandtotalen", date(2024, 9, 12), date(2024, 8, 31))
        for month in range(1, 7):
            session.add(
                models.PgbMaand(
                    gemeente_code="9999",
                    perceel_id="jeugd-pgb",
                    maand=date(2024, month, 1),
                    bedrag_cents=100_000,
                    bestand_id=pgb,
                )
            )
        for month in range(1, 9):
            session.add(
                models.PgbMaand(
                    gemeente_code="9999",
                    perceel_id="wmo-eigen-bijdrage",
                    maand=date(2024, month, 1),
                    bedrag_cents=-40_000,
                    bestand_id=eigen,
                )
            )
        for n, (arrived, last) in enumerate(
            [
                (date(2024, 5, 2), date(2024, 4, 30)),
                (date(2024, 6, 3), date(2024, 5, 31)),
                (date(2024, 7, 2), date(2024, 6, 30)),
            ],
            start=3,
        ):
            source(session, n, "wachtlijst", arrived, last)
    with db.transaction(engine) as session:
        context = MetricContext(session, config, None, "9999", Peildatum.parse("2024-09"))  # type: ignore[arg-type]
        rows = {m.labels["bron"]: m for m in ontbrekende_maandtotalen(context, "gemeente")}
    assert rows["jeugd-pgb"].waarde == 2.0  # July and August due by the end of September
    assert rows["jeugd-pgb"].invoer["ontbrekende_maanden"] == ["2024-07", "2024-08"]
    assert rows["jeugd-pgb"].impact_cents == 200_000
    assert rows["wmo-eigen-bijdrage"].waarde == 0.0
    assert rows["wachtlijst-export"].waarde == 2.0  # monthly until 30 June, silent since
    # As known at the end of July, nothing was missing yet.
    with db.transaction(engine) as session:
        context = MetricContext(session, config, None, "9999", Peildatum.parse("2024-07"))  # type: ignore[arg-type]
        earlier = {
            m.labels["bron"]: m.waarde for m in ontbrekende_maandtotalen(context, "gemeente")
        }
    assert earlier == {"jeugd-pgb": 0.0, "wmo-eigen-bijdrage": 0.0, "wachtlijst-export": 0.0}


def test_requests_are_a_stock_until_an_allocation_or_a_refusal_decides_them(
    ingest_files, engine, config_dir
):
    """Ten requests in January: six allocated after 25 days, two refused after 70 (one 319
    arrives before its 315), one only "in onderzoek", one without any answer."""
    from datetime import timedelta

    from monitorbot.evaluate.metrics import (
        aanvragen_in_behandeling,
        afgewezen_aanvragen,
        beslistermijn_dagen,
    )
    from tests.messages import allocation_301, answer_319, request_315

    asked = date(2024, 1, 10)
    files: dict[str, bytes] = {}
    for n in range(10):
        files[f"315-{n}.xml"] = request_315(
            bsn=BSN, reference=f"REF-{n}", dagtekening=asked, ident=f"V-{n}"
        )
    for n in range(6):
        files[f"301-{n}.xml"] = allocation_301(
            bsn=BSN,
            number=f"{9000 + n}",
            allocated=asked + timedelta(days=25),
            ident=f"T-{n}",
            reference=f"REF-{n}",
        )
    refused = {
        f"319-{n}.xml": answer_319(
            reference=f"REF-{n}", dagtekening=asked + timedelta(days=70), ident=f"A-{n}"
        )
        for n in (6, 7)
    }
    files["319-8.xml"] = answer_319(
        reference="REF-8",
        dagtekening=asked + timedelta(days=30),
        antwoord="2",
        reden=None,
        ident="A-8",
    )
    # One refusal arrives before its request.
    early = {"319-7.xml": refused.pop("319-7.xml")}
    report = ingest_files({**early, **files, **refused})
    assert {f.status for f in report.bestanden} == {"ingelezen"}
    config = load_config(config_dir)

    def measured(peildatum: str) -> tuple[float, float, list[float]]:
        with db.transaction(engine) as session:
            context = MetricContext(session, config, None, "9999", Peildatum.parse(peildatum))  # type: ignore[arg-type]
            (stock,) = aanvragen_in_behandeling(context, "gemeente")
            (no,) = afgewezen_aanvragen(context, "gemeente")
            term = [m.waarde for m in beslistermijn_dagen(context, "gemeente")]
        return stock.waarde, no.waarde, term

    assert measured("2024-01") == (10.0, 0.0, [])  # nothing decided by the end of January
    assert measured("2024-02") == (4.0, 0.0, [25.0])  # allocations count; refusals not yet
    assert measured("2024-04") == (2.0, 2.0, [25.0])  # in onderzoek and unanswered stay open


def test_a_change_request_is_a_request_until_answered(ingest_files, engine, config_dir):
    """A 317 joins the request stock; its 301 (same ReferentieAanbieder) decides it."""
    from monitorbot.evaluate.metrics import aanvragen_in_behandeling
    from tests.messages import allocation_301, change_317

    report = ingest_files(
        {
            "317.xml": change_317(bsn=BSN, reference="WIJZ-1", dagtekening=date(2024, 3, 4)),
            "301.xml": allocation_301(
                bsn=BSN, number="5555", allocated=date(2024, 4, 8), reference="WIJZ-1"
            ),
        }
    )
    assert {f.status for f in report.bestanden} == {"ingelezen"}
    config = load_config(config_dir)

    def open_requests(peildatum: str) -> float:
        with db.transaction(engine) as session:
            context = MetricContext(session, config, None, "9999", Peildatum.parse(peildatum))  # type: ignore[arg-type]
            (stock,) = aanvragen_in_behandeling(context, "gemeente")
        return stock.waarde

    assert (open_requests("2024-03"), open_requests("2024-04")) == (1.0, 0.0)


def test_a_folder_with_one_message_of_every_type_ingests_with_exit_0(
    demo_dir, config_dir, tmp_path, monkeypatch
):
    """Every iJw and iWmo 3.2 message type: the demo's care flow, declarations and answers,
    and the rest built here. Nothing valid is quarantined; a Wmo return message (no schema
    yet) is kept with the finding "niet gevalideerd"."""
    from typer.testing import CliRunner

    from monitorbot.cli.app import app
    from tests.messages import change_317, technical_return

    folder = tmp_path / "alles"
    folder.mkdir()
    kinds = ("301", "305", "306", "307", "315", "319", "323", "325")
    for prefix in ("JW", "WMO"):
        for code in kinds:
            first = next(
                iter(sorted((demo_dir / "berichten").rglob(f"{prefix}{code}_*.xml"))), None
            )
            if first is not None:
                (folder / first.name).write_bytes(first.read_bytes())
    for wet in ("jw", "wmo"):
        (folder / f"{wet}317.xml").write_bytes(
            change_317(bsn=BSN, reference="VZ1", dagtekening=date(2024, 5, 1), wet=wet)
        )
        returns = ("302", "306", "308", "316", "318", "320")
        for code in returns if wet == "jw" else (*returns, "325"):
            name = f"{wet}{code}.xml"
            (folder / name).write_bytes(technical_return(wet, code, ident=f"R{code}"))
    present = {
        (p.name.split("_")[0] if "_" in p.name else p.stem).upper() for p in folder.iterdir()
    }
    every = {f"JW{c}" for c in ("301", "302", "305", "306", "307", "308", "315", "316", "317")}
    every |= {f"JW{c}" for c in ("318", "319", "320", "323", "325")}
    every |= {f"WMO{c}" for c in ("301", "302", "305", "306", "307", "308", "315", "316")}
    every |= {f"WMO{c}" for c in ("317", "318", "319", "320", "323", "325")}
    assert present == every
    monkeypatch.setenv("MONITORBOT_PSEUDONYM_KEY", "een-sleutel-van-minstens-zestien-tekens")
    result = CliRunner().invoke(
        app,
        [
            "--config-dir",
            str(config_dir),
            "--data-dir",
            str(tmp_path / "data"),
            "ingest",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.output
    assert not list((tmp_path / "data" / "quarantaine").rglob("*.xml"))
    summary = " ".join(result.output.split())
    files = len(list(folder.iterdir()))  # a JW306 from the demo and one built here
    assert f"{files} bestanden — {files} ingelezen, 0 al ingelezen, 0 geweigerd" in summary
