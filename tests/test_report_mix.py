"""Mix per perceel on a constructed set with known answers; `report mix` and `report maanden`."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.config import load_config
from monitorbot.forecast.mix import perceel_mix, provider_mix
from monitorbot.forecast.prognosis import build_budget_report, monthly_prognosis
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.store import db, models
from tests.conftest import CONFIG_DIR
from tests.messages import declaration_row, source_file_row

REPO = Path(__file__).resolve().parents[1]
EURO = 100  # cents
AMBULANT, VERBLIJF, HH, TAXI = "98990101", "98990105", "98990203", "98990205"
KNIKKERBAAN = "98990102"
BSN_LIKE = re.compile(r"(?<!\d)\d{9}(?!\d)")


def _row(client, euros, month, perceel, aanbieder, *, declared=None, gemeente="9999"):
    row = declaration_row(
        client=client,
        cents=euros * EURO,
        month=date(2025, month, 1),
        declared=declared or date(2025, month + 1, 5),
        gemeente=gemeente,
        perceel=perceel,
    )
    row.aanbieder_agb = aanbieder
    return row


# Known before 1 June 2025. Jeugd: ambulant €5.000 (a, b, c; d's debit is fully
# credited, so d is no client), verblijf €5.000 (a again: the parent has 3 clients,
# not 4). Wmo: huishoudelijke hulp €1.000 (e, f), regiotaxi €1.000 (e). Niet
# ingedeeld €3.000 (x). Total €15.000 and 6 clients.
ROWS = [
    ("a", 1_000, 1, "jeugd-ambulant", AMBULANT),
    ("b", 3_000, 2, "jeugd-ambulant", KNIKKERBAAN),
    ("c", 1_000, 3, "jeugd-ambulant", AMBULANT),
    ("d", 2_000, 3, "jeugd-ambulant", KNIKKERBAAN),
    ("d", -2_000, 3, "jeugd-ambulant", KNIKKERBAAN),
    ("a", 5_000, 3, "jeugd-verblijf", VERBLIJF),
    ("e", 500, 1, "wmo-hh-zin", HH),
    ("f", 500, 2, "wmo-hh-zin", HH),
    ("e", 1_000, 1, "wmo-regiotaxi", TAXI),
    ("x", 3_000, 1, "niet-ingedeeld", AMBULANT),
]


@pytest.fixture
def seeded(engine):
    with db.transaction(engine) as session:
        session.add(source_file_row())
        session.flush()
        session.add_all(_row(*spec) for spec in ROWS)
        # A late declaration: care in February, declared in June.
        session.add(_row("g", 4_000, 2, "jeugd-ambulant", AMBULANT, declared=date(2025, 6, 10)))
        # Other years and another municipality must not count.
        session.add(
            declaration_row(
                client="h", cents=7_000 * EURO, month=date(2024, 12, 1), declared=date(2025, 1, 5)
            )
        )
        session.add(_row("zzz", 99_999, 2, "jeugd-ambulant", AMBULANT, gemeente="0399"))
    return engine


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG_DIR)


def _mix(engine, config, gemeente="9999", **kwargs):
    kwargs.setdefault("known_before", date(2025, 6, 1))
    with db.transaction(engine) as session:
        lines = perceel_mix(session, config.percelen, gemeente, 2025, **kwargs)
    return {line.perceel: line for line in lines}


def test_cost_and_clients_per_perceel_with_exact_shares(seeded, config):
    mix = _mix(seeded, config)
    assert list(mix) == [
        "jeugd-zin",
        "jeugd-ambulant",
        "jeugd-verblijf",
        "wmo-hh-zin",
        "wmo-regiotaxi",
        "niet-ingedeeld",
        "domein:jeugd",
        "domein:wmo",
        "domein:overig",
        "totaal",
    ]
    ambulant = mix["jeugd-ambulant"]
    assert (ambulant.niveau, ambulant.kosten_cents, ambulant.clienten) == (
        "onderdeel",
        5_000 * EURO,
        3,
    )
    assert ambulant.kosten_aandeel_domein == pytest.approx(5 / 10)
    assert ambulant.kosten_aandeel_totaal == pytest.approx(5 / 15)
    assert ambulant.clienten_aandeel_domein == pytest.approx(3 / 3)
    assert ambulant.clienten_aandeel_totaal == pytest.approx(3 / 6)
    taxi = mix["wmo-regiotaxi"]
    assert (taxi.kosten_cents, taxi.clienten) == (1_000 * EURO, 1)
    assert taxi.clienten_aandeel_domein == pytest.approx(1 / 2)
    unmapped = mix["niet-ingedeeld"]
    assert (unmapped.naam, unmapped.domein, unmapped.kosten_cents) == (
        "Niet ingedeeld",
        "overig",
        3_000 * EURO,
    )
    total = mix["totaal"]
    assert (total.kosten_cents, total.clienten) == (15_000 * EURO, 6)
    assert isinstance(total.kosten_cents, int)


def test_a_sub_perceel_rolls_into_its_parent_and_clients_are_not_counted_twice(seeded, config):
    mix = _mix(seeded, config)
    parent = mix["jeugd-zin"]
    assert parent.niveau == "perceel"
    assert parent.kosten_cents == mix["jeugd-ambulant"].kosten_cents + (
        mix["jeugd-verblijf"].kosten_cents
    )
    assert parent.clienten == 3  # a has ambulant care and verblijf
    assert mix["domein:jeugd"].clienten == 3
    assert mix["domein:jeugd"].kosten_cents == parent.kosten_cents


def test_cost_shares_add_up_to_100_percent(seeded, config):
    mix = _mix(seeded, config)
    top = [line for line in mix.values() if line.niveau == "perceel"]
    assert sum(line.kosten_aandeel_totaal for line in top) == pytest.approx(1.0)
    for domain in ("jeugd", "wmo", "overig"):
        in_domain = [line for line in top if line.domein == domain]
        assert sum(line.kosten_aandeel_domein for line in in_domain) == pytest.approx(1.0)
    domains = [line for line in mix.values() if line.niveau == "domein"]
    assert sum(line.kosten_aandeel_totaal for line in domains) == pytest.approx(1.0)
    children = [line for line in mix.values() if line.niveau == "onderdeel"]
    assert sum(line.kosten_aandeel_domein for line in children) == pytest.approx(
        mix["jeugd-zin"].kosten_aandeel_domein
    )


def test_scoped_by_gemeente(seeded, config):
    assert _mix(seeded, config)["totaal"].kosten_cents == 15_000 * EURO
    other = _mix(seeded, config, gemeente="0399")
    assert list(other) == ["jeugd-zin", "jeugd-ambulant", "domein:jeugd", "totaal"]
    assert (other["totaal"].kosten_cents, other["totaal"].clienten) == (99_999 * EURO, 1)


def test_as_of_cut_and_care_months(seeded, config):
    everything = _mix(seeded, config, known_before=None)
    assert everything["jeugd-ambulant"].kosten_cents == 9_000 * EURO  # g, declared in June
    assert everything["jeugd-ambulant"].clienten == 4
    january = _mix(seeded, config, through_month=1)
    assert january["jeugd-ambulant"].kosten_cents == 1_000 * EURO
    assert "jeugd-verblijf" not in january
    assert january["totaal"].kosten_cents == 5_500 * EURO


def test_providers_top_n_and_the_rest(seeded, config):
    with db.transaction(seeded) as session:
        blocks = provider_mix(session, config, "9999", 2025, top=1, known_before=date(2025, 6, 1))
    by_perceel = {block.perceel: block for block in blocks}
    youth = by_perceel["jeugd-zin"]
    assert youth.kosten_cents == 10_000 * EURO
    (first, rest) = youth.aanbieders
    assert (first.agb, first.naam, first.kosten_cents) == (
        VERBLIJF,
        "Behandelcentrum De Boomhut",
        5_000 * EURO,
    )
    assert (rest.agb, rest.kosten_cents, rest.aantal) == (None, 5_000 * EURO, 2)
    assert first.aandeel == pytest.approx(0.5) and rest.aandeel == pytest.approx(0.5)
    ambulant = by_perceel["jeugd-ambulant"]
    assert [(s.agb, s.kosten_cents) for s in ambulant.aanbieders] == [
        (KNIKKERBAAN, 3_000 * EURO),  # d's debit and credit cancel out
        (None, 2_000 * EURO),
    ]
    for block in blocks:
        assert sum(s.aandeel for s in block.aanbieders) == pytest.approx(1.0)


# --------------------------------------------------------------------------- demo CLI


def _invoke(demo_database, config_dir: Path, tmp_path: Path, *args: str):
    url = demo_database.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(
        app,
        ["--config-dir", str(config_dir), "--data-dir", str(tmp_path), "report", *args],
        env={"MONITORBOT_DATABASE_URL": url, "MONITORBOT_FORECASTS_DIR": str(REPO / "forecasts")},
    )


def _pseudonyms(demo_database) -> set[str]:
    line = models.Declaratieregel
    with db.transaction(demo_database.engine) as session:
        return set(session.scalars(select(line.client_pseudoniem).distinct()))


@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)
def test_report_mix_and_maanden_on_the_demo(demo_database, config_dir, tmp_path):
    common = ["--gemeente", "9999", "--year", "2026", "--as-of", "2026-10"]
    mix = _invoke(demo_database, config_dir, tmp_path, "mix", *common, "--top", "3")
    assert mix.exit_code == 0, mix.output
    assert "Jeugd zorg in natura (ZIN)" in mix.output and "overige (" in mix.output
    assert re.search(r"^Totaal .* 100,0%", mix.output, re.MULTILINE)

    months = _invoke(
        demo_database,
        config_dir,
        tmp_path,
        "maanden",
        *common,
        "--perceel",
        "jeugd-zin",
        "--format",
        "csv-punt",
    )
    assert months.exit_code == 0, months.output
    rows = list(csv.DictReader(io.StringIO(months.output)))
    assert list(rows[0]) == [
        "maand",
        "gedeclareerd",
        "verwacht_compleet",
        "prognose",
        "lo80",
        "hi80",
    ]
    assert [row["maand"] for row in rows] == [f"2026-{m:02d}" for m in range(1, 13)]
    past, future = rows[:10], rows[10:]
    for row in past:
        assert row["prognose"] == row["lo80"] == row["hi80"] == ""
        # Late credits may lower a month a little (the nowcast expects them), never much.
        assert float(row["verwacht_compleet"]) >= float(row["gedeclareerd"]) * 0.999
    # The recent months are incomplete: the nowcast adds what is still to come.
    for row in past[-3:]:
        assert float(row["verwacht_compleet"]) > float(row["gedeclareerd"])
    for row in future:
        assert row["gedeclareerd"] == row["verwacht_compleet"] == ""
        assert float(row["lo80"]) <= float(row["prognose"]) <= float(row["hi80"])

    table = _invoke(
        demo_database, config_dir, tmp_path, "maanden", *common, "--perceel", "jeugd-zin"
    )
    assert table.exit_code == 0, table.output
    assert "verwacht compleet" in table.output and "80%-interval" in table.output

    pseudonyms = _pseudonyms(demo_database)
    for output in (mix.output, months.output, table.output):
        assert not BSN_LIKE.search(output)
        assert not any(p in output for p in pseudonyms)


@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)
def test_months_add_up_to_the_budget_reports_model_figure(demo_database, config_dir):
    config = load_config(config_dir)
    spec = load_forecast_spec(REPO / "forecasts")
    as_of = date(2026, 11, 1)
    with db.transaction(demo_database.engine) as session:
        months = monthly_prognosis(session, config, spec, "9999", "jeugd-zin", 2026, as_of)
        report = build_budget_report(session, config, spec, "9999", 2026, as_of)
    row = next(r for r in report.rows if r.perceel == "jeugd-zin")
    path = sum(
        m.verwacht_compleet_cents if m.prognose is None else m.prognose.mid for m in months.maanden
    )
    assert path == pytest.approx(row.model.mid)
    assert months.model.mid == pytest.approx(row.model.mid)
    assert sum(m.gedeclareerd_cents or 0 for m in months.maanden) == pytest.approx(
        row.gedeclareerd_cents
    )


def test_unknown_perceel_is_a_usage_error(config_dir, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "--config-dir",
            str(config_dir),
            "--data-dir",
            str(tmp_path),
            "report",
            "maanden",
            "--gemeente",
            "9999",
            "--year",
            "2026",
            "--perceel",
            "jeugd-onbekend",
        ],
        env={"MONITORBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'leeg.db'}"},
    )
    assert result.exit_code == 2
    assert "jeugd-onbekend" in result.output
