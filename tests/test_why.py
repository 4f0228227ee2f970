"""Growth decomposition on a constructed set with known answers (both databases)."""

from __future__ import annotations

from datetime import date

import pytest

from monitorbot.forecast.results import ClientFigures, decompose
from monitorbot.forecast.why import client_figures
from monitorbot.store import db, models
from tests.messages import declaration_row, source_file_row


def _rows(year: int, costs: dict[str, int]) -> list[models.Declaratieregel]:
    """One line per client, all in March of `year`, declared in April."""
    return [
        declaration_row(
            client=client, cents=cents, month=date(year, 3, 1), declared=date(year, 4, 5)
        )
        for client, cents in costs.items()
    ]


# Year 0: ten big clients of €10.000 and 90 others of €1.000 → €190.000.
YEAR0 = {f"big{i}": 1_000_000 for i in range(10)} | {f"c{i}": 100_000 for i in range(90)}
# Year 1: big ones €13.000 each, 100 others of €1.100 → €240.000 (+26,3 %).
YEAR1 = {f"big{i}": 1_300_000 for i in range(10)} | {f"c{i}": 110_000 for i in range(100)}


@pytest.fixture
def seeded(engine):
    with db.transaction(engine) as session:
        session.add(source_file_row())
        session.flush()
        session.add_all(_rows(2024, YEAR0) + _rows(2025, YEAR1))
        # another municipality's client must not count
        other = _rows(2025, {"zzz": 9_999_999})[0]
        other.gemeente_code = "0399"
        session.add(other)
    return engine


def test_client_figures_are_aggregates_computed_in_sql(seeded):
    with db.transaction(seeded) as session:
        figures = client_figures(
            session, "9999", ["jeugd-ambulant"], 2025, high_cost_cents=1_200_000
        )
    assert figures == ClientFigures(
        jaar=2025, kosten_cents=24_000_000, clienten=110, top10_cents=13_000_000, boven_grens=10
    )
    assert figures.top10_aandeel == pytest.approx(13 / 24)


def test_decomposition_adds_up_exactly_and_reads_like_the_council_report(seeded):
    with db.transaction(seeded) as session:
        y0 = client_figures(session, "9999", ["jeugd-ambulant"], 2024, high_cost_cents=10**9)
        y1 = client_figures(session, "9999", ["jeugd-ambulant"], 2025, high_cost_cents=10**9)
    d = decompose(y0, y1)
    assert d.groei == pytest.approx(50_000 / 190_000)
    assert d.top10 == pytest.approx(30_000 / 190_000)  # 10 × €3.000 more
    assert d.clienten_effect == pytest.approx(10 * 1_000 / 190_000)  # 10 more × old €1.000
    assert d.kosten_per_client_effect == pytest.approx(100 * 100 / 190_000)  # 100 × €100 more
    assert d.top10 + d.clienten_effect + d.kosten_per_client_effect == pytest.approx(d.groei)
    assert d.unieke_clienten_groei == pytest.approx(0.10)
    assert d.zin() == (
        "Kostengroei +26,3% (inclusief indexatie): +15,8 %-punt door de 10 "
        "duurste cliënten, +5,3 %-punt door hogere kosten per cliënt, "
        "+5,3 %-punt door het aantal cliënten; unieke cliënten +10,0%."
    )


def test_indexation_is_taken_out_of_cost_per_client():
    y0 = ClientFigures(2024, 1_000_000, 100, 0, 0)
    y1 = ClientFigures(2025, 1_100_000, 100, 0, 0)
    d = decompose(y0, y1, indexatie=0.10)
    assert d.groei == pytest.approx(0.0)
    assert d.kosten_per_client_groei == pytest.approx(0.0)
    assert "exclusief indexatie van 10,0%" in d.zin()


def test_report_groei_explains_the_demo_youth_growth(demo_database, config_dir, tmp_path):
    from typer.testing import CliRunner

    from monitorbot.cli.app import app

    url = demo_database.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app,
        [
            "--config-dir",
            str(config_dir),
            "--data-dir",
            str(tmp_path),
            "report",
            "groei",
            "--gemeente",
            "9999",
            "--year",
            "2025",
            "--as-of",
            "2026-10",
        ],
        env={"MONITORBOT_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    youth = result.output.split("Jeugd zorg in natura (ZIN):")[1].split("\n\n")[0]
    assert "door de 10 duurste cliënten" in youth
    assert "exclusief indexatie van" in youth
    assert "boven € 250.000" in youth
