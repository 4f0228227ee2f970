"""Backoffice exports (CSV, XLSX) and monthly totals: rows in, typed and pseudonymised rows out.

Municipalities export declarations from their backoffice (Suites, iZA, GWS4all,
...) with their own column names; a `ColumnMapping` from configuration says
which column holds what. The readers stream (csv module, openpyxl read-only),
convert every cell into exact types and report every bad cell with its row
number (Excel's: the header is row 1), its column header and its value. A BSN is
pseudonymised on the spot and never shown; columns that are not mapped (the
client's name, address, ...) are not even looked at.

Reading rules, chosen to be unambiguous:

* Encoding: a BOM decides (UTF-8 or UTF-16); otherwise UTF-8 if the whole file
  is valid UTF-8, else Windows-1252 (what Excel writes on Dutch Windows).
* Delimiter: `;`, tab or `,`, whichever splits the header into the mapped
  columns (else into the most columns); `;` wins a tie.
* Header: the first non-empty line of a CSV; in an XLSX (first sheet) the
  first row among the first 20 that holds all mapped columns, so a title row
  above the table is fine. Rows are numbered as Excel numbers them.
* Amounts in euros become integer cents through `Decimal`, never through float:
  - spaces, `€`/`EUR` and a leading `+`/`-`/`−` or trailing `-` are allowed,
    and so is the Dutch `25,-` for whole euros;
  - with both `.` and `,` the last one is the decimal separator
    (`1.234,56`, `1,234.56`), the other must group by three;
  - a lone `,` is the decimal separator (`12,50`); several `,` group thousands;
  - several `.` group thousands (`1.234.567`);
  - a lone `.` is the decimal point (`1234.56`, `12.5`), except when exactly
    three digits follow it after a 1–3 digit group (`1.234`, `12.500`): an amount
    has at most two decimals, so that can only be Dutch thousands grouping;
  - an amount that is not a whole number of cents (`12,345`) is an error.
* Other numbers (volume) follow the same rules, except that a lone `.` before
  exactly three digits is ambiguous there (`1.500` uur) and is refused.
* Dates: `dd-mm-jjjj`, `d-m-jjjj`, `dd/mm/jjjj`, `dd.mm.jjjj` or ISO
  `jjjj-mm-dd`, optionally followed by a time (which is ignored). XLSX date
  cells are used as they are.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import operator
import re
import zipfile
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitorbot.config.codes import EENHEDEN, Wet
from monitorbot.core.money import MAX_LINE_CENTS, MAX_TOTAL_CENTS, format_euros
from monitorbot.core.privacy import normalize_bsn, passes_elfproef
from monitorbot.ingest.errors import BSN_HIDDEN, InputProblem, RejectedInput

ExportField = Literal[
    "bsn",
    "toewijzingnummer",
    "productcategorie",
    "productcode",
    "begindatum",
    "einddatum",
    "volume",
    "eenheid",
    "tarief",
    "bedrag",
    "declaratiedatum",
    "referentie",
    "aanbieder",
]
REQUIRED_FIELDS: tuple[ExportField, ...] = (
    "bsn",
    "productcategorie",
    "begindatum",
    "einddatum",
    "bedrag",
    "declaratiedatum",
)
MAX_PROBLEMS_WHEN_REJECTED = 100
_DELIMITERS = (";", "\t", ",")
_CACHE_LIMIT = 100_000
_HEADER_SEARCH_ROWS = 20


class ColumnMapping(BaseModel):
    """How one backoffice export is read: our field name -> the export's column header."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    naam: str = Field(min_length=1)
    kolommen: dict[ExportField, str]
    wet: Wet
    aanbieder_agb: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    gemeente: str | None = Field(default=None, pattern=r"^[0-9]{4}$")  # CBS code, if not implied
    gedeeltelijk_toegestaan: bool = False
    scheidingsteken: Literal[";", ",", "\t", "tab"] | None = None
    encoding: str | None = None

    @field_validator("kolommen")
    @classmethod
    def _required_columns(cls, kolommen: dict[str, str]) -> dict[str, str]:
        missing = [f for f in REQUIRED_FIELDS if f not in kolommen]
        if missing:
            raise ValueError(f"verplichte kolommen ontbreken: {', '.join(missing)}")
        empty = [f for f, header in kolommen.items() if not header.strip()]
        if empty:
            raise ValueError(f"lege kolomnaam voor: {', '.join(empty)}")
        return kolommen

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str | None) -> str | None:
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise ValueError(f"onbekende encoding {encoding!r}") from None
        return encoding

    @model_validator(mode="after")
    def _provider_known(self) -> ColumnMapping:
        if "aanbieder" not in self.kolommen and self.aanbieder_agb is None:
            raise ValueError("geef een kolom 'aanbieder' of een vaste 'aanbieder_agb'")
        return self

    @property
    def delimiter(self) -> str | None:
        return "\t" if self.scheidingsteken == "tab" else self.scheidingsteken


