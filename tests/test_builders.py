"""Builders and reports on a hand-made snapshot: exact texts, no database, no forecast.

The kernteam message, the manager digest, the controller workbook and the HTML
report are pure functions of one snapshot. These tests give them the snapshot
of tests/snapshots.py and read what a person reads, to the character.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from openpyxl import load_workbook

from monitorbot.core.calendar import Peildatum
from monitorbot.evaluate.snapshot import Snapshot
from monitorbot.notify.alerts import alert_messages
from monitorbot.notify.digest import digest_message
from monitorbot.notify.render import to_text
from monitorbot.report import budget_table, chart, html_report, workbook
from tests import snapshots


def test_kernteam_message_quotes_the_snapshot():
    message = alert_messages(snapshots.evaluation())["kernteam"]
    assert message.title == "monitorbot Testdorp: 1 signalering(en) — stand 10-11-2026"
    assert message.summary == (
        "Kosten en wachttijden sociaal domein, stand 10-11-2026; bericht voor kernteam. "
        "Bedragen in euro's, afgerond."
    )
    (section,) = message.sections
    fields = {f.label: f.value for f in section.fields}
    assert fields == {
        "Waarde": "-22,8 %",
        "Drempel": "-15,0 %",
        "80 %-interval prognose": "€ 7.061.259 – € 7.461.259",
        "Begroting": "€ 5.915.000",
        "Prognose": "€ 7.261.259",
        "Restant": "€ -1.346.259",
        "V/N": "N",
        "Afwijking": "-22,8 %",
        "Gedeclareerd tot nu": "€ 5.600.000",
        "Verwacht compleet": "€ 5.980.000",
        "Nummer": "#7",
    }
    assert section.details[0] == (
        "Waarom (januari t/m oktober 2026 t.o.v. dezelfde maanden van 2025): Kostengroei "
        "+15,2% (exclusief indexatie van 3,8%): +4,8 %-punt door de 10 duurste cliënten, "
        "+10,7 %-punt door hogere kosten per cliënt, -0,3 %-punt door het aantal cliënten; "
        "unieke cliënten -0,4%."
    )
    assert section.details[2] == (
        "De 10 duurste cliënten zijn 27% van de kosten; 2 cliënt(en) boven € 250.000 "
        "in die maanden."
    )
    assert [a.name for a in message.attachments] == ["jeugd-zin-2026.png"]


def test_digest_is_the_table_three_highlights_and_one_line_each():
    digest = digest_message(snapshots.snapshot(), with_workbook=False)
    assert digest.title == "monitorbot Testdorp: overzicht, stand 10-11-2026"
    table, highlights, alerts, waiting, quality, delivery = digest.sections
    assert table.text == (
        "Testdorp (0384) — begroting 2026 primitieve begroting, prognose stand 10-11-2026; "
        "bedragen × € 1.000"
    )
    assert table.table is not None
    assert table.table.rows[0] == [
        "Jeugd zorg in natura (ZIN)",
        "5.915",
        "7.261",
        "-1.346",
        "N",
        "-23%",
    ]
    assert table.table.rows[-1] == ["Totaal", "7.536", "8.741", "-1.205", "N", "-16%"]
    assert highlights.text == (
        "Jeugd zorg in natura (ZIN): prognose € 7.261.259 tegen een begroting van € 5.915.000 "
        "(-22,8 %, N). Jeugdhulp De Knikkerbaan — Jeugd ambulant: 93 dagen (drempel 84 dagen) "
        "— de mediane wachttijd ligt boven de norm."
    )
    assert alerts.text == "2 open (2 kritiek), waarvan 1 besproken in het kernteam."
    assert waiting.text == (
        "Jeugdhulp De Knikkerbaan — Jeugd ambulant: mediaan 93 dagen, norm 56 dagen."
    )
    assert quality.text == (
        "1 bestand(en) in quarantaine en 3 bevinding(en) bij het inlezen in de 31 dagen "
        "tot de peildatum."
    )
    assert delivery.text == (
        "Bezorging mislukt (wordt niet opnieuw geprobeerd): managers via teams: webhook 404."
    )


def test_a_snapshot_reads_back_to_the_same_outputs():
    """Stored as JSON with its evaluation, a snapshot renders the same texts later."""
    original = snapshots.snapshot()
    again = Snapshot.from_json(original.to_json())
    assert to_text(digest_message(again, with_workbook=False)) == to_text(
        digest_message(original, with_workbook=False)
    )
    assert html_report.render_html(again) == html_report.render_html(original)


def test_workbook_holds_the_snapshot_to_the_cent(tmp_path):
    path = workbook.write_workbook(snapshots.snapshot(), tmp_path / "w.xlsx")
    book = load_workbook(path)
    rows = {r[0]: r for r in book["Begroting"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows["jeugd-zin"][1:6] == ("Jeugd zorg in natura (ZIN)", 5915000, 7261259, -1346259, "N")
    assert rows["jeugd-zin"][6] == (5915000 - 7261259) / 5915000
    waits = list(book["Wachttijden"].iter_rows(min_row=3, values_only=True))
    assert waits[0][:7] == (
        "Jeugd ambulant",
        "Jeugdhulp De Knikkerbaan",
        "98990102",
        40,
        93,
        160,
        56,
    )
    sheet = book["Toewijzingen"]
    assert "31-12-2026" in _header_text(sheet) and "minder dan 10" in sheet["A1"].value
    commitments = list(sheet.iter_rows(min_row=3, values_only=True))
    assert commitments == [
        ("Jeugd ambulant", "98990102", "Jeugdhulp De Knikkerbaan", 42, 40, 612345.67, 2),
        (
            "Jeugd ambulant",
            None,
            "overige aanbieders (elk minder dan 10 cliënten)",
            13,
            12,
            98765.43,
            0,
        ),
    ]
    assert sheet.freeze_panes == "D3" and sheet["F3"].number_format.startswith('"€"')
    alerts = list(book["Signaleringen"].iter_rows(min_row=3, values_only=True))
    assert [a[0] for a in alerts] == ["actief", "actief"]
    files = [
        r for r in book["Datakwaliteit"].iter_rows(values_only=True) if r[1] == "jw323-kapot.xml"
    ]
    assert files and files[0][3] == "regel 3: ongeldige datum"
    quality = list(book["Datakwaliteit"].iter_rows(values_only=True))
    title = next(i for i, r in enumerate(quality) if str(r[0]).startswith("Afgewezen declaraties"))
    assert "92 dagen" in quality[title][0]
    assert quality[title + 2][:7] == (
        "Stichting Het Speelkwartier",
        "0611 (4×), 8187 (1×)",
        "98990103",
        3,
        40000,
        2500,
        0.0625,
    )


def test_a_value_that_looks_like_a_formula_stays_text(tmp_path):
    snapshot = snapshots.snapshot()
    hostile = dataclasses.replace(
        snapshot.geweigerd[0], bestand='=HYPERLINK("http://x","klik")', reden="=1+1"
    )
    path = workbook.write_workbook(
        dataclasses.replace(snapshot, geweigerd=(hostile,)), tmp_path / "w.xlsx"
    )
    sheet = load_workbook(path)["Datakwaliteit"]
    cells = [
        c for row in sheet.iter_rows() for c in row if c.value and str(c.value).startswith("=")
    ]
    assert cells and all(c.data_type == "s" for c in cells)


def test_html_report_shows_the_same_figures_escaped():
    snapshot = snapshots.snapshot()
    page = html_report.render_html(snapshot)
    assert "<title>monitorbot Testdorp (0384): rapportage oktober 2026</title>" in page
    assert ">7.261<" in page and ">-1.346<" in page and ">-23%<" in page
    assert budget_table.title(snapshot.begroting) in page
    assert ">93 d<" in page and "Jeugdhulp De Knikkerbaan" in page
    hostile = dataclasses.replace(snapshot, gemeente_naam="<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in html_report.render_html(hostile)


def test_one_rules_providers_are_one_block_and_a_mismatch_names_its_file():
    message = alert_messages(snapshots.waiting_and_totals_evaluation())["kernteam"]
    titles = [s.title for s in message.sections]
    assert titles == [
        "De mediane wachttijd bij een aanbieder ligt boven de norm (2 aanbieders)",
        "Totaalverschillen in declaraties",
    ]
    block = message.sections[0]
    assert block.table is not None
    assert block.table.rows == [
        ["Jeugdhulp De Knikkerbaan — Jeugd ambulant", "93 dagen", "56 dagen (> norm)", "#11"],
        ["De Boomhut — Jeugd ambulant", "61 dagen", "56 dagen (> norm)", "#12"],
    ]
    fields = {f.label: f.value for f in message.sections[1].fields}
    assert fields["Totaalverschil"] == (
        "jw323-speelkwartier-2026-09.xml (Stichting Het Speelkwartier): TotaalIngediendBedrag "
        "€ 12.345,67, som van de prestaties € 12.335,67, verschil € 10,00"
    )


def test_the_rejection_alert_says_why_in_the_snapshots_figures():
    """The kernteam reads the rejected amount, the declared amount and the codes, the same
    figures the workbook's Datakwaliteit table shows from the same measurement."""
    from monitorbot.evaluate.lifecycle import observe
    from monitorbot.evaluate.rules import Rule
    from monitorbot.notify.alerts import _fields

    rule = Rule.model_validate(
        {
            "naam": "afwijzingen-per-aanbieder",
            "omschrijving": "De gemeente wijst veel af.",
            "scope": "aanbieder",
            "metric": "afgewezen_declaraties_pct",
            "drempels": {"waarschuwing": ">= 5 %"},
            "kanaal": "kernteam",
            "eigenaar": "contractmanager",
            "actie": "Bespreek de retourcodes.",
        }
    )
    (measurement,) = snapshots.snapshot().meting("afgewezen_declaraties_pct", "aanbieder")
    update = dataclasses.replace(snapshots.budget_update(), observation=observe(rule, measurement))
    fields = {f.label: f.value for f in _fields(update)}
    assert fields["Ingediend (beantwoorde declaraties)"] == "€ 40.000"
    assert fields["Afgewezen"] == "€ 2.500"
    assert fields["Declaratie-antwoorden"] == "3"
    assert fields["Meest voorkomende retourcodes"] == "0611 (4×), 8187 (1×)"


