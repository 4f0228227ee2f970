"""What kind of file is this, and how do its records become rows?

`classify` looks at content, never at the file name: XML messages by their root
namespace; tables by their header row (monthly totals, waiting lists, or one of
the configured export formats). Each handler loads one file inside the
transaction the pipeline opened for it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from sqlalchemy import Select, bindparam, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from monitorbot.config import Config
from monitorbot.config.codes import NIET_INGEDEELD, PRODUCTCATEGORIEEN
from monitorbot.core.money import format_euros
from monitorbot.core.states import Bevindingsoort
from monitorbot.ingest import xml_messages as xm
from monitorbot.ingest.errors import AlreadyIngested, InputProblem, RejectedInput
from monitorbot.ingest.findings import Finding, FindingCollector
from monitorbot.ingest.parallel import PartResult, ReadAhead, SplitDoubt, plan_split
from monitorbot.ingest.periods import split_by_month
from monitorbot.store import models
from monitorbot.store.bulk import BulkWriter
from monitorbot.store.queries.quality import file_name

if TYPE_CHECKING:
    from monitorbot.ingest.pipeline import FileReport, Ingestor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest: on disk, or a member of a zip archive; possibly read ahead."""

    name: str
    open: Callable[[], IO[bytes]]
    path: Path | None = None
    read_ahead: ReadAhead | None = None

    def source(self) -> Path | bytes:
        """What the parsers take: the path, or the bytes of an archive member."""
        if self.path is not None:
            return self.path
        with self.open() as stream:
            return stream.read()

    def head(self, size: int = 4096) -> bytes:
        with self.open() as stream:
            return stream.read(size)


@dataclass
class BestandInfo:
    """The `bronbestand` row of the file being loaded, as far as handlers need it."""

    id: int
    afzender: str | None = None
    berichttype: str | None = None
    bericht_identificatie: str | None = None
    dagtekening: date | None = None
    inhoud: str | None = None  # the content digest (see pipeline.digests_of)


class Handler(Protocol):
    soort: str

    def load(
        self,
        session: Session,
        bestand: BestandInfo,
        report: FileReport,
        findings: FindingCollector,
        ingestor: Ingestor,
    ) -> None:
        """Load the file's rows; raise RejectedInput (nothing is kept) when it cannot be."""


def looks_like_xml(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"<")


def classify(source: SourceFile, config: Config) -> Handler:
    """The handler for this file, decided by its content."""
    ahead = source.read_ahead.message if source.read_ahead else None
    if ahead is not None or looks_like_xml(source.head()):
        if ahead is None:
            wet, code = xm.sniff_message(source.source(), filename=source.name)
        elif ahead.wet is None or ahead.berichttype is None:
            raise RejectedInput(ahead.problems)
        else:
            wet, code = ahead.wet, ahead.berichttype
        if code == "323":
            return DeclarationMessage(source, wet)
        if code in xm.RETURN_TYPES:
            return ReturnMessage(source, wet, code)
        if code == "325":
            from monitorbot.ingest.answers import DeclarationAnswer

            return DeclarationAnswer(source, wet, code)
        return CareFlowMessage(source, wet, code)
    from monitorbot.ingest.tables import classify_table

    return classify_table(source, config)


# --------------------------------------------------------------------------- helpers


MessageKey = tuple[str | None, str | None, str | None, date | None]


def message_key(header: xm.MessageHeader) -> MessageKey:
    """A message's identity as the standard defines it (CDT_BerichtIdentificatie: the
    identification *and* its dagtekening), per sender and message type."""
    return (
        header.afzender,
        f"{header.wet}{header.berichttype}",
        header.bericht_identificatie,
        header.dagtekening,
    )