@dataclass(slots=True)
class ExportRow:
    """One declaration line from an export; the same meaning as a 323 Prestatie."""

    client: str  # pseudonym
    bsn_valid: bool
    productreferentie: str | None
    vorig_referentienummer: str | None  # exports have none; kept for symmetry with Prestatie
    toewijzingnummer: str | None
    productcategorie: str
    productcode: str | None
    periode_begin: date
    periode_eind: date
    volume: float | None
    eenheid: str | None
    tarief_cents: int | None
    bedrag_cents: int  # signed as in the export
    debet_credit: Literal["D", "C"]  # C when the amount is negative
    declaratiedatum: date
    aanbieder_agb: str
    wet: Wet
    line: int


@dataclass(slots=True)
class MonthlyTotal:
    """A month's total for a perceel (PGB via the SVB, eigen bijdrage, actuals)."""

    maand: date  # first of the month
    perceel: str
    bedrag_cents: int
    line: int
    gemeente: str | None = None  # absent where the file has no gemeente column


@dataclass(slots=True)
class WachtlijstRow:
    """One allocation on a waiting-list export; no start date means still waiting."""

    toewijzingsdatum: date
    startdatum: date | None
    aanbieder: str  # AGB code
    perceel: str
    line: int
    gemeente: str | None = None  # absent where the file has no gemeente column


RowT = TypeVar("RowT")


@dataclass
class TabularResult(Generic[RowT]):
    """The rows that could be read and, when partial files are allowed, what could not."""

    rows: list[RowT] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


# --------------------------------------------------------------------------- cell values


class CellError(ValueError):
    """A cell that cannot be read; the message is the Dutch reason."""


_SPACES = str.maketrans("", "", " \u00a0\u202f\t")
# ASCII digits only, and \Z rather than $ (which also matches before a final newline).
_THOUSANDS_DOT = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+\Z", re.ASCII)
_THOUSANDS_COMMA = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+\Z", re.ASCII)
_PLAIN_DIGITS = re.compile(r"\d+\Z", re.ASCII)


def _strip_sign_and_currency(text: str) -> tuple[bool, str]:
    """Remove spaces, € / EUR and the sign; return (negative, what is left)."""
    body = text.translate(_SPACES)
    if body.endswith((",-", ",--")):  # Dutch whole euros: "€ 25,-"
        body = body.rstrip("-")[:-1]
    negative = False
    changed = True
    while changed and body:
        changed = False
        upper = body.upper()
        if body[0] in "-−" or body[-1] in "-−":
            if negative:
                raise CellError("twee mintekens")
            negative = True
            body = body[1:] if body[0] in "-−" else body[:-1]
            changed = True
        elif body[0] == "+":
            body = body[1:]
            changed = True
        elif body[0] == "€" or body[-1] == "€":
            body = body[1:] if body[0] == "€" else body[:-1]
            changed = True
        elif upper.startswith("EUR") or upper.endswith("EUR"):
            body = body[3:] if upper.startswith("EUR") else body[:-3]
            changed = True
    return negative, body


