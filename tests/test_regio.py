"""The region: configuration, the regional table from its members' snapshots, and the
files that say whose figures they are.

The regional table is built from hand-made member snapshots stored in the
database, so every figure is known: the region's line is the sum of the members'
lines to the cent, and its interval the members' combined with the correlation.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from monitorbot.config import ConfigError, load_config
from monitorbot.core.calendar import Peildatum
from monitorbot.core.money import whole_cents
from monitorbot.core.states import Niveau
from monitorbot.evaluate.regio_snapshot import Band, RegioSnapshot, combine
from monitorbot.evaluate.snapshot import Snapshot
from monitorbot.forecast.results import Interval, PerceelPrognose
from monitorbot.forecast.samenhang import PRIOR, PRIOR_WEIGHT, shrunk_mean_correlation
from tests import snapshots as hand

PROEFREGIO = """naam: Proefregio
leden: ["9995", "9996"]
kanalen:
  regio:
    - {type: console}
digest_kanaal: regio
"""


def _region_config(config_dir: Path) -> Path:
    (config_dir / "regio" / "proefregio.yaml").write_text(PROEFREGIO, encoding="utf-8")
    return config_dir


# --------------------------------------------------------------------------- configuration


def test_the_shipped_region_has_seven_members_that_know_the_shared_providers():
    from tests.conftest import CONFIG_DIR

    config = load_config(CONFIG_DIR)
    regio = config.regio("demoregio")
    assert regio.leden == ["9991", "9992", "9993", "9999", "9994", "9995", "9996"]
    for code in regio.leden:
        gemeente = config.gemeente(code)
        assert {a.agb for a in regio.aanbieders} <= {a.agb for a in gemeente.aanbieders}
        assert gemeente.aanbieder_naam("98990105") == "Behandelcentrum De Boomhut"
    inwoners = sorted(config.gemeente(c).bevolking_in(2026).inwoners for c in regio.leden)
    assert inwoners[0] == 10_070 and inwoners[-1] == 90_480
    assert config.regios_van("9999") == ["demoregio"]


def test_population_of_a_year_is_the_latest_known_on_or_before_it(config_dir):
    gemeente = load_config(config_dir).gemeente("9999")
    assert gemeente.bevolking_in(2026).jeugdigen == 4540
    assert gemeente.bevolking_in(2030).inwoners == 23_080  # CBS publishes later: last known
    assert gemeente.bevolking_in(2020) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("leden: [\"9995\", \"9996\"]", "leden: [\"9995\", \"0363\"]"),
         r"leden: waarde '0363': gemeente is niet geconfigureerd in gemeenten/"),
        (("leden: [\"9995\", \"9996\"]", "leden: [9995, 9996]"),
         r"zet gemeentecodes tussen aanhalingstekens"),
        (("leden: [\"9995\", \"9996\"]", "leden: [\"9995\", \"9995\"]"),
         r"9995 staan er meer dan eens in"),
        (("digest_kanaal: regio", "digest_kanaal: bestuur"),
         r"digest_kanaal 'bestuur' staat niet bij kanalen \(toegestaan: regio\)"),
    ],
)  # fmt: skip
def test_a_wrong_region_file_is_named_with_line_and_reason(config_dir, change, message):
    path = _region_config(config_dir) / "regio" / "proefregio.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as refused:
        load_config(config_dir)
    assert "proefregio.yaml" in str(refused.value)


def test_youths_must_be_fewer_than_inhabitants(config_dir):
    path = config_dir / "gemeenten" / "9996-kleindorp.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("jeugdigen: 1780", "jeugdigen: 11780"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"jeugdigen \(11780\) moeten minder zijn dan inwoners"):
        load_config(config_dir)


# --------------------------------------------------------------------------- the interval


def test_members_that_move_independently_add_in_quadrature_and_together_add_widths():
    a, b = Band(1_000, 700, 1_400, 550, 1_600), Band(2_000, 1_600, 2_300, 1_400, 2_450)
    independent = combine([a, b], 0.0)
    assert independent == Band(3_000, 3_000 - 500, 3_000 + 500, 3_000 - 750, 3_000 + 750)
    together = combine([a, b], 1.0)
    assert together == Band(3_000, 2_300, 3_700, 1_950, 4_050)  # the bounds added
    halfway = combine([a, b], 0.5)
    low80 = round(math.sqrt(0.5 * (300**2 + 400**2) + 0.5 * 700**2))
    assert halfway.lo80 == 3_000 - low80 and halfway.mid == 3_000
    assert independent.hi80 < halfway.hi80 < together.hi80


def test_identical_growth_correlates_fully_but_is_shrunk_toward_one_half():
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    wave = np.sin(np.arange(24) / 3)
    growth = pd.DataFrame({"a": wave, "b": 2 * wave, "c": wave + 0.1}, index=months)
    assert shrunk_mean_correlation(growth) == pytest.approx(
        (24 * 1.0 + PRIOR_WEIGHT * PRIOR) / (24 + PRIOR_WEIGHT)
    )
    opposite = pd.DataFrame({"a": wave, "b": -wave}, index=months)
    assert shrunk_mean_correlation(opposite) == 0.0  # clipped: never below independent
    assert shrunk_mean_correlation(pd.DataFrame({"a": wave}, index=months)) == PRIOR


# --------------------------------------------------------------------------- the regional table


def _member(code: str, naam: str, factor: float, *, correctie: bool = False) -> Snapshot:
    """Testdorp's hand-made snapshot as member `code`, its figures times `factor`, with
    half cents left in so the rounding before summing shows."""
    base = hand.snapshot()
    rows = []
    for row in base.begroting.rows:
        model = row.model
        assert model is not None
        scaled = Interval(*(v * factor + 0.5 for v in vars(model).values()))
        rows.append(
            replace(
                row,
                begroting_cents=round(row.begroting_cents * factor),
                model=scaled,
                correctie=None,
            )
        )
    if correctie:
        rows[0] = replace(rows[0], correctie=_correction(rows[0]))
    report = replace(base.begroting, gemeente=code, gemeente_naam=naam, rows=rows)
    return replace(base, gemeente=code, gemeente_naam=naam, begroting=report)


def _correction(row: PerceelPrognose):
    from monitorbot.config.models import PrognoseCorrectie

    return PrognoseCorrectie(
        perceel=row.perceel,
        prognose=Decimal("6500000.00"),
        reden="contract herzien",
        door="controller",
        datum=date(2026, 10, 1),
    )


@pytest.fixture
def stored_members(engine, config_dir):
    """Two members' snapshots at the test peildatum, stored as their evaluations store them."""
    from monitorbot.evaluate.engine import store_snapshot
    from monitorbot.store import db

    members = {
        "9995": _member("9995", "Polderzicht", 0.6),
        "9996": _member("9996", "Kleindorp", 0.43, correctie=True),
    }
    with db.transaction(engine) as session:
        for snapshot in members.values():
            store_snapshot(session, snapshot)
    return members