def refuse_known_message(
    ingestor: Ingestor, header: xm.MessageHeader, name: str, inhoud: str | None
) -> None:
    """A message whose identity is known: the same content is a no-op (AlreadyIngested);
    other content is refused, never dropped — the first stays, this one goes to quarantine
    with both names in its report."""
    known = ingestor.known_messages.get(message_key(header))
    if known is None:
        return
    earlier, earlier_inhoud = known
    if inhoud is not None and inhoud == earlier_inhoud:
        raise AlreadyIngested(earlier)
    raise RejectedInput(
        [
            InputProblem(
                name,
                None,
                "BerichtIdentificatie",
                header.bericht_identificatie,
                f"bericht {header.bericht_identificatie} van {header.dagtekening:%d-%m-%Y} van "
                f"afzender {header.afzender} is al ingelezen uit {file_name(earlier)}, met andere "
                "inhoud; dat eerste bericht blijft gelden. Een correctie hoort een eigen "
                "identificatie te hebben",
            )
        ]
    )


def accept_header(
    header: xm.MessageHeader,
    *,
    from_gemeente: bool,
    bestand: BestandInfo,
    report: FileReport,
    findings: FindingCollector,
    ingestor: Ingestor,
    name: str,
) -> tuple[str, str]:
    """The checks every message's header passes (identity, configured municipality) and
    its parties: (gemeente, aanbieder), whichever of Afzender and Ontvanger each is."""
    refuse_known_message(ingestor, header, name, bestand.inhoud)
    record_header(bestand, header)
    gemeente = header.afzender if from_gemeente else header.ontvanger
    aanbieder = header.ontvanger if from_gemeente else header.afzender
    report.gemeente = gemeente
    check_gemeente(
        gemeente,
        ingestor.config,
        findings,
        aanbieder,
        "Afzender" if from_gemeente else "Ontvanger",
    )
    return gemeente, aanbieder


def record_header(bestand: BestandInfo, header: xm.MessageHeader) -> None:
    bestand.afzender = header.afzender
    bestand.berichttype = f"{header.wet}{header.berichttype}"
    bestand.bericht_identificatie = header.bericht_identificatie
    bestand.dagtekening = header.dagtekening


def check_gemeente(
    gemeente: str,
    config: Config,
    findings: FindingCollector,
    aanbieder: str | None,
    element: str,
) -> None:
    if gemeente not in config.gemeenten:
        known = ", ".join(sorted(config.gemeenten)) or "geen"
        findings.add(
            Finding(
                soort="onbekende_ontvanger",
                gemeente=gemeente,
                aanbieder=aanbieder,
                element=element,
                waarde=gemeente,
                omschrijving=f"gemeente {gemeente} is niet geconfigureerd "
                f"(geconfigureerd: {known}); de regels zijn bewaard onder deze code",
            )
        )


DECLARATION_COLUMNS = (
    "gemeente_code",
    "bestand_id",
    "client_pseudoniem",
    "toewijzingnummer",
    "wet",
    "productcategorie",
    "productcode",
    "perceel_id",
    "aanbieder_agb",
    "periode_begin",
    "periode_eind",
    "zorgmaand",
    "deel",
    "volume",
    "eenheid",
    "tarief_cents",
    "bedrag_cents",
    "debet_credit",
    "declaratiedatum",
    "declaratienummer",
    "productreferentie",
    "vorig_referentienummer",
)


@dataclass(slots=True)
class DeclarationLine:
    """One declared product line, from XML or from an export, before it is split."""

    client: str
    toewijzingnummer: str | None
    productcategorie: str
    productcode: str | None
    periode_begin: date
    periode_eind: date
    volume: float | None
    eenheid: str | None
    tarief_cents: int | None
    bedrag_cents: int
    debet_credit: str
    declaratiedatum: date
    declaratienummer: str | None
    productreferentie: str | None
    vorig_referentienummer: str | None
    line: int | None


def declaration_writer(session: Session) -> BulkWriter:
    """The bulk writer for one file's declaration lines (shared by its sinks)."""
    return BulkWriter(session, models.Declaratieregel.__table__, DECLARATION_COLUMNS)


