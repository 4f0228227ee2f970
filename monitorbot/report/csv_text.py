"""CSV as Dutch Excel reads it, or as a script reads it: one writer, two styles.

Excel with Dutch regional settings splits columns on `;` and reads `1234,50` as
a number; `1234.50` it turns into text or a date. So `csv` (the default) is
Excel-NL: `;`, decimal comma and a UTF-8 byte-order mark so `ë` survives.
`csv-punt` is for scripts: `,`, decimal point, no mark. Amounts are exact
decimals here and nowhere rounded twice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum

BOM = "\ufeff"


class CsvStijl(StrEnum):
    EXCEL_NL = "csv"
    PUNT = "csv-punt"


Cell = str | Decimal | int | None


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]], stijl: CsvStijl) -> str:
    """The table as CSV text in `stijl`; None is an empty cell."""
    dutch = stijl is CsvStijl.EXCEL_NL
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if dutch else ",", lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value, dutch) for value in row])
    return (BOM if dutch else "") + buffer.getvalue()


def _cell(value: Cell, dutch: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.replace(".", ",") if dutch else text
    return str(value)