def _regio(engine, config_dir) -> RegioSnapshot:
    from monitorbot.evaluate.regio import regio_snapshot
    from monitorbot.store import db

    config = load_config(_region_config(config_dir))

    def never(gemeente: str) -> Snapshot:
        raise AssertionError(f"{gemeente} has a stored snapshot: it must be read, not computed")

    with db.transaction(engine) as session:
        return regio_snapshot(
            session, config, "proefregio", hand.PEILDATUM, now=hand.NOW, compute=never
        )


def test_the_region_is_its_members_lines_summed_to_the_cent(engine, config_dir, stored_members):
    regio = _regio(engine, config_dir)
    assert [r.perceel for r in regio.rijen] == [
        "jeugd-zin",
        "wmo-begeleiding-zin",
        "domein:jeugd",
        "domein:wmo",
        "totaal",
    ]
    assert [m.momentopname is not None for m in regio.leden] == [True, True]
    for rij in regio.rijen:
        members = [stored_members[m.gemeente].budget_row(rij.perceel) for m in rij.leden]
        expected = sum(whole_cents(row.prognose_cents) for row in members)
        assert rij.regio.mid == expected
        assert rij.begroting_cents == sum(row.begroting_cents for row in members)
        assert rij.restant_cents == rij.begroting_cents - expected
        assert rij.v_n == ("V" if rij.restant_cents > 0 else "N")
        assert rij.samenhang == PRIOR  # no cost history in this database: the prior
    jeugd = regio.rij("jeugd-zin")
    polder, klein = jeugd.leden
    assert klein.bron == "correctie" and klein.prognose == Band.exact(650_000_000)
    assert polder.prognose.mid == whole_cents(hand.JEUGD_PROGNOSE * 0.6 + 0.5)
    # Kleindorp's correction has no model interval: the region's width is Polderzicht's.
    assert jeugd.regio.hi80 - jeugd.regio.mid == polder.prognose.hi80 - polder.prognose.mid


