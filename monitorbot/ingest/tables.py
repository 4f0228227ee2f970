"""Tables: backoffice declaration exports, monthly totals (PGB, eigen bijdrage), waiting lists.

Which kind a table is follows from its header row. Declaration exports are read
through a named column mapping from `config/exportformaten.yaml` (one per source
system), so a new export needs configuration, not code.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.core.states import BestandStatus, Bevindingsoort
from monitorbot.ingest import tabular
from monitorbot.ingest.errors import InputProblem, RejectedInput
from monitorbot.ingest.export_formats import EXPORT_FORMATS_FILE, load_export_formats
from monitorbot.ingest.findings import Finding, FindingCollector
from monitorbot.ingest.sources import (
    DeclarationLine,
    DeclarationSink,
    Handler,
    SourceFile,
    declaration_writer,
    euros_exact,
)
from monitorbot.store import db, models
from monitorbot.store.queries.allocations import WAITING_LIST_SOORT
from monitorbot.store.queries.quality import file_name


@contextmanager
def on_disk(source: SourceFile) -> Iterator[Path]:
    """The table readers take a path; a zip member is spilled to a temporary file."""
    if source.path is not None:
        yield source.path
        return
    suffix = Path(source.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        with source.open() as stream:
            handle.write(stream.read())
        handle.flush()
        yield Path(handle.name)


MONTHLY_TOTALS_COLUMNS = ["maand", "perceel", "bedrag"]
WAITING_LIST_COLUMNS = ["toewijzingsdatum", "startdatum", "aanbieder", "perceel"]


def classify_table(source: SourceFile, config: Config) -> Handler:
    """Monthly totals, a waiting list, or a configured declaration export.

    Recognised by the header row, found the way the readers find it (title rows,
    blank lines, any supported encoding and delimiter). Nothing from the file's
    content is quoted in the error: a headerless file's first line may be a client.
    """
    formats = load_export_formats(config)
    with on_disk(source) as path:
        if tabular.has_columns(path, source.name, MONTHLY_TOTALS_COLUMNS):
            return MonthlyTotals(source)
        if tabular.has_columns(path, source.name, WAITING_LIST_COLUMNS):
            return WaitingList(source)
        for mapping in formats:
            columns = list(mapping.kolommen.values())
            if tabular.has_columns(
                path, source.name, columns, delimiter=mapping.delimiter, encoding=mapping.encoding
            ):
                return DeclarationExport(source, mapping)
    known = ", ".join(m.naam for m in formats) or "geen"
    raise RejectedInput(
        [
            InputProblem(
                source.name,
                None,
                None,
                None,
                "onbekend bestandsformaat: geen XML-bericht, geen PGB/maandtotalen "
                f"({';'.join(MONTHLY_TOTALS_COLUMNS)}), geen wachtlijst "
                f"({';'.join(WAITING_LIST_COLUMNS)}) en geen exportformaat uit "
                f"config/{EXPORT_FORMATS_FILE} past op de kolommen (formaten: {known})",
            )
        ]
    )


def _record_skipped_rows(
    problems: list[InputProblem],
    findings: FindingCollector,
    gemeente: str | None,
    aanbieder: str | None,
) -> None:
    """Rows a partial-file format skipped: each one a finding, so nothing goes unnoticed.

    (Formats that do not allow partial files were already refused whole by the reader.)
    """
    for problem in problems:
        findings.add(
            Finding(
                soort="onleesbare_rij",
                gemeente=gemeente,
                aanbieder=aanbieder,
                regel=problem.line,
                element=problem.element,
                waarde=problem.value,
                omschrijving=f"{problem.reason} (rij overgeslagen; rest van het bestand ingelezen)",
            )
        )


class DeclarationExport:
    """A provider's backoffice export of declaration lines (CSV or XLSX)."""

    def __init__(self, source: SourceFile, mapping: tabular.ColumnMapping):
        self.source = source
        self.mapping = mapping
        self.soort = f"export:{mapping.naam}"

    def load(self, session, bestand, report, findings, ingestor):  # type: ignore[no-untyped-def]
        gemeente = self.mapping.gemeente or _single_gemeente(ingestor.config, self.source.name)
        report.gemeente = gemeente
        problems: list[InputProblem] = []
        by_provider: dict[str, DeclarationSink] = {}
        invalid_bsn = 0
        with on_disk(self.source) as path, declaration_writer(session) as writer:
            rows = tabular.iter_export(
                path,
                self.mapping,
                pseudonymize=ingestor.pseudonymize,
                problems=problems,
                filename=self.source.name,
            )
            for row in rows:
                invalid_bsn += not row.bsn_valid
                sink = by_provider.get(row.aanbieder_agb)
                if sink is None:
                    sink = DeclarationSink(
                        writer,
                        bestand.id,
                        gemeente,
                        self.mapping.wet,
                        row.aanbieder_agb,
                        ingestor.config,
                        report,
                        findings,
                    )
                    by_provider[row.aanbieder_agb] = sink
                sink.add(_line_from_row(row))
            for sink in by_provider.values():
                sink.finish()
        _record_skipped_rows(problems, findings, gemeente, self.mapping.aanbieder_agb)
        if invalid_bsn:
            findings.add(
                Finding(
                    soort="bsn_11proef",
                    gemeente=gemeente,
                    aanbieder=self.mapping.aanbieder_agb,
                    element=self.mapping.kolommen.get("bsn"),
                    omschrijving=f"{invalid_bsn} rij(en) met een BSN dat niet aan de 11-proef "
                    "voldoet; de rijen zijn bewaard",
                )
            )
        bestand.afzender = self.mapping.aanbieder_agb
        _replace_earlier_deliveries(
            session, bestand.id, self.soort, gemeente, self.source.name, findings
        )
        return None