class IsoDates(dict[date, str]):
    """date → 'yyyy-mm-dd', cached."""

    def __missing__(self, day: date) -> str:
        text = self[day] = day.isoformat()
        return text


class MonthStarts(dict[date, str]):
    """date → the ISO text of the first day of its month, cached."""

    def __missing__(self, day: date) -> str:
        text = self[day] = day.replace(day=1).isoformat()
        return text


@dataclass(slots=True)
class SinkCounts:
    """Lines, amount and period of what a sink wrote."""

    regels: int = 0
    bedrag_cents: int = 0
    van: date = date.max
    tot: date = date.min
    credits: int = 0  # credit lines: only a file with some needs the reversal check

    def merge(self, other: SinkCounts) -> None:
        self.regels += other.regels
        self.bedrag_cents += other.bedrag_cents
        self.credits += other.credits
        self.van = min(self.van, other.van)
        self.tot = max(self.tot, other.tot)

    def report_to(self, report: FileReport) -> None:
        report.regels += self.regels
        report.bedrag_cents += self.bedrag_cents
        if self.regels:
            report.widen_period(self.van, self.tot)


class DeclarationSink:
    """Maps lines to percelen, splits them by care month and bulk-writes them.

    Shared by the XML 323 path and the CSV/XLSX export path, so both produce the
    same rows and the same findings for unmapped codes. `add` is the hot path of a
    million-line load: counts are kept here and given to the report by `finish`.
    """

    def __init__(
        self,
        writer: BulkWriter,
        bestand_id: int,
        gemeente: str,
        wet: str,
        aanbieder: str,
        config: Config,
        report: FileReport,
        findings: FindingCollector,
    ):
        self.writer = writer
        self.bestand_id = bestand_id
        self.gemeente = gemeente
        self.wet = wet
        self.aanbieder = aanbieder
        self.config = config
        self.report = report
        self.findings = findings
        self.unmapped: dict[tuple[str, str | None], list[int]] = {}
        self._perceel_cache: dict[tuple[str, str | None], str] = {}
        # Dates as ISO text, converted once: a file repeats a few dozen dates a million
        # times, and both SQLite (executemany) and COPY take the text as a date.
        self._iso = IsoDates()
        self._month_iso = MonthStarts()
        self.counts = SinkCounts()

    def perceel(self, categorie: str, code: str | None) -> str:
        key = (categorie, code)
        perceel = self._perceel_cache.get(key)
        if perceel is None:
            perceel = self.config.percelen.map_line(self.wet, categorie, code or "", self.aanbieder)
            self._perceel_cache[key] = perceel
        return perceel

    def add(self, line: DeclarationLine) -> None:
        perceel = self.perceel(line.productcategorie, line.productcode)
        if perceel == NIET_INGEDEELD:
            stats = self.unmapped.setdefault((line.productcategorie, line.productcode), [0, 0, 0])
            stats[0] += 1
            stats[1] += line.bedrag_cents
            stats[2] = stats[2] or (line.line or 0)
        begin, end = line.periode_begin, line.periode_eind
        if begin.year == end.year and begin.month == end.month:
            # The common case needs no split: one row, the whole amount.
            self._write(
                line, perceel, begin, end, self._month_iso[begin], 0, line.volume, line.bedrag_cents
            )
        else:
            parts = split_by_month(begin, end, line.bedrag_cents, line.volume)
            for index, part in enumerate(parts):
                self._write(
                    line,
                    perceel,
                    part.begin,
                    part.end,
                    self._iso[part.zorgmaand],
                    index,
                    part.volume,
                    part.amount_cents,
                )
        counts = self.counts
        counts.regels += 1
        counts.bedrag_cents += line.bedrag_cents
        if line.debet_credit == "C":
            counts.credits += 1
        if begin < counts.van:
            counts.van = begin
        if end > counts.tot:
            counts.tot = end

    def _write(
        self,
        line: DeclarationLine,
        perceel: str,
        begin: date,
        end: date,
        zorgmaand: str,  # ISO text, cached by the caller
        deel: int,
        volume: float | None,
        cents: int,
    ) -> None:
        iso = self._iso
        self.writer.add(
            (
                self.gemeente,
                self.bestand_id,
                line.client,
                line.toewijzingnummer,
                self.wet,
                line.productcategorie,
                line.productcode,
                perceel,
                self.aanbieder,
                iso[begin],
                iso[end],
                zorgmaand,
                deel,
                volume,
                line.eenheid,
                line.tarief_cents,
                cents,
                line.debet_credit,
                iso[line.declaratiedatum],
                line.declaratienummer,
                line.productreferentie,
                line.vorig_referentienummer,
            )
        )

    def merge(self, part: PartResult) -> None:
        """Count a part read by another process (its rows are written already)."""
        for key, (count, cents, first_line) in part.unmapped.items():
            stats = self.unmapped.setdefault(key, [0, 0, 0])
            stats[0] += count
            stats[1] += cents
            stats[2] = stats[2] or first_line
        self.counts.merge(part.counts)

    def forget(self) -> None:
        """Drop what parts added (a doubt sends the file back to be read whole)."""
        self.unmapped = {}
        self.counts = SinkCounts()

    def finish(self) -> None:
        self.writer.flush()
        self.counts.report_to(self.report)
        known = PRODUCTCATEGORIEEN.get(self.wet, {})
        for (categorie, code), (count, cents, first_line) in sorted(
            self.unmapped.items(), key=lambda item: (item[0][0], item[0][1] or "")
        ):
            self.report.niet_ingedeeld_regels += count
            self.report.niet_ingedeeld_cents += cents
            soort = "niet_ingedeeld" if categorie in known else "onbekende_productcategorie"
            findings_text = (
                f"{count} regel(s) met productcategorie {categorie}"
                + (f", productcode {code}" if code else "")
                + " vallen onder geen perceel; ze staan onder 'niet ingedeeld'"
            )
            self.findings.add(
                Finding(
                    soort=soort,
                    gemeente=self.gemeente,
                    aanbieder=self.aanbieder,
                    regel=first_line or None,
                    element="ProductCode" if code else "ProductCategorie",
                    waarde=f"{categorie}/{code}" if code else categorie,
                    bedrag_cents=cents,
                    omschrijving=findings_text,
                )
            )