def test_the_region_snapshot_is_stored_and_read_back_unchanged(engine, config_dir, stored_members):
    from monitorbot.evaluate.regio import store_regio_snapshot, stored_regio_snapshot
    from monitorbot.store import db

    regio = _regio(engine, config_dir)
    assert RegioSnapshot.from_json(regio.to_json()) == regio
    with db.transaction(engine) as session:
        store_regio_snapshot(session, regio)
    with db.transaction(engine) as session:
        assert stored_regio_snapshot(session, "proefregio", hand.PEILDATUM) == regio
        earlier = Peildatum.op(date(2026, 10, 10))
        assert stored_regio_snapshot(session, "proefregio", earlier) is None


def test_the_csv_adds_up_per_perceel_and_names_each_member(engine, config_dir, stored_members):
    from monitorbot.report import regio_table
    from monitorbot.report.csv_text import CsvStijl

    regio = _regio(engine, config_dir)
    rows = list(csv.DictReader(io.StringIO(regio_table.to_csv(regio, CsvStijl.PUNT))))
    for perceel in {r["perceel"] for r in rows}:
        lines = [r for r in rows if r["perceel"] == perceel]
        members = [Decimal(r["prognose"]) for r in lines if r["gemeente"] != "regio"]
        (region,) = [r for r in lines if r["gemeente"] == "regio"]
        assert Decimal(region["prognose"]) == sum(members)
        assert [r["gemeente_naam"] for r in lines] == ["Polderzicht", "Kleindorp", "Proefregio"]
    jeugd_klein = next(r for r in rows if r["perceel"] == "jeugd-zin" and r["gemeente"] == "9996")
    assert jeugd_klein["bron"] == "correctie" and jeugd_klein["prognose_80_laag"] == ""


def test_the_text_table_shows_each_member_and_the_region(engine, config_dir, stored_members):
    from monitorbot.report import regio_table

    text = regio_table.to_table(_regio(engine, config_dir))
    assert text.startswith("Proefregio (2 gemeenten) — begroting 2026, prognose ")
    block = text.split("Jeugd zorg in natura (ZIN)\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in block] == ["Polderzicht", "Kleindorp", "Regio"]
    assert "6.500 *" in block[1]
    assert "niet door grenzen op te tellen" in text


def test_regio_tabel_reads_the_stored_members_from_the_command_line(
    engine, database_url, config_dir, stored_members, tmp_path
):
    from monitorbot.cli.app import app

    _region_config(config_dir)
    env = {"MONITORBOT_DATABASE_URL": database_url}
    args = ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "data"), "regio"]
    runner = CliRunner()
    shown = runner.invoke(
        app, [*args, "tabel", "--regio", "proefregio", "--as-of", "2026-11-10"], env=env
    )
    assert shown.exit_code == 0, shown.output
    assert "Proefregio (2 gemeenten)" in shown.output and "Kleindorp" in shown.output
    unknown = runner.invoke(app, [*args, "tabel", "--regio", "nergens"], env=env)
    assert unknown.exit_code == 2
    assert "regio is niet geconfigureerd" in unknown.output and "demoregio" in unknown.output


# --------------------------------------------------------------------------- whose file is it


def test_monthly_totals_name_their_gemeente_where_several_are_configured(ingest_files):
    report = ingest_files(
        {
            "pgb-9996.csv": b"maand;gemeente;perceel;bedrag\n2026-01;9996;jeugd-pgb;750,00\n",
            "pgb-zonder.csv": b"maand;perceel;bedrag\n2026-01;jeugd-pgb;750,00\n",
            "pgb-twee.csv": b"maand;gemeente;perceel;bedrag\n2026-01;9996;jeugd-pgb;1,00\n"
            b"2026-02;9995;jeugd-pgb;1,00\n",
            "pgb-onbekend.csv": b"maand;gemeente;perceel;bedrag\n2026-01;363;jeugd-pgb;1,00\n",
        }
    )
    by_name = {Path(f.naam).name: f for f in report.bestanden}
    assert len(by_name) == 4, [f.naam for f in report.bestanden]
    assert by_name["pgb-9996.csv"].status == "ingelezen"
    assert by_name["pgb-9996.csv"].gemeente == "9996"
    assert "export zonder gemeente" in by_name["pgb-zonder.csv"].reden
    assert "één gemeente per bestand (regel 2: 9996)" in by_name["pgb-twee.csv"].reden
    assert "regel 3" in by_name["pgb-twee.csv"].reden
    onbekend = by_name["pgb-onbekend.csv"].reden
    assert "0363" in onbekend and "niet geconfigureerd" in onbekend


