"""The 325 declaratie-antwoord: what the municipality grants of a declaration.

A provider declares (323); the municipality answers (325) with the declared and the
granted total and the Prestaties it rejects, each with its retourcodes. The cost
monitorbot reports is granted cost where an answer is known, declared cost before:

* a rejected line is taken out of the cost by rows that reverse it — a copy of
  the line's rows (one per care month) with the amount negated, tagged with the
  answer (`declaratieregel.antwoord_id`) and dated by the answer's Dagtekening.
  Every query that cuts at a peildatum by declaration date therefore sees
  declared cost before the answer and granted cost from its day on, and the
  nowcast learns from the same triangle how much a provider's declarations
  usually lose later;
* a rejecting retourcode on the message or on the declaration as a whole rejects
  every line; 0200, 0233 and 8001 reject nothing (`RETOURCODES_ZONDER_AFKEURING`);
* the answer is linked to its declaration by the declaration's identity
  (Identificatie and Dagtekening, per provider). An answer that arrives before
  its declaration waits and is applied when the declaration is ingested;
* a line is reversed at most once, whatever number of answers name it.

The corrected resend of a rejected line is an ordinary new line of a later 323.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from monitorbot.config.codes import RETOURCODES_ZONDER_AFKEURING
from monitorbot.core.states import BestandStatus, Bevindingsoort
from monitorbot.ingest import xml_messages as xm
from monitorbot.ingest.findings import Finding, FindingCollector
from monitorbot.ingest.sources import (
    DECLARATION_COLUMNS,
    Message,
    euros_exact,
    not_validated,
)
from monitorbot.store import db, models

if TYPE_CHECKING:
    from monitorbot.ingest.pipeline import FileReport

LINE = models.Declaratieregel
ANSWER = models.DeclaratieAntwoord


def rejects(codes: tuple[str, ...]) -> bool:
    """Whether any of these retourcodes rejects what it judges."""
    return any(code not in RETOURCODES_ZONDER_AFKEURING for code in codes)


@dataclass
class _Answer:
    """A 325 as read: its rejected Prestaties and the counts of every retourcode."""

    antwoord: xm.DeclaratieAntwoord | None = None
    afgewezen: list[tuple[xm.PrestatieOordeel, tuple[str, ...]]] = field(default_factory=list)
    codes: dict[tuple[str, str], int] = field(default_factory=dict)
    listed: int = 0

    def count(self, niveau: str, codes: tuple[str, ...]) -> None:
        for code in codes:
            self.codes[(niveau, code)] = self.codes.get((niveau, code), 0) + 1

    def read(self, records: object) -> None:
        client: list[xm.PrestatieOordeel] = []
        for record in records:  # type: ignore[attr-defined]
            if isinstance(record, xm.PrestatieOordeel):
                client.append(record)
                self.count("Prestatie", record.retourcodes)
            elif isinstance(record, xm.ClientOordeel):
                self.count("Client", record.retourcodes)
                # A line's own codes, and its client's where those reject it.
                from_client = tuple(c for c in record.retourcodes if rejects((c,)))
                for line in client:
                    codes = line.retourcodes + from_client
                    if rejects(codes):
                        self.afgewezen.append((line, codes))
                self.listed += len(client)
                client = []
            elif isinstance(record, xm.DeclaratieAntwoord):
                self.antwoord = record
                self.count("DeclaratieAntwoord", record.retourcodes)


class DeclarationAnswer(Message):
    """A 325, stored with its rejected Prestaties and applied to its declaration."""

    def load(self, session, bestand, report, findings, ingestor):  # type: ignore[no-untyped-def]
        with self.opened(bestand=bestand, report=report, findings=findings, ingestor=ingestor) as (
            message,
            gemeente,
            aanbieder,
        ):
            header = message.header
            answer = _Answer()
            answer.count("Header", header.retourcodes)
            answer.read(message.records)
            validated = message.gevalideerd
        report.widen_period(header.dagtekening, header.dagtekening)
        report.regels = answer.listed
        if not validated:
            not_validated(findings, gemeente, aanbieder, self.soort)
            return
        db.serialize(session, "declaratie", aanbieder, header.retour_identificatie)
        row = _store(session, bestand.id, header, gemeente, aanbieder, self.wet, answer)
        _store_codes(session, bestand.id, header, gemeente, aanbieder, self.soort, answer)
        declaration = _declaration_of(session, row)
        if declaration is None:
            findings.add(
                Finding(
                    soort=Bevindingsoort.ANTWOORD_ZONDER_DECLARATIE,
                    gemeente=gemeente,
                    aanbieder=aanbieder,
                    element="DeclaratieIdentificatie",
                    waarde=row.declaratie_identificatie,
                    omschrijving=f"declaratie {row.declaratie_identificatie} van "
                    f"{row.declaratie_dagtekening:%d-%m-%Y} van aanbieder {aanbieder} is (nog) "
                    "niet ingelezen; dit antwoord wordt toegepast zodra die declaratie binnenkomt",
                )
            )
            return
        apply_answer(session, row, declaration, findings, report)


def _store(
    session: Session,
    bestand_id: int,
    header: xm.MessageHeader,
    gemeente: str,
    aanbieder: str,
    wet: str,
    answer: _Answer,
) -> models.DeclaratieAntwoord:
    antwoord = answer.antwoord
    row = models.DeclaratieAntwoord(
        gemeente_code=gemeente,
        bestand_id=bestand_id,
        aanbieder_agb=aanbieder,
        wet=wet,
        bekend_op=header.dagtekening,
        declaratie_identificatie=header.retour_identificatie,
        declaratie_dagtekening=header.retour_dagtekening,
        declaratienummer=antwoord.declaratienummer if antwoord else None,
        ingediend_cents=antwoord.ingediend_cents if antwoord else None,
        toegekend_cents=antwoord.toegekend_cents if antwoord else None,
        geheel_afgewezen=rejects(header.retourcodes)
        or (antwoord is not None and rejects(antwoord.retourcodes)),
    )
    session.add(row)
    session.flush()
    if answer.afgewezen:
        session.execute(
            insert(models.AfgewezenPrestatie),
            [
                dict(
                    antwoord_id=row.id,
                    productreferentie=line.productreferentie,
                    toewijzingnummer=line.toewijzingnummer,
                    bedrag_cents=line.bedrag_cents,
                    retourcodes=" ".join(codes),
                    regel=line.line,
                )
                for line, codes in answer.afgewezen
            ],
        )
    return row


def _store_codes(
    session: Session,
    bestand_id: int,
    header: xm.MessageHeader,
    gemeente: str,
    aanbieder: str,
    soort: str,
    answer: _Answer,
) -> None:
    """Every retourcode of the answer, counted per level, beside the technical ones."""
    if not answer.codes:
        return
    session.execute(
        insert(models.Retourcode),
        [
            dict(
                gemeente_code=gemeente,
                bestand_id=bestand_id,
                aanbieder_agb=aanbieder,
                berichttype=soort,
                bekend_op=header.dagtekening,
                retour_identificatie=header.retour_identificatie,
                retour_dagtekening=header.retour_dagtekening,
                niveau=niveau,
                code=code,
                aantal=aantal,
            )
            for (niveau, code), aantal in sorted(answer.codes.items())
        ],
    )


@dataclass(frozen=True)
class _Declaration:
    bestand_id: int
    naam: str
    bedrag_cents: int
    declaratiedatum: date


def _declaration_of(session: Session, answer: models.DeclaratieAntwoord) -> _Declaration | None:
    """The ingested 323 this answer is about, by the declaration's message identity."""
    file = models.Bronbestand
    found = session.execute(
        select(file.id, file.bestandsnaam)
        .where(
            file.afzender == answer.aanbieder_agb,
            file.berichttype == f"{answer.wet}323",
            file.bericht_identificatie == answer.declaratie_identificatie,
            file.dagtekening == answer.declaratie_dagtekening,
            file.status == BestandStatus.INGELEZEN,
        )
        .limit(1)
    ).first()
    if found is None:
        return None
    cents = session.scalar(
        select(func.coalesce(func.sum(LINE.bedrag_cents), 0)).where(
            LINE.bestand_id == found.id,
            LINE.gemeente_code == answer.gemeente_code,
            LINE.antwoord_id.is_(None),
        )
    )
    return _Declaration(
        found.id, found.bestandsnaam, int(cents), _declared_on(session, found.id, answer)
    )