class Message:
    """A message of one type (`jw305`, `wmo306`, ...): its file, wet and code."""

    def __init__(self, source: SourceFile, wet: str, code: str):
        self.source = source
        self.wet = wet
        self.code = code
        self.soort = f"{wet}{code}"

    @contextmanager
    def opened(
        self,
        *,
        bestand: BestandInfo,
        report: FileReport,
        findings: FindingCollector,
        ingestor: Ingestor,
    ) -> Iterator[tuple[xm.ParsedMessage, str, str]]:
        """The message parsing, with the checks every header passes done: the message,
        its gemeente and its aanbieder (whichever of Afzender and Ontvanger each is)."""
        ahead = self.source.read_ahead.message if self.source.read_ahead else None
        with (
            xm.replay(ahead)
            if ahead is not None
            else xm.parse_message(
                self.source.source(), filename=self.source.name, pseudonymize=ingestor.pseudonymize
            )
        ) as message:
            gemeente, aanbieder = accept_header(
                message.header,
                from_gemeente=self.code in xm.FROM_GEMEENTE,
                bestand=bestand,
                report=report,
                findings=findings,
                ingestor=ingestor,
                name=self.source.name,
            )
            yield message, gemeente, aanbieder


# --------------------------------------------------------------------------- 323


class DeclarationMessage(Message):
    """An iJw/iWmo 323: declared care, one row per Prestatie per care month."""

    def __init__(self, source: SourceFile, wet: str):
        super().__init__(source, wet, "323")

    def load(self, session, bestand, report, findings, ingestor):  # type: ignore[no-untyped-def]
        name = self.source.name
        with self.opened(bestand=bestand, report=report, findings=findings, ingestor=ingestor) as (
            message,
            _,
            _,
        ):
            header = message.header
            checks = DeclarationChecks(name, header, findings)
            with declaration_writer(session) as writer:
                sink = DeclarationSink(
                    writer,
                    bestand.id,
                    header.ontvanger,
                    self.wet,
                    header.afzender,
                    ingestor.config,
                    report,
                    findings,
                )
                if not self._read_in_parts(session, bestand.id, checks, sink, ingestor):
                    for record in message.records:
                        if isinstance(record, xm.DeclaratieHeader):
                            checks.declaratie = record
                            continue
                        checks.prestatie(record)
                        sink.add(line_from_prestatie(record, checks.declaratie))
                sink.finish()
            checks.finish()
            if sink.counts.credits:  # most files credit nothing: no query for them
                check_credits(session, bestand.id, header.ontvanger, header.afzender, findings)
        from monitorbot.ingest.answers import apply_waiting_answers

        apply_waiting_answers(session, bestand.id, header, findings, report)
        return None

    def _read_in_parts(
        self,
        session: Session,
        bestand_id: int,
        checks: DeclarationChecks,
        sink: DeclarationSink,
        ingestor: Ingestor,
    ) -> bool:
        """Read a large file on every core (see `parallel`); False: read it whole instead.

        Rows are written and counts merged as parts arrive, inside a savepoint; a doubt
        rolls the rows back and forgets the counts, so it leaves no trace behind.
        """
        pool = ingestor.reader_pool()
        plan = None if pool is None or self.source.path is None else plan_split(self.source.path)
        if plan is None:
            return False
        savepoint = session.begin_nested()
        found: list[Finding] = []
        try:
            with declaration_writer(session) as writer:
                for part in pool.read(plan, self.source.name, bestand_id):
                    writer.add_many(part.rows)
                    checks.merge(part.checks)
                    sink.merge(part)
                    found.extend(part.findings)
        except SplitDoubt as doubt:
            savepoint.rollback()
            checks.forget()
            sink.forget()
            log.info("%s wordt in één proces gelezen: %s", self.source.name, doubt)
            return False
        savepoint.commit()
        sink.findings.extend(found)
        return True