def test_a_members_cost_history_is_its_own(ingest_files, engine):
    """The correlation reads each member's own series: scoped by gemeente."""
    from monitorbot.forecast.samenhang import member_costs
    from monitorbot.store import db

    ingest_files(
        {
            "a.csv": b"maand;gemeente;perceel;bedrag\n2024-12;9995;jeugd-pgb;1,00\n",
            "b.csv": b"maand;gemeente;perceel;bedrag\n2024-12;9996;jeugd-pgb;2,00\n",
        }
    )
    with db.transaction(engine) as session:
        costs = member_costs(
            session, ["9995", "9996"], known_before=date(2027, 1, 1), tijdzone="Europe/Amsterdam"
        )
    assert costs["9995"]["bedrag"].tolist() == [100]
    assert costs["9996"]["bedrag"].tolist() == [200]


def test_band_of_a_member_is_its_table_figure_rounded_half_up():
    from monitorbot.evaluate.regio import _member_line

    row = PerceelPrognose(
        "jeugd-zin", "Jeugd", "jeugd", Niveau.PERCEEL, begroting_cents=100,
        model=Interval(10.5, 8.5, 12.5, 6.5, 14.5),
    )  # fmt: skip
    assert _member_line("9995", row).prognose == Band(11, 9, 13, 7, 15)


# --------------------------------------------------------------------------- end to end


def _message_identities(folder: Path, member: str) -> set[tuple[str, str, str, str]]:
    """(sender, type, identification, date) of every XML message; each has `member` as
    its sender or receiver."""
    from lxml import etree

    identities = set()
    for path in folder.rglob("*.xml"):
        header = etree.parse(str(path)).getroot()[0]
        fields = {etree.QName(e).localname: (e.text or "") for e in header.iter()}
        assert member in (fields["Afzender"], fields["Ontvanger"]), path.name
        kind = path.name.split("_", 1)[0]
        identities.add((fields["Afzender"], kind, fields["Identificatie"], fields["Dagtekening"]))
    return identities