def _declared_on(session: Session, bestand_id: int, answer: models.DeclaratieAntwoord) -> date:
    """When the declaration's lines became known (a reversal is never known before them)."""
    declared = session.scalar(
        select(func.max(LINE.declaratiedatum)).where(
            LINE.bestand_id == bestand_id, LINE.gemeente_code == answer.gemeente_code
        )
    )
    return declared or answer.bekend_op


@functools.cache
def _waiting_answers() -> Select[tuple[int]]:
    """The ids of answers that arrived before their declaration, in the order they became
    known; built once: on a small file building the expression costs more than running it,
    and most declarations have none (ids only, no objects to build)."""
    return (
        select(ANSWER.id)
        .where(
            ANSWER.gemeente_code == bindparam("gemeente"),
            ANSWER.aanbieder_agb == bindparam("aanbieder"),
            ANSWER.wet == bindparam("wet"),
            ANSWER.declaratie_identificatie == bindparam("identificatie"),
            ANSWER.declaratie_dagtekening == bindparam("dagtekening"),
            ANSWER.declaratie_bestand_id.is_(None),
        )
        .order_by(ANSWER.bekend_op, ANSWER.id)
    )


def apply_waiting_answers(
    session: Session,
    bestand_id: int,
    header: xm.MessageHeader,
    findings: FindingCollector,
    report: FileReport,
) -> None:
    """A declaration just ingested (its file row is written after this): apply the
    answers that arrived before it."""
    db.serialize(session, "declaratie", header.afzender, header.bericht_identificatie)
    ids = session.scalars(
        _waiting_answers(),
        {
            "gemeente": header.ontvanger,
            "aanbieder": header.afzender,
            "wet": header.wet,
            "identificatie": header.bericht_identificatie,
            "dagtekening": header.dagtekening,
        },
    ).all()
    if not ids:
        return  # the common case: no answer came before its declaration
    waiting = [session.get_one(ANSWER, answer_id) for answer_id in ids]
    declared = report.bedrag_cents  # before any answer takes lines out
    for answer in waiting:
        declaration = _Declaration(
            bestand_id, report.naam, declared, _declared_on(session, bestand_id, answer)
        )
        apply_answer(session, answer, declaration, findings, report)