def check_credits(
    session: Session,
    bestand_id: int,
    gemeente: str,
    aanbieder: str | None,
    findings: FindingCollector,
) -> None:
    """A credit line reverses an earlier debit (same ProductReferentie and ToewijzingNummer).

    Signed amounts already keep the totals right; a credit with nothing to
    reverse is still worth a look (a debit that never arrived, or a typo).
    """
    count, cents = session.execute(_unreversed_credits(), {"bestand_id": bestand_id}).one()
    if count:
        findings.add(
            Finding(
                soort="credit_zonder_debet",
                gemeente=gemeente,
                aanbieder=aanbieder,
                bedrag_cents=int(cents or 0),
                omschrijving=f"{count} creditregel(s) zonder eerdere debetregel met dezelfde "
                "ProductReferentie en ToewijzingNummer; de bedragen tellen wel mee",
            )
        )


@functools.cache
def _unreversed_credits() -> Select[tuple[int, int | None]]:
    """Credit lines of one file with no debit to reverse; built once (aliasing the ORM
    entity costs more than running the query on a small file)."""
    credit = aliased(models.Declaratieregel)
    debit = aliased(models.Declaratieregel)
    reversed_debit = (
        select(debit.id)
        .where(
            debit.gemeente_code == credit.gemeente_code,
            debit.aanbieder_agb == credit.aanbieder_agb,
            debit.toewijzingnummer == credit.toewijzingnummer,
            debit.debet_credit == "D",
            or_(
                debit.productreferentie == credit.productreferentie,
                debit.productreferentie == credit.vorig_referentienummer,
            ),
        )
        .exists()
    )
    return select(func.count(), func.sum(credit.bedrag_cents)).where(
        credit.bestand_id == bindparam("bestand_id"),
        credit.debet_credit == "C",
        credit.deel == 0,
        ~reversed_debit,
    )