def _budgets_from(manifest: dict, config_dir: Path) -> None:
    """The generated primitive budgets, as `monitorbot demo` writes them."""
    code = manifest["gemeente"]
    for year, amounts in manifest["begrotingen_cents"].items():
        lines = [f'gemeente: "{code}"', f"jaar: {year}", "versies:", '  - versie: "primitief"']
        lines += [f"    vastgesteld_op: {int(year) - 1}-11-01", "    bedragen:"]
        lines += [f"      {perceel}: {cents // 100}" for perceel, cents in amounts.items()]
        (config_dir / "begroting" / f"{code}-{year}.yaml").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def two_members(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Polderzicht and Kleindorp of the demo region at a third of their size (a test need
    not ingest 25.000 small files to see the region add up), generated once."""
    from monitorbot.demo.generate import generate_demo
    from monitorbot.demo.regio import lid
    from tests.conftest import DEMO_VANDAAG

    root = tmp_path_factory.mktemp("regio")
    members = {}
    for code in ("9995", "9996"):
        small = replace(lid(code), schaal=lid(code).schaal / 3)
        members[code] = (
            root / code,
            generate_demo(root / code, vandaag=DEMO_VANDAAG, lid=small).to_dict(),
        )
    return members


@pytest.mark.slow
def test_members_of_the_region_never_share_a_message_identity(two_members):
    polder = _message_identities(two_members["9995"][0] / "berichten", "9995")
    klein = _message_identities(two_members["9996"][0] / "berichten", "9996")
    assert polder and klein and not polder & klein


@pytest.mark.slow
def test_the_regional_cycle_evaluates_every_member_and_adds_them_up(
    two_members, config_dir, engine, database_url, tmp_path
):
    """Two members ingested, `regio cyclus` evaluates both in parallel processes, then once
    more on a local Dask cluster, which must give the same figures, and stores the region;
    `regio tabel` then shows that stored region, summed to the cent. (SQLite's path, one
    member after another, is tested on an empty database below.)"""
    if engine.dialect.name == "sqlite":
        pytest.skip("parallel evaluation is PostgreSQL's; SQLite's one-by-one path is below")
    from monitorbot.cli.app import app
    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.evaluate.regio import stored_member_snapshot, stored_regio_snapshot
    from monitorbot.ingest.pipeline import Destinations, Ingestor
    from monitorbot.report import regio_table
    from monitorbot.report.csv_text import CsvStijl
    from monitorbot.store import db
    from monitorbot.store.sync import sync_config

    _region_config(config_dir)
    for _, manifest in two_members.values():
        _budgets_from(manifest, config_dir)
    config = load_config(config_dir)
    as_of = two_members["9995"][1]["as_of"]
    env = {"MONITORBOT_DATABASE_URL": database_url}
    args = ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "data"), "regio"]
    runner = CliRunner()
    with db.transaction(engine) as session:
        sync_config(session, config)
    ingestor = Ingestor(
        engine,
        config,
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=tmp_path / "q", move=False),
    )
    folders = [f / n for f, _ in two_members.values() for n in ("berichten", "pgb")]
    report = ingestor.run(folders)
    assert {f.gemeente for f in report.bestanden} == {"9995", "9996"}
    assert all(f.status == "ingelezen" for f in report.bestanden)

    command = [*args, "cyclus", "--regio", "proefregio", "--as-of", as_of, "--processen", "2"]
    cycle = runner.invoke(app, command, env=env)
    assert cycle.exit_code == 0, cycle.output
    assert "Polderzicht (9995):" in cycle.output and "Kleindorp (9996):" in cycle.output

    peildatum = Peildatum.parse(as_of)
    with db.transaction(engine) as session:
        regio = stored_regio_snapshot(session, "proefregio", peildatum)
        members = {g: stored_member_snapshot(session, g, peildatum) for g in ("9995", "9996")}
    assert regio is not None and all(members.values())
    assert [m.momentopname for m in regio.leden] == [members[g][1] for g in ("9995", "9996")]
    for rij in regio.rijen:
        rows = [members[g][0].budget_row(rij.perceel) for g in ("9995", "9996")]
        figures = [
            whole_cents(r.prognose_cents) for r in rows if r and r.prognose_cents is not None
        ]
        assert rij.regio is None or rij.regio.mid == sum(figures), rij.perceel
        assert 0 <= rij.samenhang <= 1
    total = regio.rij("totaal")
    assert total.regio.lo80 < total.regio.mid < total.regio.hi80
    shown = runner.invoke(
        app, [*args, "tabel", "--regio", "proefregio", "--as-of", as_of, "--format", "csv-punt"],
        env=env,
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert shown.output == regio_table.to_csv(regio, CsvStijl.PUNT)
    figures = {k.naam: k for k in regio.kengetallen}
    youth = figures["jeugd_clienten_per_1000"]
    for code, snapshot in members.items():
        counts = snapshot[0].kengetallen
        assert counts.jeugd_clienten >= 10 and counts.toewijzingen > 0
        youths = load_config(config_dir).gemeente(code).bevolking_in(counts.jaar).jeugdigen
        assert youth.waarde(code) == pytest.approx(counts.jeugd_clienten / youths * 1000)
    compared = runner.invoke(
        app, [*args, "vergelijk", "--regio", "proefregio", "--as-of", as_of], env=env
    )
    assert compared.exit_code == 0, compared.output
    assert "Cliënten jeugdhulp (in natura) per 1.000 jeugdigen" in compared.output

    on_dask = runner.invoke(app, [*command, "--dask", "lokaal"], env=env)
    assert on_dask.exit_code == 0, on_dask.output
    assert on_dask.output.count("op Dask-worker tcp://127.0.0.1:") == 2  # both members ran there
    with db.transaction(engine) as session:
        again = stored_regio_snapshot(session, "proefregio", peildatum)
    assert again is not None and again.berekend_op >= regio.berekend_op
    assert again.rijen == regio.rijen and again.kengetallen == regio.kengetallen


def test_a_region_reader_is_made_from_the_command_line(database_url, config_dir, tmp_path):
    from monitorbot.cli.app import app

    env = {"MONITORBOT_DATABASE_URL": database_url}
    base = ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "data"), "gebruikers"]
    runner = CliRunner()
    made = runner.invoke(
        app, [*base, "toevoegen", "rita", "--rol", "lezer", "--gemeente", "9999",
              "--wachtwoord-stdin"], input="een-lang-wachtwoord-1\n", env=env,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    given = runner.invoke(app, [*base, "regio", "rita", "--regio", "demoregio"], env=env)
    assert given.exit_code == 0 and "regio-lezer in regio demoregio gegeven" in given.output
    listed = runner.invoke(app, [*base, "lijst"], env=env)
    assert "rita: lezer in 9999, regio-lezer in regio demoregio" in listed.output
    unknown = runner.invoke(app, [*base, "regio", "rita", "--regio", "nergens"], env=env)
    assert unknown.exit_code == 2 and "regio is niet geconfigureerd" in unknown.output


# --------------------------------------------------------------------------- the comparison


def _with_counts(code: str, naam: str, **counts) -> Snapshot:
    from monitorbot.evaluate.snapshot import Kengetallen

    base = hand.snapshot()
    figures = dict(
        jaar=2026, tot_maand=10, jeugd_clienten=400, jeugd_kosten_cents=400_000_000,
        hh_clienten=250, hh_uren=12_500.0, hulpvragen=140, toewijzingen=700,
    ) | counts  # fmt: skip
    return replace(base, gemeente=code, gemeente_naam=naam, kengetallen=Kengetallen(**figures))


def test_every_comparison_figure_is_its_counts_over_the_population(config_dir):
    from monitorbot.evaluate.vergelijking import benchmark

    config = load_config(config_dir)
    members = {
        "9995": _with_counts("9995", "Polderzicht"),  # 13.980 inhabitants, 2.650 youths in 2026
        "9996": _with_counts(
            "9996", "Kleindorp", jeugd_clienten=178, jeugd_kosten_cents=213_600_000
        ),
    }
    figures = {k.naam: k for k in benchmark(members, config)}
    youth = figures["jeugd_clienten_per_1000"]
    assert youth.waarde("9995") == pytest.approx(400 / 2.650)
    assert youth.waarde("9996") == pytest.approx(178 / 1.780)  # 100 per 1.000
    assert youth.regio == pytest.approx((400 + 178) / (2.650 + 1.780))
    assert youth.mediaan == pytest.approx((400 / 2.650 + 100) / 2)
    cost = figures["kosten_per_jeugdclient"]
    assert (cost.waarde("9995"), cost.waarde("9996")) == (
        pytest.approx(10_000),
        pytest.approx(12_000),
    )
    total = hand.JEUGD_PROGNOSE + hand.WMO_PROGNOSE  # the hand-made table's total row
    assert figures["kosten_per_inwoner"].waarde("9995") == pytest.approx(total / 100 / 13_980)
    assert figures["hh_uren_per_client"].waarde("9996") == pytest.approx(50.0)
    assert figures["hulpvragen_per_1000"].waarde("9995") == pytest.approx(140 / 13.980)
    assert figures["toewijzingen_per_1000"].waarde("9996") == pytest.approx(700 / 10.070)
    assert figures["wachttijd_boven_norm"].waarde("9995") == pytest.approx(31 / 40)
    growth = 598_000_000 / 1.038 / 500_000_000 - 1  # this year deflated by 3,8 % against last
    assert figures["groei_zonder_indexatie"].waarde("9995") == pytest.approx(growth)


def test_a_figure_under_ten_clients_is_left_out_with_a_second_one_so_it_cannot_be_derived(
    config_dir,
):
    from monitorbot.evaluate.vergelijking import benchmark, suppressed

    # a alone could be worked out from the region: the smallest other goes too
    assert suppressed({"a": 9, "b": 40, "c": 25}) == ({"a", "c"}, True)
    # two small ones of 3 and 4 together are 7: region minus b would give them: c goes too
    assert suppressed({"a": 3, "b": 50, "c": 4, "d": 20}) == ({"a", "c", "d"}, True)
    assert suppressed({"a": 9, "b": 3, "c": 25}) == ({"a", "b"}, True)  # 12: only their sum
    # nobody left to hide it behind: the region's own figure goes as well
    assert suppressed({"a": 9}) == ({"a"}, False)
    assert suppressed({"a": 4, "b": 5}) == ({"a", "b"}, False)  # 9 in all
    assert suppressed({"a": 10, "b": None}) == (set(), True)  # ten is enough; no count: no cell
    config = load_config(config_dir)
    members = {
        "9995": _with_counts("9995", "Polderzicht"),
        "9996": _with_counts("9996", "Kleindorp", hh_clienten=7, hh_uren=350.0),
    }
    hours = {k.naam: k for k in benchmark(members, config)}["hh_uren_per_client"]
    assert hours.waarden == (("9995", None), ("9996", None))
    assert hours.regio == pytest.approx((12_500 + 350) / (250 + 7))  # only the sum shows


def test_a_member_that_stands_out_is_named_and_marked(config_dir):
    from monitorbot.evaluate.regio_snapshot import LidBron
    from monitorbot.evaluate.vergelijking import _stands_out, benchmark
    from monitorbot.report import regio_table

    config = load_config(config_dir)
    costs = {"9991": 10_000, "9992": 10_500, "9993": 9_800, "9994": 10_200, "9995": 16_000}
    members = {
        code: _with_counts(code, config.gemeente(code).naam, jeugd_kosten_cents=euros * 400 * 100)
        for code, euros in costs.items()
    }
    figures = {k.naam: k for k in benchmark(members, config)}
    assert figures["kosten_per_jeugdclient"].afwijkers == ("9995",)
    regio = replace(
        hand.regio_snapshot(),
        leden=tuple(LidBron(c, config.gemeente(c).naam, hand.NOW, None) for c in costs),
        kengetallen=tuple(figures.values()),
    )
    row = next(
        r for r in regio_table.benchmark_rows(regio) if r[0] == "Kosten per cliënt jeugdhulp"
    )
    assert row[1:6] == ["€ 10.000", "€ 10.500", "€ 9.800", "€ 10.200", "€ 16.000 ↑"]
    assert row[7] == "€ 10.200"  # the median

    assert _stands_out(150.0, 100.0, 90.0, 110.0, percentage=False)  # outside, 50 % away
    assert not _stands_out(115.0, 100.0, 90.0, 110.0, percentage=False)  # only 15 % away
    assert not _stands_out(105.0, 100.0, 90.0, 110.0, percentage=False)  # inside the middle
    assert _stands_out(0.12, 0.05, 0.04, 0.06, percentage=True)  # 7 points away
    assert not _stands_out(0.09, 0.05, 0.04, 0.06, percentage=True)  # 4 points


def test_the_comparison_reads_in_dutch_and_hides_what_is_left_out():
    from monitorbot.report import regio_table

    assert regio_table.format_kengetal(11234.5, "€") == "€ 11.235"
    assert regio_table.format_kengetal(0.1234, "%") == "12,3 %"
    assert regio_table.format_kengetal(150.94, "per 1.000 jeugdigen") == "150,9"
    assert regio_table.format_kengetal(None, "€") == "—"


# --------------------------------------------------------------------------- the regional digest


def test_the_regional_digest_is_one_table_and_names_who_stands_out():
    from monitorbot.notify.regio_digest import regio_digest_message
    from monitorbot.notify.render import to_text

    regio = replace(
        hand.regio_snapshot(),
        kengetallen=(
            replace(
                hand.regio_snapshot().kengetallen[0],
                waarden=(("0384", 16_000.0), ("0999", 11_000.0)),
                mediaan=12_000.0,
                afwijkers=("0384",),
            ),
        ),
    )
    message = regio_digest_message(regio, with_workbook=False)
    assert message.regio == "testregio" and message.gemeente == ""
    (table,) = [s.table for s in message.sections if s.table]
    assert [row[0] for row in table.rows] == ["Testdorp", "Elders", "Regio"]
    assert table.rows[-1][1:3] == ["6.915", "8.161"]  # the region's total: the members' sum
    standout = next(s for s in message.sections if s.title == "Opvallend").text
    assert standout == (
        "Testdorp: kosten per cliënt jeugdhulp € 16.000, hoger dan de andere gemeenten "
        "(mediaan € 12.000)."
    )
    text = to_text(message)
    assert "Geen cliëntgegevens in dit bericht" in text


def test_the_regional_digest_reaches_the_regions_channel_once(
    engine, config_dir, stored_members, tmp_path
):
    from sqlalchemy import select

    from monitorbot.config import Settings
    from monitorbot.forecast.spec import load_forecast_spec
    from monitorbot.service.regio import evaluate_region
    from monitorbot.store import db, models
    from tests.conftest import REPO

    path = _region_config(config_dir) / "regio" / "proefregio.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "    - {type: console}", "    - {type: bestand, map: regio-uit}"
        ),
        encoding="utf-8",
    )
    config = load_config(config_dir)
    settings = Settings(config_dir=config_dir, data_dir=tmp_path / "data")
    spec = load_forecast_spec(REPO / "forecasts")
    outcomes = [
        evaluate_region(engine, config, settings, spec, "proefregio", hand.PEILDATUM, now=hand.NOW)
        for _ in range(2)
    ]
    assert [queued for _, queued, _ in outcomes] == [1, 0]  # the second cycle: already told
    assert len(outcomes[0][2].verzonden) == 1
    with db.transaction(engine) as session:
        rows = session.scalars(select(models.Outbox).where(models.Outbox.regio == "proefregio"))
        (row,) = rows.all()
        assert (row.gemeente_code, row.status, row.kanaal) == (None, "verzonden", "regio")
        stored = session.scalars(select(models.RegioMomentopname.id)).all()
        assert len(stored) == 2  # each cycle stores the region; the digest went once
    (written,) = (tmp_path / "data" / "regio-uit").glob("*.txt")
    text = written.read_text(encoding="utf-8")
    assert "Proefregio: de gemeenten vergeleken" in text and "Polderzicht" in text


def test_a_month_one_member_lacks_does_not_take_it_from_the_others():
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    wave = np.sin(np.arange(24) / 3)
    gappy = pd.Series(wave, index=months)
    gappy.iloc[::2] = np.nan  # a member without cost every other month
    growth = pd.DataFrame({"a": wave, "b": 2 * wave, "c": gappy}, index=months)
    # a and b share all 24 months, each with c 12: mean overlap 16, correlation 1
    assert shrunk_mean_correlation(growth) == pytest.approx(
        (16 * 1.0 + PRIOR_WEIGHT * PRIOR) / (16 + PRIOR_WEIGHT)
    )


def test_a_dask_worker_is_sent_folders_but_no_secret(tmp_path, monkeypatch):
    import pickle

    from pydantic import SecretStr

    from monitorbot.config import Settings
    from monitorbot.service.regio import _worker_settings, without_secrets

    settings = Settings(
        config_dir=Path("config"),
        data_dir=tmp_path,
        database_url="postgresql+psycopg://monitor:wachtwoord-db@db.example/monitor",
        pseudonym_key=SecretStr("een-geheime-pseudoniemsleutel-123"),
        smtp_password=SecretStr("smtp-wachtwoord"),
    )
    sent = without_secrets(settings)
    wire = pickle.dumps(sent)
    for secret in (b"wachtwoord-db", b"pseudoniemsleutel", b"smtp-wachtwoord"):
        assert secret not in wire
    assert sent.config_dir.is_absolute()
    monkeypatch.setenv("MONITORBOT_DATABASE_URL", "postgresql+psycopg://worker@db/monitor")
    monkeypatch.setenv("MONITORBOT_SMTP_PASSWORD", "eigen-wachtwoord")
    worker = _worker_settings(sent)
    assert worker.database_url == "postgresql+psycopg://worker@db/monitor"
    assert worker.smtp_password.get_secret_value() == "eigen-wachtwoord"
    assert worker.config_dir == sent.config_dir
    monkeypatch.delenv("MONITORBOT_DATABASE_URL")
    with pytest.raises(RuntimeError, match="MONITORBOT_DATABASE_URL ontbreekt"):
        _worker_settings(sent)


def test_a_member_with_a_budget_but_no_prognosis_leaves_the_region_without_one(engine, config_dir):
    """Its budget would otherwise count as left over in the region's line."""
    from monitorbot.evaluate.engine import store_snapshot
    from monitorbot.store import db

    empty = _member("9996", "Kleindorp", 0.43)
    rows = [replace(r, model=None) for r in empty.begroting.rows]
    empty = replace(empty, begroting=replace(empty.begroting, rows=rows))
    with db.transaction(engine) as session:
        store_snapshot(session, _member("9995", "Polderzicht", 0.6))
        store_snapshot(session, empty)
    regio = _regio(engine, config_dir)
    jeugd = regio.rij("jeugd-zin")
    assert jeugd.regio is None and jeugd.restant_cents is None and jeugd.v_n == ""
    assert jeugd.begroting_cents == sum(m.begroting_cents for m in jeugd.leden)
    assert next(m for m in regio.leden if m.gemeente == "9996").ontbreekt == "geen gegevens"


def test_processes_are_refused_for_a_dask_cluster_that_has_its_own_workers(config_dir, tmp_path):
    from monitorbot.cli.app import app

    args = ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "data"), "regio"]
    refused = CliRunner().invoke(
        app,
        [
            *args,
            "cyclus",
            "--regio",
            "demoregio",
            "--dask",
            "tcp://10.0.0.1:8786",
            "--processen",
            "4",
        ],
    )
    assert refused.exit_code == 2
    assert "--processen geldt niet voor een bestaand Dask-cluster" in refused.output


