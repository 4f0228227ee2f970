"""Backoffice exports and monthly totals: Dutch numbers and dates, encodings, bad rows."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from pydantic import ValidationError

from monitorbot.core.money import format_euros
from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
from monitorbot.ingest.errors import RejectedInput
from monitorbot.ingest.tabular import (
    CellError,
    ColumnMapping,
    ExportRow,
    MonthlyTotal,
    WachtlijstRow,
    parse_cents,
    parse_date,
    parse_decimal,
    read_export,
    read_monthly_totals,
    read_waiting_list,
)

PSEUDONYMIZE = Pseudonymizer(DEMO_KEY)


def pseudonym(bsn: str) -> str:
    return hmac.new(DEMO_KEY, bsn.encode(), hashlib.sha256).hexdigest()[:32]


def mapping(**changes) -> ColumnMapping:
    settings = {
        "naam": "suites-export",
        "wet": "jw",
        "aanbieder_agb": "12345678",
        "kolommen": {
            "bsn": "BSN",
            "productcategorie": "Categorie",
            "productcode": "Productcode",
            "begindatum": "Begindatum",
            "einddatum": "Einddatum",
            "volume": "Aantal",
            "eenheid": "Eenheid",
            "tarief": "Tarief",
            "bedrag": "Bedrag",
            "declaratiedatum": "Declaratiedatum",
            "toewijzingnummer": "Toewijzing",
            "referentie": "Referentie",
        },
    }
    settings.update(changes)
    return ColumnMapping.model_validate(settings)


def export_row(**values) -> ExportRow:
    defaults = dict(
        vorig_referentienummer=None,
        productcode="45A01",
        volume=None,
        eenheid="04",
        tarief_cents=8900,
        productreferentie=None,
        toewijzingnummer=None,
        declaratiedatum=date(2026, 2, 5),
        aanbieder_agb="12345678",
        wet="jw",
        periode_begin=date(2026, 1, 1),
        periode_eind=date(2026, 1, 31),
        productcategorie="45",
    )
    defaults.update(values)
    defaults.setdefault("debet_credit", "C" if defaults["bedrag_cents"] < 0 else "D")
    return ExportRow(**defaults)


HEADER = (
    "BSN;Naam cliënt;Categorie;Productcode;Begindatum;Einddatum;Aantal;Eenheid;Tarief;"
    "Bedrag;Declaratiedatum;Toewijzing;Referentie"
)
CP1252_EXPORT = (
    "\r\n".join(
        [
            HEADER,
            "123456782;Jansen-Ünal, Piët;45;45A01;01-01-2026;31-01-2026;10;04;€ 89,00;€ 890,00;"
            "05-02-2026;000123;R1",
            "111222333;Bakker, Zoë;54;54001;1-1-2026;31/01/2026;1,5;4;89;-1.234,56;2026-02-05;7;",
            "012345672;Pietersen;45;45A01;31-02-2026;31-01-2026;1;04;89;abc;05-02-2026;8;R3",
            "12345678X;Smit;45;45A01;01-01-2026;31-01-2026;1;04;89;89;05-02-2026;9;R4",
            "",
        ]
    )
    + "\r\n"
)

EXPECTED_GOOD_ROWS = [
    export_row(
        client=pseudonym("123456782"),
        bsn_valid=True,
        productreferentie="R1",
        toewijzingnummer="123",
        volume=10.0,
        bedrag_cents=89000,
        line=2,
    ),
    export_row(
        client=pseudonym("111222333"),
        bsn_valid=True,
        productcategorie="54",
        productcode="54001",
        toewijzingnummer="7",
        volume=1.5,
        bedrag_cents=-123456,
        line=3,
    ),
]


def write(tmp_path: Path, name: str, content: str, encoding: str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


# --------------------------------------------------------------------------- numbers


def dutch(cents: int) -> str:
    return format_euros(cents, decimals=2)


def plain(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def english(cents: int) -> str:
    return f"{Decimal(cents) / 100:,.2f}"


STYLES = {
    "1.234,56": dutch,
    "€ 1.234,56": lambda c: f"€ {dutch(c)}",
    "€\u00a0-1.234,56": lambda c: "€\u00a0" + dutch(c),
    "1234,56": lambda c: plain(c).replace(".", ","),
    "1234.56": plain,
    "1,234.56": english,
    "1.234,56-": lambda c: (dutch(-c) + "-") if c < 0 else dutch(c),
    "EUR 1234,56": lambda c: "EUR " + plain(c).replace(".", ","),
}


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(sorted(STYLES)))
def test_amounts_in_every_style_read_back_to_the_same_cents(cents, style):
    assert parse_cents(STYLES[style](cents)) == cents


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_whole_euros_with_dutch_thousands_read_back(euros):
    assert parse_cents(format_euros(euros * 100)) == euros * 100
    assert parse_cents(f"€ {format_euros(euros * 100)},-") == euros * 100


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234", 123400),  # a lone '.' before three digits: Dutch thousands
        ("12.500", 1250000),
        ("1.234.567,8", 123456780),
        ("1.5", 150),  # a lone '.' otherwise: decimal point
        ("1234.5", 123450),
        ("0.500", 50),  # '0.' cannot start a thousands group
        ("1,5", 150),  # a lone ',': decimal comma
        ("-12,50", -1250),
        ("12,50-", -1250),
        ("€ -12,50", -1250),
        ("-€ 12,50", -1250),
        ("1 234,56", 123456),
        ("€ 25,-", 2500),
        ("+3", 300),
    ],
)
def test_amount_rules(text, cents):
    assert parse_cents(text) == cents


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,234", "meer dan twee decimalen"),  # Dutch decimal comma: 1.234 euro
        ("1234.567", "meer dan twee decimalen"),
        ("12.34.56", "onduidelijke scheidingstekens"),
        ("1.23,45", "onduidelijke scheidingstekens"),
        ("--5", "twee mintekens"),
        ("abc", "geen getal"),
        ("", "geen getal"),
        ("€", "geen getal"),
    ],
)
def test_amounts_that_are_refused(text, reason):
    with pytest.raises(CellError, match=reason):
        parse_cents(text)


def test_a_volume_with_a_lone_dot_before_three_digits_is_ambiguous():
    with pytest.raises(CellError, match="dubbelzinnig"):
        parse_decimal("1.500")
    assert parse_decimal("1.500,0") == Decimal("1500.0")
    assert parse_decimal("1,5") == parse_decimal("1.5") == Decimal("1.5")


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text",
    [
        "05-02-2026",
        "5-2-2026",
        "05/02/2026",
        "5.2.2026",
        "2026-02-05",
        "05-02-2026 00:00:00",
        "2026-02-05T13:45",
        " 05-02-2026 ",
    ],
)
def test_dates_in_the_accepted_formats(text):
    assert parse_date(text) == date(2026, 2, 5)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31-02-2026", "geen bestaande datum"),
        ("5-2-26", "geen datum"),
        ("05-02/2026", "geen datum"),
        ("2026/02/05", "geen datum"),
        ("", "geen datum"),
    ],
)
def test_dates_that_are_refused(text, reason):
    with pytest.raises(CellError, match=reason):
        parse_date(text)


# --------------------------------------------------------------------------- CSV exports


def test_a_cp1252_semicolon_export_reads_good_rows_and_reports_each_bad_cell(tmp_path):
    path = write(tmp_path, "export.csv", CP1252_EXPORT, "cp1252")
    result = read_export(path, mapping(gedeeltelijk_toegestaan=True), pseudonymize=PSEUDONYMIZE)
    assert result.rows == EXPECTED_GOOD_ROWS
    assert [str(p) for p in result.problems] == [
        "export.csv, regel 4, element Begindatum, waarde '31-02-2026': geen bestaande datum",
        "export.csv, regel 4, element Bedrag, waarde 'abc': geen getal",
        "export.csv, regel 5, element BSN, waarde '<bsn verborgen>': geen BSN (9 cijfers)",
    ]


def test_names_in_unmapped_columns_never_come_out(tmp_path):
    path = write(tmp_path, "export.csv", CP1252_EXPORT, "cp1252")
    result = read_export(path, mapping(gedeeltelijk_toegestaan=True), pseudonymize=PSEUDONYMIZE)
    shown = repr(result.rows) + repr(result.problems)
    for personal in ("Jansen", "Bakker", "Pietersen", "Smit", "123456782", "12345678X"):
        assert personal not in shown


def test_a_bsn_column_by_any_name_is_hidden_in_problems(tmp_path):
    content = CP1252_EXPORT.replace("BSN;", "Burgerservicenummer;", 1)
    path = write(tmp_path, "export.csv", content, "cp1252")
    columns = {**mapping().kolommen, "bsn": "Burgerservicenummer"}
    result = read_export(
        path, mapping(kolommen=columns, gedeeltelijk_toegestaan=True), pseudonymize=PSEUDONYMIZE
    )
    assert [(p.line, p.element, p.value) for p in result.problems if p.line == 5] == [
        (5, "Burgerservicenummer", "<bsn verborgen>")
    ]


def test_a_bad_row_refuses_the_file_unless_partial_files_are_allowed(tmp_path):
    path = write(tmp_path, "export.csv", CP1252_EXPORT, "cp1252")
    with pytest.raises(RejectedInput) as caught:
        read_export(path, mapping(), pseudonymize=PSEUDONYMIZE)
    problems = caught.value.problems
    assert [p.line for p in problems] == [4, 4, 5, None]
    assert problems[-1].reason.startswith("2 rij(en) met fouten; het bestand is niet ingelezen")


def test_a_utf8_export_with_bom_and_commas(tmp_path):
    content = (
        "BSN,Categorie,Productcode,Begindatum,Einddatum,Eenheid,Tarief,Bedrag,Declaratiedatum\n"
        '123456782,45,45A01,2026-01-01,2026-01-31,04,89.00,"1,234.50",2026-02-05\n'
    )
    path = write(tmp_path, "export.csv", content, "utf-8-sig")
    columns = {
        k: v
        for k, v in mapping().kolommen.items()
        if k not in ("volume", "toewijzingnummer", "referentie")
    }
    result = read_export(path, mapping(kolommen=columns), pseudonymize=PSEUDONYMIZE)
    assert result.rows == [
        export_row(client=pseudonym("123456782"), bsn_valid=True, bedrag_cents=123450, line=2)
    ]


def test_a_tab_separated_export_with_headers_in_other_case_and_short_rows(tmp_path):
    content = (
        "bsn\tcategorie\tproductcode\tbegindatum\teinddatum\tbedrag\tdeclaratiedatum\ttarief\n"
        "111222333\t45\t45A01\t01-01-2026\t31-01-2026\t100\t05-02-2026\n"
    )
    path = write(tmp_path, "export.txt", content, "utf-8")
    columns = {
        k: v
        for k, v in mapping().kolommen.items()
        if k not in ("volume", "toewijzingnummer", "referentie", "eenheid")
    }
    result = read_export(path, mapping(kolommen=columns), pseudonymize=PSEUDONYMIZE)
    assert result.rows == [
        export_row(
            client=pseudonym("111222333"),
            bsn_valid=True,
            bedrag_cents=10000,
            tarief_cents=None,
            eenheid=None,
            line=2,
        )
    ]


def test_an_excel_unicode_text_export_is_read(tmp_path):
    content = (
        "BSN\tCategorie\tBegindatum\tEinddatum\tBedrag\tDeclaratiedatum\r\n"
        "123456782\t45\t01-01-2026\t31-01-2026\t12,50\t05-02-2026\r\n"
    )
    path = write(tmp_path, "export.txt", content, "utf-16")
    columns = {
        k: mapping().kolommen[k]
        for k in ("bsn", "productcategorie", "begindatum", "einddatum", "bedrag", "declaratiedatum")
    }
    result = read_export(path, mapping(kolommen=columns), pseudonymize=PSEUDONYMIZE)
    assert [(r.bedrag_cents, r.line) for r in result.rows] == [(1250, 2)]


def test_a_missing_column_refuses_the_file_naming_it_and_the_headers_found(tmp_path):
    path = write(
        tmp_path, "export.csv", CP1252_EXPORT.replace("Declaratiedatum", "Datum"), "cp1252"
    )
    with pytest.raises(RejectedInput) as caught:
        read_export(path, mapping(), pseudonymize=PSEUDONYMIZE)
    problem = caught.value.problems[0]
    assert (problem.line, problem.element) == (1, "Declaratiedatum")
    assert problem.reason.startswith("kolom ontbreekt; gevonden kolommen: 'BSN', 'Naam cliënt'")


def test_an_old_xls_file_is_refused(tmp_path):
    path = tmp_path / "export.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(RejectedInput, match="oud Excel-formaat"):
        read_export(path, mapping(), pseudonymize=PSEUDONYMIZE)


# --------------------------------------------------------------------------- XLSX


def test_an_xlsx_export_with_a_title_row_numeric_cells_and_date_cells(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Declaraties januari 2026"])
    sheet.append([])
    sheet.append(
        [
            "BSN",
            "Naam cliënt",
            "Categorie",
            "Productcode",
            "Begindatum",
            "Einddatum",
            "Aantal",
            "Eenheid",
            "Tarief",
            "Bedrag",
            "Declaratiedatum",
            "Toewijzing",
            "Aanbieder",
        ]
    )
    sheet.append(
        [
            12345672,
            "Jansen",
            45,
            "45A01",
            datetime(2026, 1, 1),
            datetime(2026, 1, 31),
            10,
            4,
            89,
            890.1,
            datetime(2026, 2, 5),
            123,
            3012345,
        ]
    )
    sheet.append(
        [
            "123456782",
            "Bakker",
            "02",
            "02A05",
            "01-01-2026",
            "31-01-2026",
            "1,5",
            "04",
            "€ 89,00",
            0.1 + 0.2,
            "05-02-2026",
            None,
            "03012345",
        ]
    )
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    columns = dict(mapping().kolommen)
    del columns["referentie"]
    columns["aanbieder"] = "Aanbieder"
    result = read_export(
        path, mapping(kolommen=columns, aanbieder_agb=None, wet="wmo"), pseudonymize=PSEUDONYMIZE
    )
    assert result.rows == [
        export_row(
            client=pseudonym("012345672"),
            bsn_valid=True,
            toewijzingnummer="123",
            volume=10.0,
            bedrag_cents=89010,
            aanbieder_agb="03012345",
            wet="wmo",
            line=4,
        ),
        export_row(
            client=pseudonym("123456782"),
            bsn_valid=True,
            productcategorie="02",
            productcode="02A05",
            volume=1.5,
            bedrag_cents=30,
            aanbieder_agb="03012345",
            wet="wmo",
            line=5,
        ),
    ]


# --------------------------------------------------------------------------- mapping


def test_a_mapping_names_every_required_column():
    with pytest.raises(ValidationError, match="verplichte kolommen ontbreken: declaratiedatum"):
        mapping(
            kolommen={
                "bsn": "BSN",
                "productcategorie": "C",
                "begindatum": "B",
                "einddatum": "E",
                "bedrag": "X",
            }
        )


def test_a_mapping_cannot_map_a_name_column():
    with pytest.raises(ValidationError):
        mapping(kolommen={**mapping().kolommen, "naam": "Naam cliënt"})


def test_a_mapping_needs_a_provider():
    with pytest.raises(ValidationError, match="aanbieder"):
        mapping(aanbieder_agb=None)


def test_a_mapping_may_fix_delimiter_and_encoding(tmp_path):
    path = write(tmp_path, "export.csv", CP1252_EXPORT, "cp1252")
    fixed = mapping(scheidingsteken=";", encoding="cp1252", gedeeltelijk_toegestaan=True)
    assert read_export(path, fixed, pseudonymize=PSEUDONYMIZE).rows == EXPECTED_GOOD_ROWS


# --------------------------------------------------------------------------- totals, waiting list


def test_monthly_totals_in_both_month_formats(tmp_path):
    content = (
        "maand;perceel;bedrag\n2026-01;jeugd-pgb;2.750,00\n02-2026;wmo-eigen-bijdrage;-8.320,50\n"
    )
    path = write(tmp_path, "pgb.csv", content, "utf-8")
    assert read_monthly_totals(path).rows == [
        MonthlyTotal(maand=date(2026, 1, 1), perceel="jeugd-pgb", bedrag_cents=275000, line=2),
        MonthlyTotal(
            maand=date(2026, 2, 1), perceel="wmo-eigen-bijdrage", bedrag_cents=-832050, line=3
        ),
    ]


def test_a_bad_month_refuses_the_totals_file(tmp_path):
    path = write(tmp_path, "pgb.csv", "Maand;Perceel;Bedrag\n2026-13;jeugd-pgb;10\n", "utf-8")
    with pytest.raises(RejectedInput) as caught:
        read_monthly_totals(path)
    assert str(caught.value.problems[0]) == (
        "pgb.csv, regel 2, element Maand, waarde '2026-13': geen bestaande maand"
    )


def test_a_waiting_list_with_and_without_start_dates(tmp_path):
    content = (
        "toewijzingsdatum;startdatum;aanbieder;perceel\n"
        "10-01-2026;02-03-2026;12345678;jeugd-ambulant\n"
        "15-01-2026;;3012345;jeugd-ambulant\n"
    )
    path = write(tmp_path, "wachtlijst.csv", content, "utf-8")
    assert read_waiting_list(path).rows == [
        WachtlijstRow(
            toewijzingsdatum=date(2026, 1, 10),
            startdatum=date(2026, 3, 2),
            aanbieder="12345678",
            perceel="jeugd-ambulant",
            line=2,
        ),
        WachtlijstRow(
            toewijzingsdatum=date(2026, 1, 15),
            startdatum=None,
            aanbieder="03012345",
            perceel="jeugd-ambulant",
            line=3,
        ),
    ]


@pytest.mark.slow
def test_a_large_export_reads_fast_enough(tmp_path):
    """300,000 rows: the target is ≥ 150,000 rows/s; the floor here allows a busy CI."""
    lines = [HEADER]
    for i in range(300_000):
        lines.append(
            f"{100000000 + i % 20000:09d};Naam {i};45;45A01;01-{1 + i % 12:02d}-2026;"
            f"28-{1 + i % 12:02d}-2026;{1 + i % 40};04;89,00;{(1 + i % 40) * 89},00;"
            f"05-02-2026;{i};R{i}"
        )
    path = write(tmp_path, "groot.csv", "\n".join(lines) + "\n", "utf-8")
    started = time.perf_counter()
    result = read_export(path, mapping(), pseudonymize=PSEUDONYMIZE)
    elapsed = time.perf_counter() - started
    assert len(result.rows) == 300_000
    assert sum(row.bedrag_cents for row in result.rows) == sum(
        (1 + i % 40) * 8900 for i in range(300_000)
    )
    assert len(result.rows) / elapsed > 40_000


def test_an_export_amount_beyond_one_declared_line_is_refused_where_it_stands(tmp_path):
    """€ 5·10¹⁴ fits no iStandaard line; accepted, two of them would overflow every sum."""
    content = "\r\n".join(
        [
            HEADER,
            "123456782;Jansen;45;45A01;01-01-2026;31-01-2026;1;04;89;500.000.000.000.000,00;"
            "05-02-2026;000123;R1",
            "",
        ]
    )
    path = write(tmp_path, "export.csv", content, "cp1252")
    result = read_export(path, mapping(gedeeltelijk_toegestaan=True), pseudonymize=PSEUDONYMIZE)
    assert result.rows == []
    (problem,) = result.problems
    assert (problem.line, problem.element) == (2, "Bedrag")
    assert "999.999,99" in problem.reason


def test_a_volume_beyond_the_standard_is_refused_where_it_stands(tmp_path):
    content = "\r\n".join(
        [
            HEADER,
            "123456782;Jansen;45;45A01;01-01-2026;31-01-2026;1.000.000.000;04;89;890,00;"
            "05-02-2026;000123;R1",
            "",
        ]
    )
    path = write(tmp_path, "export.csv", content, "cp1252")
    result = read_export(path, mapping(gedeeltelijk_toegestaan=True), pseudonymize=PSEUDONYMIZE)
    (problem,) = result.problems
    assert (problem.line, problem.element) == (2, "Aantal") and "99.999.999" in problem.reason