def line_from_prestatie(p: xm.Prestatie, declaratie: xm.DeclaratieHeader | None) -> DeclarationLine:
    return DeclarationLine(
        client=p.client,
        toewijzingnummer=p.toewijzingnummer,
        productcategorie=p.productcategorie,
        productcode=p.productcode,
        periode_begin=p.periode_begin,
        periode_eind=p.periode_eind,
        volume=float(-p.volume if p.debet_credit == "C" else p.volume),
        eenheid=p.eenheid,
        tarief_cents=p.tarief_cents,
        bedrag_cents=p.bedrag_cents,
        debet_credit=p.debet_credit,
        declaratiedatum=declaratie.dagtekening if declaratie else p.periode_eind,
        declaratienummer=declaratie.declaratienummer if declaratie else None,
        productreferentie=p.productreferentie,
        vorig_referentienummer=p.vorig_referentienummer,
        line=p.line,
    )


def euros_exact(cents: int) -> str:
    """An amount in a finding's text: to the cent, Dutch notation."""
    return format_euros(cents, decimals=2)


#: Units whose amount is not tarief × volume (volume in euros).
UNITS_WITHOUT_TARIFF_RULE = {"83"}


@dataclass
class ChecksState:
    """What the checks keep across a whole declaration, so that parts read by different
    processes (see `parallel`) are judged as one file."""

    declaratie: xm.DeclaratieHeader | None = None
    sum_cents: int = 0
    references: dict[str, int] = field(default_factory=dict)  # reference → its first line
    repeats: list[tuple[int, str, int]] = field(default_factory=list)  # (line, reference, cents)
    invalid_bsn_lines: list[int] = field(default_factory=list)
    # A part's first amount per reference: it becomes a repeat when an earlier part had the
    # reference. Kept only in parts, so the whole file's references stay one int each.
    first_cents: dict[str, int] | None = None