def test_on_sqlite_the_members_go_one_by_one_and_dask_is_refused(config_dir, tmp_path):
    """SQLite has one writer: `regio cyclus` evaluates the members one after another (here
    two without any data yet) and stores the region, which names what it lacks."""
    from monitorbot.cli.app import app

    _region_config(config_dir)
    env = {"MONITORBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'regio.db'}"}
    args = ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "data"), "regio"]
    command = [*args, "cyclus", "--regio", "proefregio", "--as-of", "2026-11-10"]
    runner = CliRunner()
    cycle = runner.invoke(app, [*command, "--processen", "2"], env=env)
    assert cycle.exit_code == 0, cycle.output
    assert "SQLite heeft één schrijver: de gemeenten komen één voor één aan de beurt." in (
        cycle.output
    )
    assert re.search(r"Polderzicht \(9995\): \d+ signalering\(en\) actief", cycle.output)
    assert re.search(r"Kleindorp \(9996\): \d+ signalering\(en\) actief", cycle.output)
    shown = runner.invoke(
        app, [*args, "tabel", "--regio", "proefregio", "--as-of", "2026-11-10"], env=env
    )
    assert (
        "Polderzicht: geen gegevens." in shown.output
        and "Kleindorp: geen gegevens." in shown.output
    )
    refused = runner.invoke(app, [*command, "--dask", "lokaal"], env=env)
    assert refused.exit_code == 2 and "SQLite heeft één schrijver" in refused.output
