"""One truth per peildatum: every output of one evaluation shows the same figures.

On the demo at one peildatum, the kernteam message, the manager digest, the
controller workbook and the HTML report are rendered from the evaluation's
snapshot; every figure that appears in more than one of them — prognose,
restant, percentage, waiting time, counts — must be the same figure, rounded
only the way each output rounds.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from monitorbot.config import load_config
from monitorbot.core.calendar import Peildatum
from monitorbot.core.money import format_euros, format_percentage
from monitorbot.evaluate.engine import evaluate
from monitorbot.evaluate.rules import load_rules
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.notify.alerts import alert_messages
from monitorbot.notify.digest import digest_message
from monitorbot.notify.render import to_text
from monitorbot.report import html_report, workbook
from monitorbot.store import db

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 10, 8, tzinfo=UTC)
PEILDATUM = Peildatum.op(date(2026, 11, 10))
pytestmark = pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)


@pytest.fixture
def outputs(demo_database, tmp_path):
    config = load_config(ROOT / "config")
    spec = load_forecast_spec(ROOT / "forecasts")
    rules = load_rules([ROOT / "alerts"])
    with db.transaction(demo_database.engine) as session:
        evaluation = evaluate(session, config, spec, rules, "9999", now=NOW, peildatum=PEILDATUM)
        session.rollback()  # the shared demo database stays as it was
    snapshot = evaluation.snapshot
    kernteam = alert_messages(evaluation)["kernteam"]
    digest = digest_message(snapshot, with_workbook=False)
    book = load_workbook(workbook.write_workbook(snapshot, tmp_path / "w.xlsx"))
    page = html_report.render_html(snapshot)
    return snapshot, kernteam, digest, book, page


def _k(cents: float) -> str:
    return format_euros(round(cents), thousands=True)


def _euro_cell(cents: float) -> float:
    return float((Decimal(repr(cents)) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


def test_every_output_shows_the_snapshots_budget_figures(outputs):
    snapshot, kernteam, digest, book, page = outputs
    row = snapshot.budget_row("jeugd-zin")
    assert row is not None and row.v_n == "N"
    prognose, restant = row.prognose_cents, row.restant_cents

    # The kernteam message: whole euros.
    section = next(s for s in kernteam.sections if s.title == row.naam)
    fields = {f.label: f.value for f in section.fields}
    assert fields["Prognose"] == f"€ {format_euros(round(prognose))}"
    assert fields["Restant"] == f"€ {format_euros(round(restant))}"
    assert fields["Begroting"] == f"€ {format_euros(row.begroting_cents)}"

    # The digest: the table × € 1.000 and the highlight in whole euros, the same figure.
    table = digest.sections[0].table
    cells = next(r for r in table.rows if r[0] == row.naam)
    assert cells[1:6] == [
        _k(row.begroting_cents),
        _k(prognose),
        _k(restant),
        "N",
        format_percentage(row.afwijking),
    ]
    assert f"{row.naam}: prognose € {format_euros(round(prognose))}" in digest.sections[1].text

    # The workbook: euros to the cent.
    sheet = {r[0]: r for r in book["Begroting"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert sheet["jeugd-zin"][3] == _euro_cell(prognose)
    assert sheet["jeugd-zin"][4] == _euro_cell(restant)

    # The HTML report: the table × € 1.000.
    html_row = re.search(rf"<td[^>]*>{re.escape(row.naam)}</td>(.*?)</tr>", page).group(1)
    assert [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>.*?</td>", html_row)] == (
        cells[1:6]
    )


def test_waiting_times_and_counts_agree(outputs):
    snapshot, kernteam, digest, book, page = outputs
    above = [w for w in snapshot.wachttijden if w.mediaan_boven_norm]
    assert above, "the demo plants a provider above its norm"
    worst = max(above, key=lambda w: w.mediaan_dagen)
    days = f"{worst.mediaan_dagen:.0f}" if worst.mediaan_dagen.is_integer() else None
    assert days is not None
    assert (
        f"{worst.aanbieder} — {worst.perceel_naam}: mediaan {days} dagen" in digest.sections[3].text
    )
    sheet = list(book["Wachttijden"].iter_rows(min_row=3, values_only=True))
    assert (worst.perceel_naam, worst.aanbieder, worst.agb, worst.gestart, worst.mediaan_dagen) in {
        r[:5] for r in sheet
    }
    assert f">{days} d<" in page
    wait_alert = next(
        (s for s in kernteam.sections if s.title == f"{worst.aanbieder} — {worst.perceel_naam}"),
        None,
    )
    if wait_alert is not None:
        fields = {f.label: f.value for f in wait_alert.fields}
        assert fields["Mediane wachttijd"] == f"{days} dagen"

    # Counts: open alerts and quarantined files read the same in the digest and the page.
    open_alerts = len(snapshot.open)
    assert digest.sections[2].text.startswith(f"{open_alerts} open")
    assert f"{open_alerts} open, waarvan" in page
    quarantined = snapshot.datakwaliteit.geweigerde_bestanden
    assert f"{quarantined} bestand(en) in quarantaine" in digest.sections[4].text
    assert len(snapshot.geweigerd) >= quarantined


def test_every_output_names_the_peildatum_the_same_way(outputs):
    snapshot, kernteam, digest, book, page = outputs
    label = snapshot.peildatum.label
    assert label == "stand 10-11-2026"
    assert label in kernteam.title and label in digest.title
    assert label in to_text(kernteam) and label in page
    assert label in book["Begroting"]["A1"].value and label in book["Maanden"]["A1"].value