class DeclarationChecks:
    """The semantic checks on a 323: findings, never rejections."""

    def __init__(
        self,
        name: str,
        header: xm.MessageHeader,
        findings: FindingCollector,
        *,
        part: bool = False,
    ):
        self.name = name
        self.header = header
        self.findings = findings
        self.state = ChecksState(first_cents={} if part else None)

    @property
    def declaratie(self) -> xm.DeclaratieHeader | None:
        return self.state.declaratie

    @declaratie.setter
    def declaratie(self, header: xm.DeclaratieHeader) -> None:
        self.state.declaratie = header

    def merge(self, part: ChecksState) -> None:
        """Add a later part of the same declaration: a reference its part saw first may
        already be known from an earlier part, and is then a repeat too."""
        state = self.state
        state.declaratie = state.declaratie or part.declaratie
        state.sum_cents += part.sum_cents
        references, first_cents = part.references, part.first_cents or {}
        for reference in references.keys() & state.references.keys():
            state.repeats.append((references.pop(reference), reference, first_cents[reference]))
        state.references.update(references)
        state.repeats.extend(part.repeats)
        state.invalid_bsn_lines.extend(part.invalid_bsn_lines)

    def forget(self) -> None:
        """Drop what parts added (a doubt sends the file back to be read whole)."""
        self.state = ChecksState()

    def _add(self, soort: str, omschrijving: str, **fields: object) -> None:
        self.findings.add(
            Finding(
                soort=soort,
                gemeente=self.header.ontvanger,
                aanbieder=self.header.afzender,
                omschrijving=omschrijving,
                **fields,
            )
        )  # type: ignore[arg-type]

    def prestatie(self, p: xm.Prestatie) -> None:
        state = self.state
        state.sum_cents += p.bedrag_cents
        if p.productreferentie in state.references:
            state.repeats.append((p.line, p.productreferentie, p.bedrag_cents))
        else:
            state.references[p.productreferentie] = p.line
            if state.first_cents is not None:
                state.first_cents[p.productreferentie] = p.bedrag_cents
        if not p.bsn_valid:
            state.invalid_bsn_lines.append(p.line)
        if (
            p.tarief_cents is not None
            and p.eenheid not in UNITS_WITHOUT_TARIFF_RULE
            and abs(p.tarief_cents * p.volume - abs(p.bedrag_cents)) > 1
        ):
            self._add(
                "tarief_maal_volume",
                f"tarief € {euros_exact(p.tarief_cents)} × volume {p.volume} = "
                f"€ {euros_exact(p.tarief_cents * p.volume)}, gedeclareerd "
                f"€ {euros_exact(abs(p.bedrag_cents))}",
                regel=p.line,
                element="IngediendBedrag",
                waarde=str(abs(p.bedrag_cents)),
                bedrag_cents=p.bedrag_cents,
            )
        declaratie = self.declaratie
        if declaratie and (
            p.periode_begin < declaratie.periode_begin or p.periode_eind > declaratie.periode_eind
        ):
            self._add(
                Bevindingsoort.PERIODE_BUITEN_DECLARATIE,
                f"ProductPeriode {p.periode_begin:%d-%m-%Y} t/m {p.periode_eind:%d-%m-%Y} valt "
                f"buiten de declaratieperiode {declaratie.periode_begin:%d-%m-%Y} t/m "
                f"{declaratie.periode_eind:%d-%m-%Y}",
                regel=p.line,
                element="ProductPeriode",
                waarde=f"{p.periode_begin.isoformat()}/{p.periode_eind.isoformat()}",
                bedrag_cents=p.bedrag_cents,
            )
        if self.declaratie and p.periode_begin > self.declaratie.dagtekening:
            self._add(
                "periode_na_dagtekening",
                f"ProductPeriode begint {p.periode_begin:%d-%m-%Y}, na de dagtekening "
                f"{self.declaratie.dagtekening:%d-%m-%Y}",
                regel=p.line,
                element="Begindatum",
                waarde=p.periode_begin.isoformat(),
                bedrag_cents=p.bedrag_cents,
            )

    def finish(self) -> None:
        state = self.state
        for line, reference, cents in sorted(state.repeats):
            self._add(
                "dubbele_productreferentie",
                f"ProductReferentie {reference} staat ook op regel {state.references[reference]}",
                regel=line,
                element="ReferentieNummer",
                waarde=reference,
                bedrag_cents=cents,
            )
        declaratie = state.declaratie
        if declaratie is not None and declaratie.totaal_cents != state.sum_cents:
            self._add(
                "totaal_mismatch",
                f"TotaalIngediendBedrag € {euros_exact(declaratie.totaal_cents)}, som van de "
                f"prestaties € {euros_exact(state.sum_cents)} "
                f"(verschil € {euros_exact(declaratie.totaal_cents - state.sum_cents)})",
                regel=declaratie.line,
                element="TotaalIngediendBedrag",
                waarde=str(declaratie.totaal_cents),
                bedrag_cents=declaratie.totaal_cents - state.sum_cents,
            )
        invalid = sorted(state.invalid_bsn_lines)
        if invalid:
            lines = ", ".join(map(str, invalid[:10]))
            self._add(
                "bsn_11proef",
                f"{len(invalid)} prestatie(s) met een BSN dat niet aan de "
                f"11-proef voldoet (regel {lines}); de regels zijn bewaard",
                regel=invalid[0],
                element="Bsn",
            )