def apply_answer(
    session: Session,
    answer: models.DeclaratieAntwoord,
    declaration: _Declaration,
    findings: FindingCollector,
    report: FileReport,
) -> None:
    """Reverse the rejected lines of the declaration, once, and check the totals."""
    earlier = session.scalars(
        select(ANSWER.id).where(
            ANSWER.declaratie_bestand_id == declaration.bestand_id, ANSWER.id != answer.id
        )
    ).all()
    answer.declaratie_bestand_id = declaration.bestand_id
    session.flush()
    reversed_cents = _reverse(session, answer, declaration, earlier)
    answer.afgewezen_cents = -reversed_cents
    report.bedrag_cents += reversed_cents
    checks = _AnswerChecks(answer, declaration, findings)
    if earlier:
        checks.second_answer()
    checks.totals(session)
    checks.unknown_lines(session)


#: Keys per statement: a row value costs two or three parameters, and SQLite allows
#: 32.766 per statement (older builds 999).
KEYS_PER_STATEMENT = 300


def _reverse(
    session: Session,
    answer: models.DeclaratieAntwoord,
    declaration: _Declaration,
    earlier: Sequence[int],
) -> int:
    """Insert the reversing rows; returns their sum (negative for rejected debit lines).

    The keys (rejected lines, lines an earlier answer took out already) are read first
    and passed as row values in chunks: correlated subqueries over the declaration
    table cost a second per answer on PostgreSQL, whose statistics lag behind a bulk
    load, and one statement holds a bounded number of parameters."""
    conditions = [
        LINE.bestand_id == declaration.bestand_id,
        LINE.gemeente_code == answer.gemeente_code,
        LINE.antwoord_id.is_(None),
    ]
    if earlier:
        # Rare: a second answer. Its lines, per care-month part, less those taken out.
        wanted = _line_keys(session, answer, declaration) - _reversed_keys(session, answer, earlier)
        keys = sorted(wanted)
        columns = tuple_(LINE.productreferentie, LINE.toewijzingnummer, LINE.deel)
    elif answer.geheel_afgewezen:
        _insert_reversal(session, answer, declaration, conditions)
        keys, columns = [], None
    else:
        keys = _rejected_keys(session, answer)
        columns = tuple_(LINE.productreferentie, LINE.toewijzingnummer)
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        chunk = keys[start : start + KEYS_PER_STATEMENT]
        _insert_reversal(session, answer, declaration, [*conditions, columns.in_(chunk)])
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LINE.bedrag_cents), 0)).where(
                LINE.antwoord_id == answer.id, LINE.gemeente_code == answer.gemeente_code
            )
        )
    )


