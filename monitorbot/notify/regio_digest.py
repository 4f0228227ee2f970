"""The regional digest: the members side by side in one table, and who stands out.

Written for the region's meeting, read in a minute, by the manager digest's rules:
one table (per member its begroting, prognose, restant and V/N for the whole year,
and the region's), then one line per member that stands out from the others, then
one line for what the figures do not yet hold. A pure function of the region's
snapshot, so every figure is the one the regional table, workbook and console show.
"""

from __future__ import annotations

import io

from monitorbot.core.money import format_percentage
from monitorbot.evaluate.regio_snapshot import Kengetal, RegioSnapshot
from monitorbot.notify.message import Attachment, Message, Section, Table
from monitorbot.report import regio_table
from monitorbot.report.budget_table import in_thousands

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STANDOUTS = 5  # more members that stand out are counted, not listed


def _total_table(snapshot: RegioSnapshot) -> Table | None:
    total = snapshot.rij("totaal")
    if total is None:
        return None
    rows = []
    for lid in total.leden:
        rows.append(
            [
                snapshot.naam_van(lid.gemeente),
                in_thousands(lid.begroting_cents),
                in_thousands(lid.prognose.mid) if lid.prognose else "",
                in_thousands(lid.restant_cents),
                lid.v_n,
                format_percentage(lid.afwijking),
            ]
        )
    rows.append(
        [
            regio_table.REGIO_LABEL,
            in_thousands(total.begroting_cents),
            in_thousands(total.regio.mid) if total.regio else "",
            in_thousands(total.restant_cents),
            total.v_n,
            format_percentage(total.afwijking),
        ]
    )
    columns = ["gemeente", f"Begroting {snapshot.jaar}", f"Prognose {snapshot.jaar}"]
    columns += ["Restant-budget", "V/N", "afwijking in %"]
    return Table(columns, rows, ["l", "r", "r", "r", "l", "r"])


def standout_lines(snapshot: RegioSnapshot) -> list[str]:
    """One sentence per member and figure that stands out, largest deviation first."""
    found: list[tuple[float, str]] = []
    for kengetal in snapshot.kengetallen:
        for code in kengetal.afwijkers:
            value = kengetal.waarde(code)
            if value is None or kengetal.mediaan is None:
                continue
            found.append((_distance(kengetal, value), _sentence(snapshot, kengetal, code, value)))
    return [line for _, line in sorted(found, key=lambda item: -item[0])]


def _distance(kengetal: Kengetal, value: float) -> float:
    median = kengetal.mediaan or 0.0
    if kengetal.eenheid == "%":
        return abs(value - median)
    return abs(value / median - 1) if median else 0.0


def _sentence(snapshot: RegioSnapshot, kengetal: Kengetal, code: str, value: float) -> str:
    unit = kengetal.eenheid
    direction = "hoger" if value > (kengetal.mediaan or 0) else "lager"
    return (
        f"{snapshot.naam_van(code)}: {kengetal.titel.lower()} "
        f"{regio_table.format_kengetal(value, unit)}, {direction} dan de andere gemeenten "
        f"(mediaan {regio_table.format_kengetal(kengetal.mediaan, unit)})."
    )


def regio_digest_message(snapshot: RegioSnapshot, *, with_workbook: bool) -> Message:
    """The region's digest at its peildatum, for the region's `digest_kanaal`."""
    lines = standout_lines(snapshot)
    shown = lines[:STANDOUTS]
    if len(lines) > STANDOUTS:
        shown.append(f"En nog {len(lines) - STANDOUTS} andere afwijking(en): zie de vergelijking.")
    missing = [f"{lid.naam}: {lid.ontbreekt}." for lid in snapshot.leden if lid.ontbreekt]
    sections = [
        Section(
            title=f"Begroting en prognose {snapshot.jaar}",
            text=regio_table.title(snapshot),
            table=_total_table(snapshot),
            details=regio_table.footnotes(snapshot)[:1],
        ),
        Section(
            title="Opvallend",
            text=" ".join(shown) or "Geen gemeente wijkt duidelijk af van de andere.",
        ),
        Section(
            title="Gegevens",
            text=" ".join(missing) or "Alle gemeenten zijn geëvalueerd op deze peildatum.",
        ),
    ]
    attachments = []
    if with_workbook:
        attachments.append(
            Attachment(
                f"{snapshot.stem}.xlsx",
                XLSX,
                _workbook(snapshot),
                f"Regio {snapshot.naam} {snapshot.jaar}",
            )
        )
    return Message(
        kind="digest",
        gemeente="",
        regio=snapshot.regio,
        title=f"monitorbot {snapshot.naam}: de gemeenten vergeleken, {snapshot.peildatum.label}",
        summary=(
            f"Begroting en prognose per gemeente en voor de regio, en wie afwijkt, "
            f"{snapshot.peildatum.label}. Bedragen × € 1.000."
        ),
        sections=sections,
        attachments=attachments,
        footer="Geen cliëntgegevens in dit bericht. Details: monitorbot regio tabel.",
    )


def _workbook(snapshot: RegioSnapshot) -> bytes:
    from monitorbot.report.workbook import regio_workbook

    buffer = io.BytesIO()
    regio_workbook(snapshot).save(buffer)
    return buffer.getvalue()
