"""Data quality as known at a peildatum: findings and quarantined files.

Findings and rejected files are counted by when they were found: the digest's
line, the workbook's sheet and the data-quality metrics read these functions.
Only aggregates and the ingest's own (already de-personalised) reasons leave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitorbot.config.codes import RETOUR_OP_AANBIEDER, RETOURCODES_ZONDER_AFKEURING
from monitorbot.core.states import BestandStatus
from monitorbot.store import models
from monitorbot.store.queries.allocations import EXPORT_DELAY, WAITING_LIST_SOORT
from monitorbot.store.queries.known import moment_of, totals_known

WINDOW = timedelta(days=31)  # "what arrived wrong in the last month"
#: Rejected declarations are judged over a quarter: one month holds too few answers.
ANSWER_WINDOW = timedelta(days=92)


def file_name(offered: str) -> str:
    """A file's own name, without folders or the archive around it (`a.zip!b.xml` → `b.xml`)."""
    return PurePosixPath(offered.split("!")[-1].replace("\\", "/")).name


@dataclass(frozen=True)
class FindingRow:
    soort: str
    agb: str | None
    aantal: int
    bedrag_cents: int
    eerst: datetime
    laatst: datetime


@dataclass(frozen=True)
class RejectedFile:
    naam: str  # as offered: a path, or `archive.zip!member`
    soort: str
    ingelezen_op: datetime
    reden: str
    hersteld: bool = False  # a file of the same name (or message) was ingested after it

    @property
    def bestand(self) -> str:
        return file_name(self.naam)


@dataclass(frozen=True)
class TotalsMismatch:
    """A declaration whose TotaalIngediendBedrag is not the sum of its lines."""

    naam: str
    aanbieder: str | None
    totaal_cents: int
    verschil_cents: int

    @property
    def bestand(self) -> str:
        return file_name(self.naam)

    @property
    def som_cents(self) -> int:
        return self.totaal_cents - self.verschil_cents


def finding_counts(
    session: Session,
    gemeente: str,
    *,
    before: datetime,
    since: datetime | None = None,
    soort: str | None = None,
) -> list[FindingRow]:
    """Findings per kind and provider found in [since, before): counts, amounts, first, last."""
    finding = models.Bevinding
    query = select(
        finding.soort,
        finding.aanbieder_agb,
        func.count(),
        func.coalesce(func.sum(finding.bedrag_cents), 0),
        func.min(finding.gevonden_op),
        func.max(finding.gevonden_op),
    ).where(finding.gemeente_code == gemeente, finding.gevonden_op < before)
    if since is not None:
        query = query.where(finding.gevonden_op >= since)
    if soort is not None:
        query = query.where(finding.soort == soort)
    rows = session.execute(
        query.group_by(finding.soort, finding.aanbieder_agb).order_by(
            finding.soort, finding.aanbieder_agb
        )
    ).all()
    return [
        FindingRow(kind, agb, int(n), int(amount), first, last)
        for kind, agb, n, amount, first, last in rows
    ]


def rejected_files(
    session: Session, gemeente: str, *, before: datetime, since: datetime | None = None
) -> list[RejectedFile]:
    """Files rejected in [since, before), newest first, with the reason the ingest gave."""
    file = models.Bronbestand
    query = select(file.bestandsnaam, file.soort, file.ingelezen_op, file.foutmelding).where(
        file.gemeente_code == gemeente,
        file.status == BestandStatus.GEWEIGERD,
        file.ingelezen_op < before,
    )
    if since is not None:
        query = query.where(file.ingelezen_op >= since)
    rows = session.execute(query.order_by(file.ingelezen_op.desc(), file.id.desc())).all()
    return [
        RejectedFile(
            name, soort, when, reason or "", _corrected(session, gemeente, name, when, before)
        )
        for name, soort, when, reason in rows
    ]