def _rejected_keys(session: Session, answer: models.DeclaratieAntwoord) -> list[tuple]:
    """(ProductReferentie, ToewijzingNummer) of the Prestaties this answer rejects."""
    rejected = models.AfgewezenPrestatie
    return [
        tuple(row)
        for row in session.execute(
            select(rejected.productreferentie, rejected.toewijzingnummer)
            .where(rejected.antwoord_id == answer.id)
            .distinct()
            .order_by(rejected.productreferentie, rejected.toewijzingnummer)
        )
    ]


def _line_keys(
    session: Session, answer: models.DeclaratieAntwoord, declaration: _Declaration
) -> set[tuple]:
    """The declaration's row keys (with their care-month part) this answer rejects."""
    base = select(LINE.productreferentie, LINE.toewijzingnummer, LINE.deel).where(
        LINE.bestand_id == declaration.bestand_id,
        LINE.gemeente_code == answer.gemeente_code,
        LINE.antwoord_id.is_(None),
    )
    if answer.geheel_afgewezen:
        return {tuple(row) for row in session.execute(base)}
    keys: set[tuple] = set()
    pairs = _rejected_keys(session, answer)
    for start in range(0, len(pairs), KEYS_PER_STATEMENT):
        chunk = pairs[start : start + KEYS_PER_STATEMENT]
        selected = tuple_(LINE.productreferentie, LINE.toewijzingnummer).in_(chunk)
        keys |= {tuple(row) for row in session.execute(base.where(selected))}
    return keys


def _reversed_keys(
    session: Session, answer: models.DeclaratieAntwoord, earlier: Sequence[int]
) -> set[tuple]:
    """The row keys earlier answers on the same declaration took out already."""
    return {
        tuple(row)
        for row in session.execute(
            select(LINE.productreferentie, LINE.toewijzingnummer, LINE.deel).where(
                LINE.antwoord_id.in_(list(earlier)), LINE.gemeente_code == answer.gemeente_code
            )
        )
    }


def _insert_reversal(
    session: Session,
    answer: models.DeclaratieAntwoord,
    declaration: _Declaration,
    conditions: list[ColumnElement[bool]],
) -> None:
    """Copy the declaration's rows that meet `conditions`, negated, dated by the answer."""
    known_on = max(answer.bekend_op, declaration.declaratiedatum)
    copied = {
        "bestand_id": literal(answer.bestand_id),
        "bedrag_cents": -LINE.bedrag_cents,
        "volume": -LINE.volume,
        "debet_credit": _flipped(LINE.debet_credit),
        "declaratiedatum": literal(known_on),
        "antwoord_id": literal(answer.id),
    }
    columns = [*DECLARATION_COLUMNS, "antwoord_id"]
    source = select(
        *(copied[name].label(name) if name in copied else getattr(LINE, name) for name in columns)
    ).where(and_(*conditions))
    session.execute(insert(LINE).from_select(columns, source))


def _flipped(flag):  # type: ignore[no-untyped-def]
    """The reversing row of a debit is a credit and vice versa."""
    return case((flag == "D", literal("C")), else_=literal("D"))