def _replace_earlier_deliveries(
    session: Session,
    bestand_id: int,
    soort: str,
    gemeente: str,
    name: str,
    findings: FindingCollector,
) -> None:
    """An export is identified by its source (the export format) and its period (its first
    to last declaration date), not by its bytes. An earlier export of the same source whose
    period lies within this one's is replaced: its rows go, a finding states the
    difference. One that overlaps only in part, or that covers more than this one (a
    correction of part of an earlier period), is not guessed at: this file is refused."""
    db.serialize(session, "export", soort, gemeente)
    line, file = models.Declaratieregel, models.Bronbestand
    periods = {
        row.bestand_id: row
        for row in session.execute(
            select(
                line.bestand_id,
                func.min(line.declaratiedatum).label("van"),
                func.max(line.declaratiedatum).label("tot"),
                func.count().label("regels"),
                func.coalesce(func.sum(line.bedrag_cents), 0).label("cents"),
            )
            .join(file, file.id == line.bestand_id)
            .where(
                line.gemeente_code == gemeente,
                file.soort == soort,
                file.status == BestandStatus.INGELEZEN,
            )
            .group_by(line.bestand_id)
        )
    }
    own = periods.pop(bestand_id, None)
    if own is None:
        return
    names = {
        row.id: row.bestandsnaam
        for row in session.execute(
            select(file.id, file.bestandsnaam).where(file.id.in_(list(periods)))
        )
    }
    covered = []
    for earlier in periods.values():
        if earlier.tot < own.van or earlier.van > own.tot:
            continue  # another period
        if own.van <= earlier.van and earlier.tot <= own.tot:
            covered.append(earlier)
            continue
        inside = earlier.van <= own.van and own.tot <= earlier.tot
        raise RejectedInput(
            [
                InputProblem(
                    name,
                    None,
                    "declaratiedatum",
                    f"{own.van:%d-%m-%Y} t/m {own.tot:%d-%m-%Y}",
                    f"{'valt binnen' if inside else 'overlapt gedeeltelijk met'} "
                    f"{file_name(names[earlier.bestand_id])} "
                    f"({earlier.van:%d-%m-%Y} t/m {earlier.tot:%d-%m-%Y}): welke regels gelden "
                    "is niet te zeggen. Lever de hele periode van beide opnieuw in één export",
                )
            ]
        )
    for earlier in covered:
        session.execute(delete(line).where(line.bestand_id == earlier.bestand_id))
        session.execute(
            update(file).where(file.id == earlier.bestand_id).values(status=BestandStatus.VERVANGEN)
        )
        findings.add(
            Finding(
                soort=Bevindingsoort.EXPORT_VERVANGEN,
                gemeente=gemeente,
                element="declaratiedatum",
                waarde=f"{earlier.van:%d-%m-%Y} t/m {earlier.tot:%d-%m-%Y}",
                bedrag_cents=int(own.cents) - int(earlier.cents),
                omschrijving=f"vervangt {file_name(names[earlier.bestand_id])} (zelfde bron, "
                f"periode binnen deze levering): {earlier.regels} regels € "
                f"{euros_exact(int(earlier.cents))} worden {own.regels} regels € "
                f"{euros_exact(int(own.cents))}",
            )
        )


