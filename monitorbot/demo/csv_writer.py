"""The non-XML inputs: a provider's backoffice export and the SVB/CAK monthly totals.

Written the way Dutch office software writes them: `;`-separated, cp1252,
decimal comma with `.` thousands, dates as dd-mm-jjjj, Windows line ends. The
backoffice export also carries the client's name, which ingest must drop.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from monitorbot.core.money import format_euros
from monitorbot.demo import identities, months
from monitorbot.demo.declarations import Batch, Row
from monitorbot.demo.months import Month

EXPORT_COLUMNS = (
    "Clientnummer BSN",
    "Naam cliënt",
    "Toewijzingnummer",
    "Productcategorie",
    "Productcode",
    "Begindatum",
    "Einddatum",
    "Volume",
    "Eenheid",
    "Tarief",
    "Bedrag",
    "Declaratiedatum",
    "Referentie",
)
EENHEID_NAMEN = {
    "01": "minuut",
    "04": "uur",
    "14": "etmaal",
    "16": "dagdeel",
    "82": "stuks",
    "83": "euro",
}
ENCODING = "cp1252"


def _dutch_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _export_row(row: Row, batch: Batch, voorletters: str) -> list[str]:
    sign = -1 if row.debet_credit == "C" else 1
    return [
        row.bsn,
        f"{identities.ACHTERNAAM}, {'.'.join(voorletters)}.",
        str(row.toewijzingnummer),
        row.categorie,
        row.productcode,
        _dutch_date(row.begin),
        _dutch_date(row.end),
        str(sign * row.volume),
        EENHEID_NAMEN[row.eenheid],
        format_euros(row.tarief, decimals=2),
        format_euros(row.signed_amount, decimals=2),
        _dutch_date(batch.submitted),
        row.referentie,
    ]


def write_exports(
    batches: Iterable[Batch], voorletters: dict[str, str], folder: Path
) -> list[Path]:
    """One export per month in which the provider ran its declaration export."""
    per_month: dict[Month, list[Batch]] = defaultdict(list)
    for batch in batches:
        per_month[months.month_of(batch.submitted)].append(batch)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for month in sorted(per_month):
        agb = per_month[month][0].provider.agb
        path = folder / f"{agb}_declaraties_{months.label(month)}.csv"
        with path.open("w", encoding=ENCODING, newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(EXPORT_COLUMNS)
            for batch in per_month[month]:
                for row in batch.rows:
                    writer.writerow(_export_row(row, batch, voorletters[row.bsn]))
        paths.append(path)
    return paths


def write_totals(
    amounts: dict[tuple[Month, str], int],
    percelen: Iterable[str],
    last: Month,
    path: Path,
    gemeente: str,
) -> None:
    """`maand;gemeente;perceel;bedrag` for the given percelen up to and including `last`."""
    wanted = set(percelen)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(("maand", "gemeente", "perceel", "bedrag"))
        for (month, perceel), cents in sorted(amounts.items()):
            if perceel in wanted and month <= last:
                label = months.label(month)
                writer.writerow((label, gemeente, perceel, format_euros(cents, decimals=2)))