def _split_separators(body: str, *, money: bool) -> tuple[str, str]:
    """(integer digits, decimal digits) following the documented separator rules."""
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal_sep = "." if body.rfind(".") > body.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        integer, _, fraction = body.rpartition(decimal_sep)
        grouping = _THOUSANDS_DOT if group_sep == "." else _THOUSANDS_COMMA
        if body.count(decimal_sep) != 1 or not grouping.match(integer):
            raise CellError("onduidelijke scheidingstekens")
        return integer.replace(group_sep, ""), fraction
    if commas == 1:
        integer, _, fraction = body.partition(",")
        return integer, fraction
    if commas > 1:
        if not _THOUSANDS_COMMA.match(body):
            raise CellError("onduidelijke scheidingstekens")
        return body.replace(",", ""), ""
    if dots > 1:
        if not _THOUSANDS_DOT.match(body):
            raise CellError("onduidelijke scheidingstekens")
        return body.replace(".", ""), ""
    if dots == 1:
        if _THOUSANDS_DOT.match(body):
            if money:
                return body.replace(".", ""), ""
            raise CellError(
                "dubbelzinnig getal: schrijf 1.500,0 of 1500 (duizendtallen) of 1,5 (decimalen)"
            )
        integer, _, fraction = body.partition(".")
        return integer, fraction
    return body, ""


def parse_decimal(text: str, *, money: bool = False) -> Decimal:
    """A Dutch or plain number as an exact Decimal (see the module docstring for the rules)."""
    negative, body = _strip_sign_and_currency(text.strip())
    if not body:
        raise CellError("geen getal")
    integer, fraction = _split_separators(body, money=money)
    if (
        not integer
        or not _PLAIN_DIGITS.match(integer)
        or (fraction and not _PLAIN_DIGITS.match(fraction))
    ):
        raise CellError("geen getal")
    value = Decimal(f"{integer}.{fraction}" if fraction else integer)
    return -value if negative else value


def parse_cents(text: str) -> int:
    """An amount in euros as text (`€ 1.234,56`, `-12,50`, `1234.56`) to integer cents."""
    cents = parse_decimal(text, money=True) * 100
    if cents != cents.to_integral_value():
        raise CellError("meer dan twee decimalen")
    return int(cents)


def _bounded(limit: int, what: str) -> Callable[[Any], int]:
    """Cents from a cell, refused beyond what the standard allows for `what`."""

    def cents(value: Any) -> int:
        amount = _cents_from_cell(value)
        if abs(amount) > limit:
            raise CellError(
                f"bedrag groter dan € {format_euros(limit, decimals=2)}, het hoogste dat "
                f"{what} in de iStandaarden kan zijn"
            )
        return amount

    return cents


def _cents_from_cell(value: Any) -> int:
    """Cents from an XLSX number (float noise below 0.0001 cent is rounded away) or text."""
    if isinstance(value, bool):
        raise CellError("geen bedrag")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float | Decimal):
        try:
            cents = Decimal(repr(value) if isinstance(value, float) else value) * 100
        except InvalidOperation:
            raise CellError("geen bedrag") from None
        if not cents.is_finite():
            raise CellError("geen bedrag")
        rounded = cents.to_integral_value(ROUND_HALF_EVEN)
        if abs(cents - rounded) > Decimal("0.0001"):
            raise CellError("meer dan twee decimalen")
        return int(rounded)
    return parse_cents(str(value))


#: A declared amount or tariff: at most what one iStandaard line can hold.
_line_cents = _bounded(MAX_LINE_CENTS, "een gedeclareerde prestatie")


_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})" + _TIME + r"\Z", re.ASCII)
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + r"\Z", re.ASCII)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(text: str) -> date:
    """`dd-mm-jjjj`, `d-m-jjjj`, `dd/mm/jjjj`, `dd.mm.jjjj` or `jjjj-mm-dd` (time ignored)."""
    text = text.strip()
    match = _DMY.match(text)
    if match is not None:
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    else:
        match = _YMD.match(text)
        if match is None:
            raise CellError("geen datum (verwacht dd-mm-jjjj of jjjj-mm-dd)")
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError("geen bestaande datum") from None