def _line_from_row(row: tabular.ExportRow) -> DeclarationLine:
    return DeclarationLine(
        client=row.client,
        toewijzingnummer=row.toewijzingnummer,
        productcategorie=row.productcategorie,
        productcode=row.productcode,
        periode_begin=row.periode_begin,
        periode_eind=row.periode_eind,
        volume=row.volume,
        eenheid=row.eenheid,
        tarief_cents=row.tarief_cents,
        bedrag_cents=row.bedrag_cents,
        debet_credit=row.debet_credit,
        declaratiedatum=row.declaratiedatum,
        declaratienummer=None,
        productreferentie=row.productreferentie,
        vorig_referentienummer=None,
        line=row.line,
    )


def _single_gemeente(config: Config, name: str) -> str:
    if len(config.gemeenten) == 1:
        return next(iter(config.gemeenten))
    raise RejectedInput(
        [
            InputProblem(
                name,
                None,
                None,
                None,
                "export zonder gemeente: zet `gemeente:` in het exportformaat, want er zijn "
                f"{len(config.gemeenten)} gemeenten geconfigureerd",
            )
        ]
    )


def _gemeente_of_rows(
    rows: list[tabular.MonthlyTotal] | list[tabular.WachtlijstRow], config: Config, name: str
) -> str:
    """The one configured gemeente a table (monthly totals, a waiting list) is about: its
    `gemeente` column, or the only gemeente configured when the file has none."""
    given = {row.gemeente for row in rows if row.gemeente is not None}
    if not given:
        return _single_gemeente(config, name)
    if len(given) > 1:
        first = rows[0]
        other = next(r for r in rows if r.gemeente != first.gemeente)
        raise RejectedInput(
            [
                InputProblem(
                    name,
                    other.line,
                    "gemeente",
                    other.gemeente,
                    f"één gemeente per bestand (regel {first.line}: {first.gemeente})",
                )
            ]
        )
    (code,) = given
    if code not in config.gemeenten:
        line = next(r.line for r in rows if r.gemeente == code)
        known = ", ".join(sorted(config.gemeenten)) or "geen"
        raise RejectedInput(
            [InputProblem(name, line, "gemeente", code, f"niet geconfigureerd; bekend: {known}")]
        )
    return code