# --------------------------------------------------------------------------- 301/305/307/315


class CareFlowMessage(Message):
    """301/305/307/315/319: the allocation lifecycle per ToewijzingNummer (or, for a
    request and its answer, per ReferentieAanbieder)."""

    def load(self, session, bestand, report, findings, ingestor):  # type: ignore[no-untyped-def]
        from monitorbot.ingest.lifecycle import Lifecycle

        # Read the whole (small) message first: nothing is written unless it all validated.
        with self.opened(bestand=bestand, report=report, findings=findings, ingestor=ingestor) as (
            message,
            gemeente,
            aanbieder,
        ):
            header = message.header
            records = list(message.records)
        lifecycle = Lifecycle(
            session,
            header,
            gemeente,
            aanbieder,
            ingestor.config,
            bestand.id,
            ingestor.allocation_index(session, gemeente),
        )
        for record in records:
            lifecycle.apply(record)
            report.regels += 1
            day = _record_date(record, header)
            report.widen_period(day, day)
        lifecycle.write()
        return None


def _record_date(record: xm.Record, header: xm.MessageHeader) -> date:
    """The date a care-flow record is about, for the file's period."""
    if isinstance(record, xm.Toewijzing):
        return record.toewijzingsdatum
    if isinstance(record, xm.StopZorg):
        return record.einddatum
    if isinstance(record, xm.StartZorg):
        return record.begindatum
    if isinstance(record, (xm.VerzoekAntwoord, xm.VerzoekWijziging)):
        return header.dagtekening
    return record.toewijzing_ingangsdatum


# --------------------------------------------------------------------------- 302/306/.../320


class ReturnMessage(Message):
    """A technical return message: the receiver's verdict on one message, with retourcodes.

    Stored as what it is and counted per provider (a provider whose messages keep
    bouncing is a data-quality signal); never quarantined when it is valid. A type
    whose XSD is not shipped yet (the Wmo return messages) is kept with a finding
    "niet gevalideerd" and counts nowhere until its schema is added.
    """

    def load(self, session, bestand, report, findings, ingestor):  # type: ignore[no-untyped-def]
        with self.opened(bestand=bestand, report=report, findings=findings, ingestor=ingestor) as (
            message,
            gemeente,
            aanbieder,
        ):
            header = message.header
            counts: dict[tuple[str, str], int] = {}
            for record in message.records:
                if isinstance(record, xm.Retourcode):
                    key = (record.niveau, record.code)
                    counts[key] = counts.get(key, 0) + 1
            validated = message.gevalideerd
        report.regels = sum(counts.values())
        report.widen_period(header.dagtekening, header.dagtekening)
        if not validated:
            not_validated(findings, gemeente, aanbieder, self.soort)
            return
        rows = [
            dict(
                gemeente_code=gemeente,
                bestand_id=bestand.id,
                aanbieder_agb=aanbieder,
                berichttype=self.soort,
                bekend_op=header.dagtekening,
                retour_identificatie=header.retour_identificatie,
                retour_dagtekening=header.retour_dagtekening,
                niveau=niveau,
                code=code,
                aantal=aantal,
            )
            for (niveau, code), aantal in sorted(counts.items())
        ]
        if rows:
            session.execute(insert(models.Retourcode), rows)


def not_validated(
    findings: FindingCollector, gemeente: str, aanbieder: str | None, soort: str
) -> None:
    """A message whose official schema is not shipped yet: kept, counted nowhere."""
    findings.add(
        Finding(
            soort=Bevindingsoort.NIET_GEVALIDEERD,
            gemeente=gemeente,
            aanbieder=aanbieder,
            element="Bericht",
            waarde=soort,
            omschrijving=f"{soort}: het officiële schema ontbreekt nog; het "
            "bericht is bewaard maar telt nergens mee tot het schema is toegevoegd",
        )
    )
