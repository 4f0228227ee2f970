"""The budget report: the DOMAIN.md table from corrections alone, exact CSV, the demo's overrun."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.config import load_config
from monitorbot.forecast.prognosis import build_budget_report
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.report import budget_table
from monitorbot.store import db

REPO = Path(__file__).resolve().parents[1]

HEILOO = """code: "0399"
naam: Heiloo
"""
# The half-year report of DOMAIN.md, as a controller would enter it: budgets after
# the 1st firap and prognoses extrapolated by hand (no declarations ingested yet).
BEGROTING = """gemeente: "0399"
jaar: 2024
versies:
  - versie: "na 1e firap"
    vastgesteld_op: 2024-07-04
    bedragen:
      jeugd-zin: 4984400
      jeugd-pgb: 33400
      wmo-begeleiding-zin: 1772000
prognose_correcties:
  - perceel: jeugd-zin
    prognose: 6068600
    reden: "extrapolatie 1e halfjaar, 10 duurste cliënten apart geraamd"
    door: "controller sociaal domein"
    datum: 2024-07-15
  - perceel: jeugd-pgb
    prognose: 12400
    reden: "SVB-overzicht juni"
    door: "controller sociaal domein"
    datum: 2024-07-15
  - perceel: wmo-begeleiding-zin
    prognose: 1590000
    reden: "extrapolatie 1e halfjaar"
    door: "controller sociaal domein"
    datum: 2024-07-15