class MonthlyTotals:
    """PGB (SVB) and other monthly totals per perceel: `maand;perceel;bedrag`.

    A later file for the same month and perceel replaces the earlier figure: the
    SVB re-issues months, it does not send increments.
    """

    soort = "maandtotalen"

    def __init__(self, source: SourceFile):
        self.source = source

    def load(self, session: Session, bestand, report, findings, ingestor):  # type: ignore[no-untyped-def]
        with on_disk(self.source) as path:
            result = tabular.read_monthly_totals(path, filename=self.source.name)
        config = ingestor.config
        gemeente = _gemeente_of_rows(result.rows, config, self.source.name)
        report.gemeente = gemeente
        problems = list(result.problems)
        for row in result.rows:
            if row.perceel not in config.percelen.ids:
                problems.append(
                    InputProblem(
                        self.source.name,
                        row.line,
                        "perceel",
                        row.perceel,
                        f"onbekend perceel; toegestaan: {', '.join(config.percelen.ids)}",
                    )
                )
        if problems:
            raise RejectedInput(problems)
        replaced = _Replaced()
        for row in result.rows:
            earlier = (
                session.execute(
                    delete(models.PgbMaand)
                    .where(
                        models.PgbMaand.gemeente_code == gemeente,
                        models.PgbMaand.perceel_id == row.perceel,
                        models.PgbMaand.maand == row.maand,
                    )
                    .returning(models.PgbMaand.bedrag_cents)
                )
                .scalars()
                .all()
            )
            if earlier and sum(earlier) != row.bedrag_cents:
                replaced.add(row, sum(earlier))
            session.add(
                models.PgbMaand(
                    gemeente_code=gemeente,
                    perceel_id=row.perceel,
                    maand=row.maand,
                    bedrag_cents=row.bedrag_cents,
                    bestand_id=bestand.id,
                )
            )
            report.regels += 1
            report.bedrag_cents += row.bedrag_cents
            report.widen_period(row.maand, row.maand)
        replaced.report(findings, gemeente)
        return None


class _Replaced:
    """Monthly totals a new delivery changed: said in one finding per file, with the
    difference, so a re-issued month never changes a figure without a word."""

    def __init__(self) -> None:
        self.rows: list[tuple[tabular.MonthlyTotal, int]] = []

    def add(self, row: tabular.MonthlyTotal, earlier_cents: int) -> None:
        self.rows.append((row, earlier_cents))

    def report(self, findings: FindingCollector, gemeente: str) -> None:
        if not self.rows:
            return
        difference = sum(row.bedrag_cents - earlier for row, earlier in self.rows)
        first, earlier = self.rows[0]
        findings.add(
            Finding(
                soort=Bevindingsoort.MAANDTOTAAL_VERVANGEN,
                gemeente=gemeente,
                regel=first.line,
                element="bedrag",
                waarde=f"{first.perceel} {first.maand:%m-%Y}",
                bedrag_cents=difference,
                omschrijving=f"{len(self.rows)} maandtotaal/-totalen vervangen door deze "
                f"levering, samen € {euros_exact(difference)} verschil; o.a. {first.perceel} "
                f"{first.maand:%m-%Y}: was € {euros_exact(earlier)}, nu "
                f"€ {euros_exact(first.bedrag_cents)}",
            )
        )


class WaitingList:
    """A waiting-list export for municipalities without 301/305 messages.

    Each file is a snapshot of the whole list (registrations with their start
    date, if any) without client key. Every export is kept; the one known at a
    peildatum is the list then (`store.queries.allocations`), so a replay of the
    past sees the list as it was.
    """

    soort = WAITING_LIST_SOORT

    def __init__(self, source: SourceFile):
        self.source = source

    def load(self, session: Session, bestand, report, findings, ingestor):  # type: ignore[no-untyped-def]
        with on_disk(self.source) as path:
            result = tabular.read_waiting_list(path, filename=self.source.name)
        if result.problems:
            raise RejectedInput(result.problems)
        config = ingestor.config
        gemeente = _gemeente_of_rows(result.rows, config, self.source.name)
        report.gemeente = gemeente
        unknown = [
            InputProblem(
                self.source.name,
                row.line,
                "perceel",
                row.perceel,
                f"onbekend perceel; toegestaan: {', '.join(config.percelen.ids)}",
            )
            for row in result.rows
            if row.perceel not in config.percelen.ids
        ]
        if unknown:
            raise RejectedInput(unknown)
        rows = []
        for row in result.rows:
            rows.append(
                dict(
                    gemeente_code=gemeente,
                    bestand_id=bestand.id,
                    perceel_id=row.perceel,
                    aanbieder_agb=row.aanbieder,
                    toewijzingsdatum=row.toewijzingsdatum,
                    startdatum=row.startdatum,
                )
            )
            report.regels += 1
            report.widen_period(row.toewijzingsdatum, row.startdatum or row.toewijzingsdatum)
        if rows:
            session.execute(insert(models.WachtlijstRegel), rows)
        return None