class _AnswerChecks:
    """The answer's findings: totals that do not add up, lines it names that are not there,
    a second answer on the same declaration."""

    def __init__(
        self,
        answer: models.DeclaratieAntwoord,
        declaration: _Declaration,
        findings: FindingCollector,
    ):
        self.answer = answer
        self.declaration = declaration
        self.findings = findings

    def _add(self, soort: str, omschrijving: str, **fields: object) -> None:
        self.findings.add(
            Finding(
                soort=soort,
                gemeente=self.answer.gemeente_code,
                aanbieder=self.answer.aanbieder_agb,
                omschrijving=omschrijving,
                **fields,  # type: ignore[arg-type]
            )
        )

    def second_answer(self) -> None:
        self._add(
            Bevindingsoort.TWEEDE_ANTWOORD,
            f"declaratie {self.answer.declaratie_identificatie} ({self.declaration.naam}) had "
            "al een antwoord; regels die dat antwoord al afwees, tellen niet nog eens af",
            element="DeclaratieIdentificatie",
            waarde=self.answer.declaratie_identificatie,
        )

    def totals(self, session: Session) -> None:
        """Declared minus the rejected lines must be the granted total; the declared total
        must be the declaration's."""
        answer = self.answer
        if answer.ingediend_cents is None or answer.toegekend_cents is None:
            return
        if answer.ingediend_cents != self.declaration.bedrag_cents:
            self._add(
                Bevindingsoort.ANTWOORD_TELT_NIET_OP,
                f"TotaalIngediendBedrag € {euros_exact(answer.ingediend_cents)} in het antwoord, "
                f"maar de declaratie ({self.declaration.naam}) telt op tot "
                f"€ {euros_exact(self.declaration.bedrag_cents)}",
                element="TotaalIngediendBedrag",
                waarde=str(answer.ingediend_cents),
                bedrag_cents=answer.ingediend_cents - self.declaration.bedrag_cents,
            )
        if answer.geheel_afgewezen:
            expected = 0
        else:
            listed = session.scalar(
                select(func.coalesce(func.sum(models.AfgewezenPrestatie.bedrag_cents), 0)).where(
                    models.AfgewezenPrestatie.antwoord_id == answer.id
                )
            )
            expected = answer.ingediend_cents - int(listed)
        if answer.toegekend_cents != expected:
            self._add(
                Bevindingsoort.ANTWOORD_TELT_NIET_OP,
                f"TotaalToegekendBedrag € {euros_exact(answer.toegekend_cents)}, maar ingediend "
                f"min afgewezen is € {euros_exact(expected)}; de kosten volgen de afgewezen "
                "prestaties",
                element="TotaalToegekendBedrag",
                waarde=str(answer.toegekend_cents),
                bedrag_cents=answer.toegekend_cents - expected,
            )

    def unknown_lines(self, session: Session) -> None:
        """Rejected Prestaties the declaration does not hold: nothing to take out."""
        rejected = models.AfgewezenPrestatie
        present = (
            select(LINE.id)
            .where(
                LINE.bestand_id == self.declaration.bestand_id,
                LINE.gemeente_code == self.answer.gemeente_code,
                LINE.productreferentie == rejected.productreferentie,
                LINE.toewijzingnummer == rejected.toewijzingnummer,
            )
            .exists()
        )
        missing = session.execute(
            select(rejected.productreferentie, rejected.bedrag_cents, rejected.regel)
            .where(rejected.antwoord_id == self.answer.id, ~present)
            .order_by(rejected.regel, rejected.id)
        ).all()
        if not missing:
            return
        first = missing[0]
        self._add(
            Bevindingsoort.AFWIJZING_ZONDER_REGEL,
            f"{len(missing)} afgewezen prestatie(s) staan niet in declaratie "
            f"{self.answer.declaratie_identificatie} ({self.declaration.naam}); "
            "daar valt niets af te trekken",
            element="ProductReferentie",
            waarde=first.productreferentie,
            regel=first.regel,
            bedrag_cents=sum(int(row.bedrag_cents) for row in missing),
        )