def _corrected(
    session: Session, gemeente: str, name: str, rejected_at: datetime, before: datetime
) -> bool:
    """Whether a file of the same name was ingested after the rejection (and before the cut).

    A controller who fixes a rejected export and offers it again has dealt with
    it; its quarantine alert should resolve. One query per rejected file: they
    are few, and a file name is compared in full or as the last path part.
    """
    file = models.Bronbestand
    base = file_name(name)
    found = session.scalar(
        select(func.count())
        .select_from(file)
        .where(
            file.gemeente_code == gemeente,
            file.status == BestandStatus.INGELEZEN,
            file.ingelezen_op > rejected_at,
            file.ingelezen_op < before,
            or_(
                file.bestandsnaam == name,
                file.bestandsnaam == base,
                file.bestandsnaam.like(f"%/{_literal(base)}", escape="\\"),
                file.bestandsnaam.like(f"%!{_literal(base)}", escape="\\"),
            ),
        )
    )
    return bool(found)


def _literal(text: str) -> str:
    """A name inside LIKE: its own % and _ are characters, not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def totals_mismatches(
    session: Session, gemeente: str, *, since: datetime, before: datetime, limit: int = 10
) -> list[TotalsMismatch]:
    """The declarations whose total does not add up, found in [since, before), largest first."""
    finding, file = models.Bevinding, models.Bronbestand
    rows = session.execute(
        select(file.bestandsnaam, finding.aanbieder_agb, finding.waarde, finding.bedrag_cents)
        .join(file, file.id == finding.bestand_id)
        .where(
            finding.gemeente_code == gemeente,
            finding.soort == "totaal_mismatch",
            finding.gevonden_op >= since,
            finding.gevonden_op < before,
        )
        .order_by(func.abs(finding.bedrag_cents).desc(), finding.id)
        .limit(limit)
    ).all()
    return [
        TotalsMismatch(name, agb, int(total or 0), int(difference or 0))
        for name, agb, total, difference in rows
        if (total or "").lstrip("-").isdigit()
    ]


def bounced_messages(
    session: Session, gemeente: str, *, since: date, before: date
) -> dict[str | None, int]:
    """Per provider: how many of its messages came back with a rejecting retourcode, by the
    return message's Dagtekening in [since, before)."""
    code = models.Retourcode
    rows = session.execute(
        select(code.aanbieder_agb, func.count(func.distinct(code.bestand_id)))
        .where(
            code.gemeente_code == gemeente,
            code.bekend_op >= since,
            code.bekend_op < before,
            or_(*(code.berichttype.endswith(kind) for kind in RETOUR_OP_AANBIEDER)),
            code.code.not_in(sorted(RETOURCODES_ZONDER_AFKEURING)),
        )
        .group_by(code.aanbieder_agb)
    ).all()
    return {agb: int(count) for agb, count in rows}


@dataclass(frozen=True)
class RejectedShare:
    """One provider's declarations answered in a window (325): declared and rejected."""

    agb: str
    antwoorden: int
    ingediend_cents: int
    afgewezen_cents: int
    retourcodes: tuple[tuple[str, int], ...]  # the rejecting codes, most frequent first

    @property
    def aandeel(self) -> float | None:
        return self.afgewezen_cents / self.ingediend_cents if self.ingediend_cents > 0 else None