def _header_text(sheet) -> str:
    return " ".join(str(cell.value) for cell in sheet[2] if cell.value)


def early_evaluation():
    """The test snapshot as it would read at the end of February: most of the year's
    figure is still forecast."""
    evaluation = snapshots.evaluation()
    snapshot = evaluation.snapshot
    report = snapshot.begroting
    peildatum = Peildatum.einde_maand(date(2026, 2, 1))
    jeugd, wmo, jeugd_total, wmo_total, total = report.rows
    jeugd = dataclasses.replace(
        jeugd,
        gedeclareerd_cents=80_000_000.0,
        verwacht_compleet_cents=95_000_000.0,
        children=["jeugd-ambulant"],
    )
    wmo = dataclasses.replace(
        wmo, gedeclareerd_cents=20_000_000.0, verwacht_compleet_cents=22_000_000.0
    )
    total = dataclasses.replace(
        total, gedeclareerd_cents=100_000_000.0, verwacht_compleet_cents=117_000_000.0
    )
    early_report = dataclasses.replace(
        report, peildatum=peildatum, rows=[jeugd, wmo, jeugd_total, wmo_total, total]
    )
    early = dataclasses.replace(snapshot, peildatum=peildatum, begroting=early_report)
    return dataclasses.replace(evaluation, peildatum=peildatum, snapshot=early)


