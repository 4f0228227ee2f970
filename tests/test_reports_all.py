"""`monitorbot report all`: the controller workbook and the kernteam page, on the demo.

The workbook is opened as a controller's Excel would read it: its numbers must
be the budget report's, to the cent, stored as numbers with euro and percentage
formats under a frozen header. Neither file may hold a BSN or a pseudonym. The
HTML page is rendered by headless Chromium to prove it shows without a network.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.config import load_config
from monitorbot.core.calendar import Peildatum
from monitorbot.core.money import format_euros
from monitorbot.core.privacy import passes_elfproef, redact
from monitorbot.core.states import AlertStatus, Ernst
from monitorbot.evaluate.engine import report_snapshot
from monitorbot.evaluate.snapshot import AlertLogEntry, Snapshot
from monitorbot.forecast.prognosis import build_budget_report, provider_prognoses
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.report import html_report, workbook
from monitorbot.store import db, models
from tests.conftest import CONFIG_DIR, chromium_binary

REPO = Path(__file__).resolve().parents[1]
# --as-of 2026-11-10: everything known on the demo's day (its files, findings and
# quarantined messages all arrived that morning, so an earlier peildatum knows none of them).
PEILDATUM = Peildatum.op(date(2026, 11, 10))
AS_OF = PEILDATUM.grens
DEMO_NOW = datetime(2026, 11, 10, 8, tzinfo=UTC)
SHEETS = [
    "Begroting",
    "Maanden",
    "Aanbieders",
    "Toewijzingen",
    "Wachttijden",
    "Datakwaliteit",
    "Signaleringen",
]
DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")
NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
LONG_HEX = re.compile(r"[0-9a-f]{32}")

pytestmark = pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)


@dataclasses.dataclass
class Written:
    xlsx: Path
    html: Path
    output: str


@pytest.fixture(scope="module")
def written(demo_database, tmp_path_factory: pytest.TempPathFactory) -> Written:
    """`report all` run once through the CLI on the demo database."""
    folder = tmp_path_factory.mktemp("rapporten")
    result = CliRunner().invoke(
        app,
        [
            "--config-dir",
            str(CONFIG_DIR),
            "--data-dir",
            str(folder / "data"),
            "report",
            "all",
            "--gemeente",
            "9999",
            "--as-of",
            "2026-11-10",
            "--out",
            str(folder / "uit"),
        ],
        env={
            "MONITORBOT_DATABASE_URL": demo_database.engine.url.render_as_string(
                hide_password=False
            ),
            "MONITORBOT_FORECASTS_DIR": str(REPO / "forecasts"),
        },
    )
    assert result.exit_code == 0, result.output
    return Written(
        folder / "uit" / "monitorbot-9999-2026-11-10.xlsx",
        folder / "uit" / "monitorbot-9999-2026-11-10.html",
        result.output,
    )


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG_DIR)


@pytest.fixture(scope="module")
def spec():
    return load_forecast_spec(REPO / "forecasts")


@pytest.fixture(scope="module")
def budget(demo_database, config, spec):
    """The budget report computed on its own: what the workbook must agree with."""
    with db.transaction(demo_database.engine) as session:
        return build_budget_report(session, config, spec, "9999", 2026, AS_OF)


@pytest.fixture(scope="module")
def collected(demo_database, config, spec) -> Snapshot:
    with db.transaction(demo_database.engine) as session:
        return report_snapshot(session, config, spec, "9999", PEILDATUM, now=DEMO_NOW)


def _cents(value: float | int) -> Decimal:
    """A workbook euro figure as exact cents (it holds two decimals at most)."""
    return Decimal(str(value)) * 100


def _header(sheet, row: int = 2) -> list[str]:
    return [cell.value for cell in sheet[row] if cell.value is not None]


def test_report_all_writes_both_files_and_says_where(written):
    assert written.xlsx.exists() and written.html.exists()
    assert str(written.xlsx) in written.output.replace("\n", "")
    assert str(written.html) in written.output.replace("\n", "")


def test_budget_sheet_holds_the_budget_report_to_the_cent(written, budget):
    report = budget
    sheet = load_workbook(written.xlsx)["Begroting"]
    assert report.versie and report.versie in sheet["A1"].value
    assert sheet.freeze_panes == "C3"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=3) if row[0].value}
    expected = [*report.body, *report.totals]
    assert [r.perceel for r in expected] == [k for k in rows if k in {r.perceel for r in expected}]
    for line in expected:
        cells = rows[line.perceel]
        for cell, cents in zip(
            cells[2:5], (line.begroting_cents, line.prognose_cents, line.restant_cents), strict=True
        ):
            if cents is None:
                assert cell.value is None
                continue
            assert isinstance(cell.value, (int, float)), (line.perceel, cell.value)
            assert _cents(cell.value) == round(cents), (line.perceel, cell.coordinate)
            assert "€" in cell.number_format and "#,##0" in cell.number_format
        assert (cells[5].value or "") == line.v_n
        if line.afwijking is not None:
            assert cells[6].value == pytest.approx(line.afwijking)
            assert cells[6].number_format.endswith("%")
    totaal = rows["totaal"]
    assert totaal[2].font.bold and totaal[5].value == report.rows[-1].v_n
    rules = {str(cf.sqref): cf.rules for cf in sheet.conditional_formatting}
    v_n_rules = next(r for ref, r in rules.items() if ref.startswith("F3:"))
    assert {rule.formula[0] for rule in v_n_rules} == {'"N"', '"V"'}


def test_every_sheet_has_its_title_headers_and_a_frozen_header(written):
    book = load_workbook(written.xlsx)
    assert book.sheetnames == SHEETS
    expected_headers = {
        "Maanden": ["perceel", "naam", "zorgmaand", "gedeclareerd", "verwacht compleet"],
        "Aanbieders": ["AGB", "aanbieder", "budgetindicatie 2026"],
        "Toewijzingen": ["perceel", "AGB", "aanbieder", "lopende toewijzingen", "cliënten"],
        "Wachttijden": ["perceel", "aanbieder", "AGB", "gestart", "mediaan (dagen)"],
        "Datakwaliteit": ["soort", "betekenis", "aanbieder", "AGB", "aantal"],
        "Signaleringen": ["status", "ernst", "regel", "titel", "sinds", "bevestigd door"],
    }
    for name, headers in expected_headers.items():
        sheet = book[name]
        assert sheet["A1"].value, name
        assert _header(sheet)[: len(headers)] == headers, name
        assert sheet.freeze_panes and sheet.freeze_panes.endswith("3"), name
        assert sheet.column_dimensions["A"].width > 8, name


def test_months_are_numbers_and_add_up_to_the_model(written, budget):
    youth = next(r for r in budget.rows if r.perceel == "jeugd-zin")
    sheet = load_workbook(written.xlsx)["Maanden"]
    rows = [row for row in sheet.iter_rows(min_row=3) if row[0].value == "jeugd-zin"]
    months, year = rows[:12], rows[12]
    assert [m[2].value for m in months] == [datetime(2026, month, 1) for month in range(1, 13)]
    assert all(m[2].number_format == "mmm yyyy" for m in months)
    october, november = months[9], months[10]
    assert october[4].value is not None and october[5].value is None  # data: no forecast
    assert november[3].value is None and november[5].value is not None  # forecast
    assert november[6].value < november[5].value < november[7].value
    for row in months:
        for cell in row[3:9]:
            assert cell.value is None or isinstance(cell.value, (int, float))
    assert _cents(year[8].value) == round(youth.model.mid)
    total = sum(_cents(m[8].value) for m in months)
    assert abs(total - round(youth.model.mid)) <= 12  # each month rounded to the cent


def test_providers_and_waiting_times(written, demo_database, config, spec):
    with db.transaction(demo_database.engine) as session:
        providers = provider_prognoses(session, config, spec, "9999", 2026, AS_OF)
    book = load_workbook(written.xlsx)
    sheet = book["Aanbieders"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=3) if row[0].value}
    assert set(rows) == {p.agb for p in providers}
    for provider in providers:
        cells = rows[provider.agb]
        assert _cents(cells[2].value) == provider.budgetindicatie_cents
        assert _cents(cells[4].value) == round(provider.model.mid)
        assert _cents(cells[7].value) == round(provider.restant_cents)
        crossed = provider.overschrijding_maand
        assert (cells[9].value.date() if cells[9].value else None) == crossed

    waits = book["Wachttijden"]
    lines = [row for row in waits.iter_rows(min_row=3, values_only=True) if row[0]]
    assert lines and all(isinstance(line[4], (int, float)) for line in lines)
    above = [line for line in lines if line[6] is not None and line[4] > line[6]]
    assert above, "the demo plants a provider far above its waiting-time norm"
    formulas = [rule.formula[0] for cf in waits.conditional_formatting for rule in cf.rules]
    assert any("E3>$G3" in formula for formula in formulas)


def test_running_allocations_are_the_snapshots_and_no_row_is_about_fewer_than_ten(
    written, collected
):
    """The demo's allocations carry an Omvang: valued at the tariffs declared, per perceel
    and provider, small providers together."""
    rows = [
        r
        for r in load_workbook(written.xlsx)["Toewijzingen"].iter_rows(min_row=3, values_only=True)
    ]
    assert collected.verplichtingen, "the demo's allocations run into 2027"
    assert [(r[1], r[3], r[4]) for r in rows] == [
        (v.agb, v.toewijzingen, v.clienten) for v in collected.verplichtingen
    ]
    assert all(r[4] >= 10 for r in rows)
    assert all(
        _cents(r[5]) == round(v.bedrag_cents)
        for r, v in zip(rows, collected.verplichtingen, strict=True)
    )
    assert sum(v.bedrag_cents for v in collected.verplichtingen) > 0


def test_data_quality_counts_without_raw_values(written, demo_database):
    with db.transaction(demo_database.engine) as session:
        kinds = set(session.scalars(select(models.Bevinding.soort).distinct()))
        rejected = session.scalars(
            select(models.Bronbestand.bestandsnaam).where(
                models.Bronbestand.gemeente_code == "9999",
                models.Bronbestand.status == "geweigerd",
            )
        ).all()
    sheet = load_workbook(written.xlsx)["Datakwaliteit"]
    values = [row for row in sheet.iter_rows(values_only=True)]
    shown = {row[0] for row in values[2:] if row[0] in kinds}
    assert shown, "the demo plants findings"
    counts = [row[4] for row in values[2:] if row[0] in kinds]
    assert all(isinstance(n, int) and n > 0 for n in counts)
    names = {Path(name).name for name in rejected}
    assert names and names <= {row[1] for row in values if row[1]}
    assert redact("BSN 123456782 in regel 3") == "BSN <9 cijfers verborgen> in regel 3"


def test_alert_log_shows_values_in_their_unit(collected, tmp_path):
    """The demo database has no evaluations, so the log is given two alerts to show."""
    since = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
    alerts = (
        AlertLogEntry(
            1,
            "perceel-prognose-boven-begroting",
            "Jeugd zorg in natura (ZIN)",
            AlertStatus.FIRING,
            Ernst.KRITIEK,
            since,
            "controller",
            since,
            "prognose_afwijking_pct",
            -22.76,
        ),
        AlertLogEntry(
            2,
            "wachttijd-boven-norm",
            "Jeugdhulp De Knikkerbaan — Jeugd ambulant",
            AlertStatus.PENDING,
            Ernst.WAARSCHUWING,
            since,
            None,
            None,
            "wachttijd_mediaan_dagen",
            94.5,
        ),
    )
    path = workbook.write_workbook(
        dataclasses.replace(collected, signaleringen=alerts), tmp_path / "a.xlsx"
    )
    sheet = load_workbook(path)["Signaleringen"]
    first, second = sheet[3], sheet[4]
    assert [c.value for c in first[:4]] == [
        "actief",
        "kritiek",
        "perceel-prognose-boven-begroting",
        "Jeugd zorg in natura (ZIN)",
    ]
    # Times in the workbook are Amsterdam wall-clock time: 08:00 UTC is 09:00 in November.
    assert first[4].value == datetime(2026, 11, 10, 9, 0) and first[5].value == "controller"
    assert first[7].value == pytest.approx(-0.2276) and first[7].number_format.endswith("%")
    assert second[0].value == "in afwachting"
    assert second[7].value == 94.5 and "dagen" in second[7].number_format


def _cell_values(path: Path) -> list[object]:
    book = load_workbook(path)
    return [
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]


def test_no_bsn_pseudonym_or_raw_finding_value_in_either_report(written, demo_database):
    with db.transaction(demo_database.engine) as session:
        pseudonyms = set(session.scalars(select(models.Declaratieregel.client_pseudoniem)))
        pseudonyms |= set(session.scalars(select(models.Toewijzing.client_pseudoniem)))
        raw = {w for w in session.scalars(select(models.Bevinding.waarde)) if w and len(w) >= 6}
    pseudonyms.discard(None)
    assert pseudonyms
    page = DATA_URI.sub("", written.html.read_text(encoding="utf-8"))
    texts = {"workbook": _cell_values(written.xlsx), "html": [page]}
    for where, values in texts.items():
        for value in values:
            text = str(value)
            for digits in NINE_DIGITS.findall(text):
                assert not passes_elfproef(digits), f"BSN-achtig getal in {where}: {text!r}"
            for token in LONG_HEX.findall(text.lower()):
                assert token not in pseudonyms, f"pseudoniem in {where}"
            # Only text can carry a raw value: a date cell's str() is no leak.
            leaked = [w for w in raw if isinstance(value, str) and w in value]
            assert not leaked, f"ruwe waarde uit een bevinding in {where}: {leaked}"


def test_html_is_one_self_contained_page_with_the_budget_table(written, budget, config):
    page = written.html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="nl">' in page
    without_images = DATA_URI.sub("", page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", without_images)
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert "@page" in page and "@media print" in page
    charts = DATA_URI.findall(page)
    top_level = [p for p in config.percelen.percelen if p.onderdeel_van is None]
    assert 1 <= len(charts) <= len(top_level)
    assert "Begroting en prognose 2026" in page and "vn-N" in page and "vn-V" in page
    total = budget.rows[-1]
    assert f">{format_euros(round(total.prognose_cents), thousands=True)}<" in page
    assert "Wachttijden boven de norm" in page and "Datakwaliteit" in page


def test_render_html_without_alerts_or_providers_still_reads(collected):
    bare = dataclasses.replace(
        collected, aanbieders=(), wachttijden=(), signaleringen=(), geweigerd=()
    )
    page = html_report.render_html(bare)
    assert "Geen budgetindicaties" in page and "Geen open signaleringen" in page
    assert "Geen aanbieder boven de wachttijdnorm" in page


def test_html_renders_in_headless_chromium(written, tmp_path):
    from PIL import Image

    chromium = chromium_binary()
    shot = tmp_path / "rapport.png"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profiel'}",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            written.html.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert shot.exists(), result.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 2000)
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text, table shading, charts
    white = sum(n for n, colour in colours if colour == (255, 255, 255))
    assert white < 0.95 * image.size[0] * image.size[1]