def rejected_declarations(
    session: Session, gemeente: str, *, since: date, before: date
) -> list[RejectedShare]:
    """Per provider, the answers (325) whose rejections are known in [since, before): how
    much of the declarations they answer was declared and how much rejected. Known as the
    cost knows it: by the date of the rows that take the rejected lines out."""
    line, answer = models.Declaratieregel, models.DeclaratieAntwoord
    known = (
        select(
            answer.id,
            answer.aanbieder_agb,
            answer.declaratie_bestand_id,
            func.coalesce(-func.sum(line.bedrag_cents), 0).label("afgewezen"),
        )
        .join(line, line.antwoord_id == answer.id, isouter=True)
        .where(
            answer.gemeente_code == gemeente,
            answer.declaratie_bestand_id.is_not(None),
            func.coalesce(line.declaratiedatum, answer.bekend_op) >= since,
            func.coalesce(line.declaratiedatum, answer.bekend_op) < before,
        )
        .group_by(answer.id, answer.aanbieder_agb, answer.declaratie_bestand_id)
        .subquery()
    )
    declared = (
        select(line.bestand_id, func.sum(line.bedrag_cents).label("ingediend"))
        .where(
            line.gemeente_code == gemeente,
            line.antwoord_id.is_(None),
            line.bestand_id.in_(select(known.c.declaratie_bestand_id)),
        )
        .group_by(line.bestand_id)
        .subquery()
    )
    rows = session.execute(
        select(
            known.c.aanbieder_agb,
            func.count(),
            func.coalesce(func.sum(declared.c.ingediend), 0),
            func.sum(known.c.afgewezen),
        )
        .join(declared, declared.c.bestand_id == known.c.declaratie_bestand_id, isouter=True)
        .group_by(known.c.aanbieder_agb)
        .order_by(known.c.aanbieder_agb)
    ).all()
    codes = _rejecting_codes(session, gemeente, select(known.c.id))
    return [
        RejectedShare(agb, int(n), int(ingediend), int(afgewezen), codes.get(agb, ()))
        for agb, n, ingediend, afgewezen in rows
    ]


def _rejecting_codes(
    session: Session, gemeente: str, answers
) -> dict[str, tuple[tuple[str, int], ...]]:  # type: ignore[no-untyped-def]
    """Per provider, the rejecting retourcodes of the given answers' lines, most frequent first."""
    rejected, answer = models.AfgewezenPrestatie, models.DeclaratieAntwoord
    counted: dict[str, dict[str, int]] = {}
    for agb, text in session.execute(
        select(answer.aanbieder_agb, rejected.retourcodes)
        .join(answer, answer.id == rejected.antwoord_id)
        .where(answer.gemeente_code == gemeente, answer.id.in_(answers))
    ):
        for code in text.split():
            if code not in RETOURCODES_ZONDER_AFKEURING:
                per_code = counted.setdefault(agb, {})
                per_code[code] = per_code.get(code, 0) + 1
    return {
        agb: tuple(sorted(per_code.items(), key=lambda item: (-item[1], item[0])))
        for agb, per_code in counted.items()
    }


def delivered_totals(
    session: Session, gemeente: str, *, grens: date, tijdzone: str, since: date
) -> dict[str, set[date]]:
    """Per perceel, the months (from `since`) whose monthly totals are known before grens."""
    pgb, file = models.PgbMaand, models.Bronbestand
    rows = session.execute(
        select(pgb.perceel_id, pgb.maand)
        .join(file, file.id == pgb.bestand_id)
        .where(pgb.gemeente_code == gemeente, pgb.maand >= since, totals_known(grens, tijdzone))
        .distinct()
    ).all()
    delivered: dict[str, set[date]] = {}
    for perceel, month in rows:
        delivered.setdefault(perceel, set()).add(month)
    return delivered


def waiting_list_exports(
    session: Session, gemeente: str, *, grens: date, tijdzone: str
) -> list[date]:
    """The days the waiting-list exports known before grens describe (their last date), oldest
    first: a source that delivered monthly and then stopped shows a widening gap here."""
    file = models.Bronbestand
    rows = session.execute(
        select(file.periode_tot).where(
            file.gemeente_code == gemeente,
            file.soort == WAITING_LIST_SOORT,
            file.status == BestandStatus.INGELEZEN,
            file.periode_tot.is_not(None),
            or_(
                file.ingelezen_op < moment_of(grens, tijdzone),
                file.periode_tot < grens - EXPORT_DELAY,
            ),
        )
    ).all()
    return sorted(day for (day,) in rows)