def test_early_in_the_year_the_kernteam_reads_what_the_figure_rests_on():
    (section,) = alert_messages(early_evaluation())["kernteam"].sections
    assert section.details[0] == (
        "Vroeg in het jaar: de prognose van € 7.261.259 rust voor 11% op wat over januari t/m "
        "februari is gedeclareerd, voor 2% op nadeclaraties die over die maanden nog worden "
        "verwacht en voor 87% op de voorspelling voor maart t/m december, uit de maanden "
        "ervoor en de indexatie van 2026. Lopende toewijzingen leggen voor de rest van 2026 al "
        "€ 711.111 vast; voorspeld voor die maanden: € 6.311.259."
    )
    assert section.details[1].startswith("Waarom (")


def test_early_in_the_year_the_budget_table_says_what_its_total_rests_on():
    report = early_evaluation().snapshot.begroting
    note = budget_table.footnotes(report)[-1]
    assert note.startswith("* Vroeg in het jaar: de prognose van 8.741 rust voor 11% op wat ")
    assert "voor 2% op nadeclaraties" in note and "voor 87% op de voorspelling voor maart" in note
    assert note in budget_table.to_markdown(report)


def test_later_in_the_year_no_sentence_on_what_the_figure_rests_on():
    """In November most of the figure is declared: the table needs no such note."""
    snapshot = snapshots.snapshot()
    assert not any("Vroeg in het jaar" in n for n in budget_table.footnotes(snapshot.begroting))
    (section,) = alert_messages(snapshots.evaluation())["kernteam"].sections
    assert not any("Vroeg in het jaar" in d for d in section.details)


def test_the_charts_fan_ends_at_the_budget_tables_interval():
    """The year's band is not the monthly bands added up (the months' errors do not move
    together fully): the fan is scaled to end where the table's interval is."""
    path = snapshots.snapshot().months_of("jeugd-zin")
    assert path is not None and path.model is not None
    fan = chart.cumulative_fan(path, 9, 598_000_000.0)
    assert fan.x == [9, 10, 11]
    assert fan.mid == pytest.approx([5_980_000, 6_620_629.5, 7_261_259])
    assert (fan.lo80[-1], fan.hi80[-1]) == pytest.approx((7_061_259, 7_461_259))
    assert (fan.lo95[-1], fan.hi95[-1]) == pytest.approx((6_961_259, 7_561_259))
    # monthly bands of ± 40.000 added up give ± 80.000 in December, scaled to ± 200.000
    assert fan.hi80[1] - fan.mid[1] == pytest.approx(40_000 * 200_000 / 80_000)