"""


@pytest.fixture
def heiloo(config_dir: Path) -> Path:
    (config_dir / "gemeenten" / "0399-heiloo.yaml").write_text(HEILOO, encoding="utf-8")
    (config_dir / "begroting" / "0399-2024.yaml").write_text(BEGROTING, encoding="utf-8")
    return config_dir


def _report(runner_args: list[str], config_dir: Path, database_url: str, tmp_path: Path):
    return CliRunner().invoke(
        app,
        [
            "--config-dir",
            str(config_dir),
            "--data-dir",
            str(tmp_path),
            "report",
            "budget",
            *runner_args,
        ],
        env={
            "MONITORBOT_DATABASE_URL": database_url,
            "MONITORBOT_FORECASTS_DIR": str(REPO / "forecasts"),
        },
    )


def test_markdown_reproduces_the_council_table_from_corrections_alone(
    heiloo, database_url, tmp_path
):
    result = _report(
        ["--gemeente", "0399", "--year", "2024", "--as-of", "2024-07", "--format", "markdown"],
        heiloo,
        database_url,
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        "| perceel | Begroting 2024 na 1e firap | Prognose 2024 | Restant-budget | V/N | "
        "afwijking in % |" in lines
    )
    assert "| Jeugd zorg in natura (ZIN) | 4.984 | 6.069 * | -1.084 | N | -22% |" in lines
    assert "| Jeugd pers.geb. budget (PGB) | 33 | 12 * | 21 | V | 63% |" in lines
    assert "| Wmo begeleiding ZIN | 1.772 | 1.590 * | 182 | V | 10% |" in lines
    assert any(
        line.startswith(
            "* Jeugd zorg in natura (ZIN): correctie 6.069 door controller "
            "sociaal domein (15-07-2024): extrapolatie 1e halfjaar"
        )
        for line in lines
    )


def test_csv_has_exact_columns_unrounded_amounts_and_totals(heiloo, database_url, tmp_path):
    result = _report(
        ["--gemeente", "0399", "--year", "2024", "--as-of", "2024-07", "--format", "csv-punt"],
        heiloo,
        database_url,
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == [
        "perceel",
        "naam",
        "begroting",
        "prognose",
        "restant",
        "v_n",
        "afwijking_pct",
        "bron",
    ]
    by_id = {row["perceel"]: row for row in rows}
    assert by_id["jeugd-zin"] == {
        "perceel": "jeugd-zin",
        "naam": "Jeugd zorg in natura (ZIN)",
        "begroting": "4984400.00",
        "prognose": "6068600.00",
        "restant": "-1084200.00",
        "v_n": "N",
        "afwijking_pct": "-21.75",
        "bron": "correctie",
    }
    assert by_id["jeugd-pgb"]["afwijking_pct"] == "62.87"
    assert [row["perceel"] for row in rows] == [
        "jeugd-zin",
        "jeugd-pgb",
        "wmo-begeleiding-zin",
        "domein:jeugd",
        "domein:wmo",
        "totaal",
    ]
    assert by_id["totaal"]["begroting"] == "6789800.00"
    assert by_id["totaal"]["prognose"] == "7671000.00"
    assert by_id["totaal"]["restant"] == "-881200.00"


def test_csv_is_for_dutch_excel_by_default(heiloo, database_url, tmp_path):
    """`;` between columns, a decimal comma and a byte-order mark: Excel-NL reads numbers."""
    result = _report(
        ["--gemeente", "0399", "--year", "2024", "--as-of", "2024-07", "--format", "csv"],
        heiloo,
        database_url,
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "\ufeffperceel;naam;begroting;prognose;restant;v_n;afwijking_pct;bron"
    assert (
        "jeugd-zin;Jeugd zorg in natura (ZIN);4984400,00;6068600,00;-1084200,00;N;-21,75;correctie"
        in lines
    )
    assert lines[-1].startswith("totaal;") and ";6789800,00;7671000,00;-881200,00;N;" in lines[-1]


def test_xlsx_holds_numbers_not_text(heiloo, database_url, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "begroting.xlsx"
    result = _report(
        [
            "--gemeente",
            "0399",
            "--year",
            "2024",
            "--as-of",
            "2024-07",
            "--format",
            "xlsx",
            "--out",
            str(out),
        ],
        heiloo,
        database_url,
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    values = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert values["jeugd-zin"][2:5] == (4984400.0, 6068600.0, -1084200.0)
    assert values["jeugd-zin"][5] == "N"
    assert sheet.freeze_panes == "C3"


def test_unknown_gemeente_and_bad_month_are_usage_errors(heiloo, database_url, tmp_path):
    assert (
        _report(["--gemeente", "1234", "--year", "2024"], heiloo, database_url, tmp_path).exit_code
        == 2
    )
    assert (
        _report(
            ["--gemeente", "0399", "--year", "2024", "--as-of", "juni"],
            heiloo,
            database_url,
            tmp_path,
        ).exit_code
        == 2
    )


def test_demo_prognosis_shows_the_youth_overrun_and_brackets_the_truth(
    demo_dir, demo_database, config_dir
):
    """On the demo, as known on 10 Nov 2026: youth care ends ~20 % over budget (planted)."""
    engine = demo_database.engine
    config = load_config(config_dir)
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    with db.transaction(engine) as session:
        report = build_budget_report(
            session,
            config,
            load_forecast_spec(REPO / "forecasts"),
            "9999",
            2026,
            date(2026, 11, 10),
        )
    rows = {row.perceel: row for row in report.rows}
    youth = rows["jeugd-zin"]
    assert youth.v_n == "N" and youth.afwijking < -0.10
    truth = sum(
        cents
        for perceel, cents in manifest["truth_totals_cents"]["2026"].items()
        if config.percelen.top_level(perceel) == "jeugd-zin"
    )
    assert abs(youth.prognose_cents - truth) / truth < 0.05
    assert youth.model.lo95 <= truth <= youth.model.hi95
    assert rows["wmo-begeleiding-zin"].v_n == "V"
    text = budget_table.to_table(report)
    assert "Jeugd zorg in natura (ZIN)" in text and "Totaal" in text


def test_provider_prognoses_against_budget_indications(demo_database, config_dir):
    from monitorbot.forecast.prognosis import provider_prognoses

    config = load_config(config_dir)
    with db.transaction(demo_database.engine) as session:
        rows = provider_prognoses(
            session, config, load_forecast_spec(REPO / "forecasts"), "9999", 2026, date(2026, 11, 1)
        )
    by_agb = {row.agb: row for row in rows}
    assert set(by_agb) == {
        i.aanbieder for i in config.gemeente("9999").budgetindicaties if i.jaar == 2026
    }
    for row in rows:
        assert row.model.lo80 <= row.model.mid <= row.model.hi80
        crossed = row.model.mid > row.budgetindicatie_cents
        assert (row.overschrijding_maand is not None) == crossed
        if crossed:
            assert row.overschrijding_maand.year == 2026


def test_a_correction_counts_from_its_date_and_not_once_the_year_is_closed(
    heiloo, database_url, tmp_path
):
    """What was known at the peildatum: the correction of 15 July, not before, not after 2024."""

    def jeugd(as_of: str) -> dict[str, str]:
        result = _report(
            ["--gemeente", "0399", "--year", "2024", "--as-of", as_of, "--format", "csv-punt"],
            heiloo,
            database_url,
            tmp_path,
        )
        assert result.exit_code == 0, result.output
        rows = {row["perceel"]: row for row in csv.DictReader(io.StringIO(result.output))}
        return rows["jeugd-zin"]

    assert jeugd("2024-07")["bron"] == "correctie"
    assert jeugd("2024-07")["prognose"] == "6068600.00"
    before = jeugd("2024-07-14")  # adopted on 4 July, corrected on the 15th
    assert before["begroting"] == "4984400.00" and before["bron"] != "correctie"
    assert jeugd("2025-04")["bron"] != "correctie"  # closed: its realisation, no correction


def test_budget_versions_and_corrections_as_known_at_a_peildatum():
    from monitorbot.config.models import Begroting
    from monitorbot.core.calendar import Peildatum

    begroting = Begroting.model_validate(
        {
            "gemeente": "0399",
            "jaar": 2026,
            "versies": [
                {"versie": "primitief", "vastgesteld_op": "2025-11-06", "bedragen": {"a": 100}},
                {"versie": "na 1e firap", "vastgesteld_op": "2026-07-02", "bedragen": {"a": 120}},
            ],
            "prognose_correcties": [
                {
                    "perceel": "a",
                    "prognose": 130,
                    "reden": "eerste",
                    "door": "cs",
                    "datum": "2026-03-10",
                },
                {
                    "perceel": "a",
                    "prognose": 150,
                    "reden": "tweede",
                    "door": "cs",
                    "datum": "2026-09-01",
                    "tot": "2026-10-31",
                },
            ],
        }
    )
    at = Peildatum.parse
    assert begroting.versie_op(at("2025-10")) is None
    assert begroting.versie_op(at("2026-01")).versie == "primitief"
    assert begroting.versie_op(at("2026-07-01")).versie == "primitief"
    assert begroting.versie_op(at("2026-07-02")).versie == "na 1e firap"
    assert begroting.correcties_op(at("2026-03-09")) == {}
    assert begroting.correcties_op(at("2026-03-10"))["a"].reden == "eerste"
    assert begroting.correcties_op(at("2026-09"))["a"].reden == "tweede"
    assert begroting.correcties_op(at("2026-11"))["a"].reden == "eerste"  # the second ended
    assert begroting.correcties_op(at("2027-04")) == {}  # the year is closed