def _date_from_cell(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell that lost its date format: an Excel serial day number.
        if 18264 <= value <= 73415 and float(value).is_integer():  # 1950-01-01 .. 2100-12-31
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise CellError("geen datum")
    return parse_date(str(value))


def _text(value: Any) -> str:
    """A cell as text; XLSX integers come without '.0'."""
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _code(value: Any, width: int) -> str:
    """A code the spreadsheet may have turned into a number: '2' -> '02'."""
    text = _text(value)
    return text.zfill(width) if _is_digits(text) and len(text) < width else text


#: WJ756 units by the names backoffice systems write for them.
UNIT_NAMES: dict[str, str] = {
    "minuut": "01",
    "minuten": "01",
    "min": "01",
    "uur": "04",
    "uren": "04",
    "u": "04",
    "etmaal": "14",
    "etmalen": "14",
    "dag": "14",
    "dagen": "14",
    "dagdeel": "16",
    "dagdelen": "16",
    "stuks": "82",
    "stuk": "82",
    "stuks (output)": "82",
    "euro": "83",
    "euro's": "83",
    "euros": "83",
    "stuks (inspanning)": "84",
}


def _eenheid(value: Any) -> str | None:
    """A WJ756 unit code from a code ('4', '04') or a name ('uur', 'Etmaal')."""
    text = _text(value)
    if not text:
        return None
    code = _code(text, 2)
    if code in EENHEDEN:
        return code
    named = UNIT_NAMES.get(text.casefold())
    if named is None:
        allowed = ", ".join(f"{c} ({n})" for c, n in EENHEDEN.items())
        raise CellError(f"onbekende eenheid; toegestaan: {allowed}")
    return named


def _agb(value: Any) -> str:
    text = _code(value, 8)
    if len(text) != 8 or not _is_digits(text):
        raise CellError("geen AGB-code (8 cijfers)")
    return text


def _toewijzingnummer(value: Any) -> str | None:
    """As in the messages (xs:integer): '000123' and '123' are the same number."""
    text = _text(value)
    if not text:
        return None
    return (text.lstrip("0") or "0") if _is_digits(text) else text


class _Cached(dict[Any, Any]):
    """Memoises a converter per file: exports repeat the same dates and tariffs endlessly."""

    def __init__(self, convert: Callable[[Any], Any]):
        super().__init__()
        self.convert = convert

    def __missing__(self, key: Any) -> Any:
        value = self.convert(key)
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[key] = value
        return value


# --------------------------------------------------------------------------- reading tables


@dataclass
class _Table:
    """A table being read: its header and its data rows, numbered as Excel numbers them."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    close: Callable[[], None]


def _normalise_header(header: Any) -> str:
    return " ".join(_text(header).lstrip("\ufeff").split()).casefold()


def _is_blank(row: list[Any] | tuple[Any, ...]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def _open_table(
    path: Path,
    filename: str,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    wanted: list[str] | None = None,
) -> _Table:
    with open(path, "rb") as probe:
        magic = probe.read(8)
    if magic.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        return _open_xlsx(path, filename, wanted)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise RejectedInput(
            [
                InputProblem(
                    filename, None, None, None, "oud Excel-formaat (.xls): sla op als .xlsx of CSV"
                )
            ]
        )
    return _open_csv(path, filename, delimiter=delimiter, encoding=encoding, wanted=wanted)


def has_columns(
    path: Path,
    filename: str,
    wanted: list[str],
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> bool:
    """Whether the table has a header row with all `wanted` columns (as the readers see it).

    Used to recognise the kind of table with exactly the header search, encoding
    and delimiter sniffing that reading it will use.
    """
    table = _open_table(path, filename, delimiter=delimiter, encoding=encoding, wanted=wanted)
    try:
        found = {_normalise_header(header) for header in table.headers}
    finally:
        table.close()
    return {_normalise_header(name) for name in wanted} <= found


def _detect_encoding(path: Path) -> str:
    """BOM, else UTF-8 if the whole file decodes as UTF-8, else Windows-1252."""
    with open(path, "rb") as stream:
        start = stream.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        stream.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _choose_delimiter(header_line: str, wanted: list[str] | None) -> str:
    """The delimiter that yields the mapped columns, else the most columns."""
    best, best_count = ";", 0
    for candidate in _DELIMITERS:
        cells = next(csv.reader([header_line], delimiter=candidate), [])
        names = {_normalise_header(cell) for cell in cells}
        if wanted and all(_normalise_header(w) in names for w in wanted):
            return candidate
        if len(cells) > best_count:
            best, best_count = candidate, len(cells)
    return best


def _open_csv(
    path: Path,
    filename: str,
    *,
    delimiter: str | None,
    encoding: str | None,
    wanted: list[str] | None,
) -> _Table:
    encoding = encoding or _detect_encoding(path)
    stream = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by _Table.close
    header_row = 0
    try:
        header_line = ""
        for header_line in stream:
            header_row += 1
            if header_line.strip():
                break
        chosen = delimiter or _choose_delimiter(header_line, wanted)
        reader = csv.reader(itertools.chain([header_line], stream), delimiter=chosen)
        headers = next(reader, [])
    except (UnicodeDecodeError, csv.Error) as exc:
        stream.close()
        raise _unreadable(filename, encoding, exc, header_row) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Rows are numbered as Excel numbers them: one per record, header included.
        number = header_row
        problem: RejectedInput | None = None
        lines = reader.line_num
        try:
            for row in reader:
                number += 1
                if reader.line_num - lines > 1 or "\n" in "".join(row):
                    spanned = max(reader.line_num - lines, 2)
                    problem = _spanning_quote(filename, header_row + lines, spanned)
                    break
                lines = reader.line_num
                yield number, row
        except (UnicodeDecodeError, csv.Error) as exc:
            problem = _unreadable(filename, encoding, exc, number + 1)
        if problem is not None:
            raise problem

    return _Table(headers=headers, rows=rows(), close=stream.close)


def _spanning_quote(filename: str, line: int, spanned: int) -> RejectedInput:
    """A record over several lines: an opening quote (") that closes lines later, or never.
    Reading on would glue the lines in between into one field and lose them as rows."""
    return RejectedInput(
        [
            InputProblem(
                filename,
                line,
                None,
                None,
                f'een aanhalingsteken (") opent hier een veld dat {spanned} regels beslaat; '
                "de regels daartussen zouden in één veld verdwijnen. Haal het losse "
                "aanhalingsteken weg of sluit het veld op dezelfde regel",
            )
        ]
    )


def _unreadable(
    filename: str, encoding: str, exc: Exception, row: int | None = None
) -> RejectedInput:
    if isinstance(exc, UnicodeDecodeError):
        reason = f"tekens passen niet bij de encoding {encoding} (sla op als UTF-8)"
    else:
        reason = f"geen leesbare CSV: {exc}"
    return RejectedInput([InputProblem(filename, row, None, None, reason)])


def _find_header_row(
    rows: Iterator[tuple[int, tuple[Any, ...]]], wanted: list[str] | None
) -> list[Any]:
    """The first row holding all wanted column names, within the first rows of a sheet.

    Spreadsheets often start with a title and a blank line. When no row fits,
    the first non-empty row is returned, so the error names what was found.
    """
    wanted_names = {_normalise_header(name) for name in wanted or []}
    first: list[Any] = []
    for number, values in rows:
        if _is_blank(values):
            continue
        if not first:
            first = list(values)
        if wanted_names <= {_normalise_header(value) for value in values}:
            return list(values)
        if number >= _HEADER_SEARCH_ROWS:
            break
    return first


def _open_xlsx(path: Path, filename: str, wanted: list[str] | None) -> _Table:
    from openpyxl import load_workbook  # imported here: only XLSX users pay for it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RejectedInput(
            [
                InputProblem(
                    filename, None, None, None, f"geen leesbaar XLSX-bestand ({type(exc).__name__})"
                )
            ]
        ) from None
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # stored dimensions may be wrong; read every row there is
    all_rows = enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    headers = _find_header_row(all_rows, wanted)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, values in all_rows:
            yield number, list(values)

    return _Table(headers=[_text(h) for h in headers], rows=rows(), close=workbook.close)


def _column_indexes(
    table: _Table, filename: str, wanted: dict[str, str], may_lack: Set[str] = frozenset()
) -> dict[str, int]:
    """Field -> column index, matching headers case- and space-insensitively; a field in
    `may_lack` whose column is absent is left out."""
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(table.headers):
        positions.setdefault(_normalise_header(header), []).append(index)
    found: dict[str, int] = {}
    problems = []
    for field_name, header in wanted.items():
        indexes = positions.get(_normalise_header(header), [])
        if len(indexes) == 1:
            found[field_name] = indexes[0]
        elif not indexes and field_name in may_lack:
            continue
        else:
            reason = "kolom ontbreekt" if not indexes else "kolom komt meer dan eens voor"
            shown = ", ".join(repr(h) for h in table.headers if _text(h)) or "geen"
            problems.append(
                InputProblem(filename, 1, header, None, f"{reason}; gevonden kolommen: {shown}")
            )
    if problems:
        table.close()
        raise RejectedInput(problems)
    return found


# --------------------------------------------------------------------------- declaration exports


def _hidden(field_name: str, value: Any) -> str:
    return BSN_HIDDEN if field_name == "bsn" else _text(value)


_CONVERTED_FIELDS: tuple[ExportField, ...] = (
    "bsn",
    "bedrag",
    "productcategorie",
    "begindatum",
    "einddatum",
    "declaratiedatum",
    "referentie",
    "toewijzingnummer",
    "productcode",
    "volume",
    "eenheid",
    "tarief",
    "aanbieder",
)


class _ExportConverter:
    """Turns one export row into an ExportRow.

    This runs once per row of exports with a million rows, so it is written for
    speed: the cells are fetched with one `itemgetter` (an unmapped optional
    column reads a `None` appended to the row), and per-file caches convert each
    distinct text only once. A row that fails here is checked again cell by cell
    (`problems`) to report every bad cell.
    """

    def __init__(
        self, mapping: ColumnMapping, columns: dict[str, int], pseudonymize: Callable[[str], str]
    ):
        self.mapping = mapping
        self.wet = mapping.wet
        self.columns = columns
        self.width = max(columns.values()) + 1
        self.cells = operator.itemgetter(*(columns.get(f, -1) for f in _CONVERTED_FIELDS))
        self.pseudonymize = pseudonymize
        self.dates = _Cached(_date_from_cell)
        self.cents = _Cached(_line_cents)
        self.categories = _Cached(lambda v: _code(_required(v), 2))
        self.optional_cents = _Cached(_optional_cell(_line_cents))
        self.volumes = _Cached(_optional_cell(_volume))
        self.eenheden = _Cached(_eenheid)
        self.texts = _Cached(lambda v: _text(v) or None)
        fixed = mapping.aanbieder_agb
        self.agbs = _Cached(lambda v: fixed if v is None and fixed else _agb(v))

    def __call__(self, row: list[Any], number: int) -> ExportRow:
        if len(row) < self.width:  # exporters often drop empty trailing cells
            row.extend([None] * (self.width - len(row)))
        row.append(None)  # what unmapped optional columns (index -1) read
        (
            bsn,
            bedrag,
            categorie,
            begin,
            end,
            declaratiedatum,
            referentie,
            toewijzing,
            code,
            volume,
            eenheid,
            tarief,
            aanbieder,
        ) = self.cells(row)
        if not (bsn.__class__ is str and len(bsn) == 9 and bsn.isdigit() and bsn.isascii()):
            bsn = normalize_bsn(_text(bsn))  # separators, lost leading zeros, or not a BSN
        amount = self.cents[bedrag]
        dates, texts = self.dates, self.texts
        return ExportRow(
            client=self.pseudonymize(bsn),
            bsn_valid=passes_elfproef(bsn),
            productreferentie=texts[referentie],
            vorig_referentienummer=None,
            toewijzingnummer=_toewijzingnummer(toewijzing),  # mostly distinct: not cached
            productcategorie=self.categories[categorie],
            productcode=texts[code],
            periode_begin=dates[begin],
            periode_eind=dates[end],
            volume=self.volumes[volume],
            eenheid=self.eenheden[eenheid],
            tarief_cents=self.optional_cents[tarief],
            bedrag_cents=amount,
            debet_credit="C" if amount < 0 else "D",
            declaratiedatum=dates[declaratiedatum],
            aanbieder_agb=self.agbs[aanbieder],
            wet=self.wet,
            line=number,
        )

    def problems(
        self, row: list[Any], number: int, table: _Table, filename: str
    ) -> list[InputProblem]:
        """Every bad cell of a row that failed (the slow path, only for bad rows)."""
        if len(row) < self.width:
            row = row + [None] * (self.width - len(row))
        checks: dict[str, Callable[[Any], Any]] = {
            "bsn": lambda v: normalize_bsn(_text(_required(v))),
            "bedrag": lambda v: _line_cents(_required(v)),
            "tarief": _optional_cell(_line_cents),
            "volume": _optional_cell(_volume),
            "productcategorie": _required,
            "begindatum": lambda v: _date_from_cell(_required(v)),
            "einddatum": lambda v: _date_from_cell(_required(v)),
            "declaratiedatum": lambda v: _date_from_cell(_required(v)),
            "aanbieder": _agb,
        }
        found = []
        for field_name, index in self.columns.items():
            check = checks.get(field_name)
            if check is None:
                continue
            try:
                check(row[index])
            except (CellError, ValueError) as exc:
                reason = str(exc) if field_name != "bsn" else "geen BSN (9 cijfers)"
                found.append(
                    InputProblem(
                        filename,
                        number,
                        _text(table.headers[index]),
                        _hidden(field_name, row[index]),
                        reason,
                    )
                )
        return found or [InputProblem(filename, number, None, None, "rij onleesbaar")]


def _required(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CellError("leeg, maar verplicht")
    return value


def _optional_cell(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return convert(value)

    return check


#: GeleverdVolume in the standard (LDT_Volume): at most 99.999.999 units.
MAX_VOLUME = 99_999_999


def _volume(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        volume = float(value)
    else:
        volume = float(parse_decimal(str(value)))
    if not abs(volume) <= MAX_VOLUME:  # also NaN and infinity
        raise CellError("volume groter dan 99.999.999, het hoogste dat de iStandaarden kennen")
    return volume


def read_export(
    path: Path,
    mapping: ColumnMapping,
    *,
    pseudonymize: Callable[[str], str],
    filename: str | None = None,
) -> TabularResult[ExportRow]:
    """Read a whole backoffice export into memory (see `iter_export` for the rules)."""
    result: TabularResult[ExportRow] = TabularResult()
    result.rows.extend(
        iter_export(
            path, mapping, pseudonymize=pseudonymize, filename=filename, problems=result.problems
        )
    )
    return result


def iter_export(
    path: Path,
    mapping: ColumnMapping,
    *,
    pseudonymize: Callable[[str], str],
    problems: list[InputProblem],
    filename: str | None = None,
) -> Iterator[ExportRow]:
    """Stream a backoffice declaration export (CSV or XLSX) as configured by `mapping`.

    Rows with bad cells are skipped and added to `problems` when the mapping
    allows partial files; otherwise, once the file has been read, any bad row
    refuses the whole file (`RejectedInput`, raised from the iterator: the caller
    treats the file as one unit), as does a missing mapped column or an
    unreadable file. Streaming keeps memory flat for a million rows.
    """
    name = filename or Path(path).name
    table = _open_table(
        Path(path),
        name,
        delimiter=mapping.delimiter,
        encoding=mapping.encoding,
        wanted=list(mapping.kolommen.values()),
    )
    try:
        columns = _column_indexes(table, name, dict(mapping.kolommen))
        convert = _ExportConverter(mapping, columns, pseudonymize)
        for number, row in table.rows:
            try:
                converted = convert(row, number)
            except (CellError, ValueError):
                del row[-1]  # the None the converter appended
                if not _is_blank(row):
                    problems.extend(convert.problems(row, number, table, name))
                continue
            yield converted
    finally:
        table.close()
    if problems and not mapping.gedeeltelijk_toegestaan:
        raise _rejected_rows(name, problems)


def _rejected_rows(filename: str, problems: list[InputProblem]) -> RejectedInput:
    shown = problems[:MAX_PROBLEMS_WHEN_REJECTED]
    rows = {p.line for p in problems}
    shown.append(
        InputProblem(
            filename,
            None,
            None,
            None,
            f"{len(rows)} rij(en) met fouten; het bestand is niet ingelezen "
            "(gedeeltelijk inlezen staat uit voor deze export)",
        )
    )
    return RejectedInput(shown)


# --------------------------------------------------------------------------- small fixed tables


_MONTH_YM = re.compile(r"(\d{4})[-/](\d{1,2})\Z", re.ASCII)
_MONTH_MY = re.compile(r"(\d{1,2})[-/](\d{4})\Z", re.ASCII)


def parse_month(value: Any) -> date:
    """`jjjj-mm` or `mm-jjjj` (also with `/`), or an XLSX date: the first of that month."""
    if isinstance(value, date):
        return (value.date() if isinstance(value, datetime) else value).replace(day=1)
    text = _text(value)
    match = _MONTH_YM.match(text)
    if match is not None:
        year, month = int(match[1]), int(match[2])
    else:
        match = _MONTH_MY.match(text)
        if match is None:
            raise CellError("geen maand (verwacht jjjj-mm of mm-jjjj)")
        month, year = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise CellError("geen bestaande maand")
    return date(year, month, 1)


_Columns = dict[str, Callable[[Any], Any]]


def _read_fixed(
    path: Path,
    filename: str | None,
    columns: _Columns,
    optional: set[str],
    build: Callable[[dict[str, Any], int], RowT],
    gedeeltelijk_toegestaan: bool,
    may_lack: Set[str] = frozenset(),
) -> TabularResult[RowT]:
    """Read a table with fixed column names (any order, case-insensitive); a column in
    `may_lack` may be absent from the file (its value is then None on every row)."""
    name = filename or Path(path).name
    table = _open_table(Path(path), name, wanted=[c for c in columns if c not in may_lack])
    indexes = _column_indexes(table, name, {c: c for c in columns}, may_lack)
    result: TabularResult[RowT] = TabularResult()
    try:
        for number, row in table.rows:
            if _is_blank(row):
                continue
            values: dict[str, Any] = dict.fromkeys(set(columns) - set(indexes))
            problems = []
            for column, convert in columns.items():
                if column not in indexes:
                    continue
                index = indexes[column]
                cell = row[index] if index < len(row) else None
                try:
                    if cell is None or (isinstance(cell, str) and not cell.strip()):
                        if column not in optional:
                            raise CellError("leeg, maar verplicht")
                        values[column] = None
                    else:
                        values[column] = convert(cell)
                except CellError as exc:
                    problems.append(
                        InputProblem(
                            name, number, _text(table.headers[index]), _text(cell), str(exc)
                        )
                    )
            if problems:
                result.problems.extend(problems)
            else:
                result.rows.append(build(values, number))
    finally:
        table.close()
    if result.problems and not gedeeltelijk_toegestaan:
        raise RejectedInput(result.problems[:MAX_PROBLEMS_WHEN_REJECTED])
    return result


def read_monthly_totals(
    path: Path, *, filename: str | None = None, gedeeltelijk_toegestaan: bool = False
) -> TabularResult[MonthlyTotal]:
    """Monthly totals per perceel (`maand;perceel;bedrag`), e.g. PGB or eigen bijdrage.

    A `gemeente` column (CBS code) says whose totals they are; it may be left out
    where one municipality is configured. All or nothing by default: a missing
    month would silently understate a total.
    """
    columns: _Columns = {
        "maand": parse_month,
        "perceel": _text,
        "bedrag": _bounded(MAX_TOTAL_CENTS, "een totaalbedrag"),
        "gemeente": _gemeentecode,
    }
    return _read_fixed(
        Path(path),
        filename,
        columns,
        set(),
        lambda v, n: MonthlyTotal(
            maand=v["maand"],
            perceel=v["perceel"],
            bedrag_cents=v["bedrag"],
            line=n,
            gemeente=v["gemeente"],
        ),
        gedeeltelijk_toegestaan,
        may_lack={"gemeente"},
    )


def _gemeentecode(value: Any) -> str:
    text = _code(value, 4)
    if len(text) != 4 or not _is_digits(text):
        raise CellError("geen gemeentecode (4 cijfers, CBS)")
    return text


def read_waiting_list(
    path: Path, *, filename: str | None = None, gedeeltelijk_toegestaan: bool = False
) -> TabularResult[WachtlijstRow]:
    """A waiting-list export (`toewijzingsdatum;startdatum;aanbieder;perceel`).

    `aanbieder` is the provider's AGB code (leading zeros restored, as in exports).
    A `gemeente` column may say whose list it is, as for monthly totals.
    """
    columns: _Columns = {
        "toewijzingsdatum": _date_from_cell,
        "startdatum": _date_from_cell,
        "aanbieder": _agb,
        "perceel": _text,
        "gemeente": _gemeentecode,
    }
    return _read_fixed(
        Path(path),
        filename,
        columns,
        {"startdatum"},
        lambda v, n: WachtlijstRow(
            toewijzingsdatum=v["toewijzingsdatum"],
            startdatum=v["startdatum"],
            aanbieder=v["aanbieder"],
            perceel=v["perceel"],
            line=n,
            gemeente=v["gemeente"],
        ),
        gedeeltelijk_toegestaan,
        may_lack={"gemeente"},
    )
