"""Build a region's snapshot from its members' snapshots.

The members' figures are read, not recomputed: for each member the snapshot its
own evaluation stored for the peildatum (the latest one), or, where the member was
not evaluated at that peildatum, the snapshot its own reports would compute. The
correlation between members, the one figure the region adds, is measured from the
store as known at the peildatum (`forecast.samenhang`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.core.calendar import Peildatum, month_name
from monitorbot.core.money import whole_cents
from monitorbot.core.states import Niveau
from monitorbot.evaluate.regio_snapshot import (
    Band,
    LidBron,
    LidCijfer,
    RegioRij,
    RegioSnapshot,
    combine,
)
from monitorbot.evaluate.snapshot import Snapshot
from monitorbot.evaluate.vergelijking import benchmark
from monitorbot.forecast.results import PerceelPrognose
from monitorbot.forecast.samenhang import member_costs, row_samenhang
from monitorbot.store import models

#: The rows of the regional table: percelen as budgeted, domain subtotals and the total
#: (a sub-perceel is budgeted within its parent's line, in the members' tables too).
REGIO_NIVEAUS = (Niveau.PERCEEL, Niveau.DOMEIN, Niveau.TOTAAL)

MemberSnapshot = Callable[[str], Snapshot]
"""Computes a member's snapshot where none is stored (the one its reports would show)."""


def stored_member_snapshot(
    session: Session, gemeente: str, peildatum: Peildatum
) -> tuple[Snapshot, int] | None:
    """The latest snapshot the member's evaluations stored for this peildatum."""
    snapshot = models.Momentopname
    newest = session.execute(
        select(func.max(snapshot.id)).where(
            snapshot.gemeente_code == gemeente,
            snapshot.peildatum == peildatum.grens,
            snapshot.soort == peildatum.soort,
        )
    ).scalar_one_or_none()
    if newest is None:
        return None
    row = session.get(models.Momentopname, newest)
    assert row is not None
    return Snapshot.from_json(row.inhoud), newest


def regio_snapshot(
    session: Session,
    config: Config,
    regio: str,
    peildatum: Peildatum,
    *,
    now: datetime,
    compute: MemberSnapshot,
) -> RegioSnapshot:
    """The region at `peildatum`: each member's figures from its snapshot, summed."""
    settings = config.regio(regio)
    sources: list[LidBron] = []
    snapshots: dict[str, Snapshot] = {}
    for gemeente in settings.leden:
        stored = stored_member_snapshot(session, gemeente, peildatum)
        snapshot, stored_id = stored if stored else (compute(gemeente), None)
        snapshots[gemeente] = snapshot
        sources.append(
            LidBron(
                gemeente,
                config.gemeente(gemeente).naam,
                snapshot.berekend_op,
                stored_id,
                _missing(snapshot),
            )
        )
    costs = member_costs(
        session,
        settings.leden,
        known_before=peildatum.grens,
        tijdzone=config.deployment.tijdzone,
    )
    rijen = tuple(
        _row(key, first, snapshots, row_samenhang(costs, percelen, peilmaand=peildatum.peilmaand))
        for key, first, percelen in _row_keys(config, snapshots)
    )
    return RegioSnapshot(
        regio=regio,
        naam=settings.naam,
        peildatum=peildatum,
        berekend_op=now,
        tijdzone=config.deployment.tijdzone,
        leden=tuple(sources),
        rijen=rijen,
        kengetallen=benchmark(snapshots, config),
        kengetallen_periode=_period(snapshots),
    )


def _period(snapshots: Mapping[str, Snapshot]) -> str:
    """The months the members' counts cover: "januari t/m oktober 2026"."""
    figures = next((s.kengetallen for s in snapshots.values() if s.kengetallen), None)
    if figures is None:
        return ""
    last = month_name(date(figures.jaar, figures.tot_maand, 1))
    return f"januari t/m {last}"


def _missing(snapshot: Snapshot) -> str | None:
    report = snapshot.begroting
    if not any(r.prognose_cents is not None for r in report.rows):
        return "geen gegevens"
    if report.versie is None:
        return f"geen begroting voor {report.jaar}"
    return None


def _row_keys(
    config: Config, snapshots: Mapping[str, Snapshot]
) -> list[tuple[str, PerceelPrognose, list[str]]]:
    """Every row some member's table shows (one with a budget or figures), in the table's
    order (every member's table has the configured percelen in config order), with the
    percelen it sums."""
    shown = {
        row.perceel
        for snapshot in snapshots.values()
        for row in snapshot.begroting.rows
        if row.niveau in REGIO_NIVEAUS and row.has_content
    }
    ordered: dict[str, PerceelPrognose] = {}
    for snapshot in snapshots.values():
        for row in snapshot.begroting.rows:
            if row.perceel in shown and row.perceel not in ordered:
                ordered[row.perceel] = row
    return [(key, row, _percelen_of(config, row)) for key, row in ordered.items()]


def _percelen_of(config: Config, row: PerceelPrognose) -> list[str]:
    percelen = config.percelen
    if row.niveau is Niveau.PERCEEL:
        return percelen.members(row.perceel)
    tops = [
        p.id
        for p in percelen.percelen
        if p.onderdeel_van is None and (row.niveau is Niveau.TOTAAL or p.domein == row.domein)
    ]
    return [member for top in tops for member in percelen.members(top)]


def _row(
    key: str, first: PerceelPrognose, snapshots: Mapping[str, Snapshot], samenhang: float
) -> RegioRij:
    leden = tuple(_member_line(g, s.budget_row(key)) for g, s in snapshots.items())
    bands = [m.prognose for m in leden if m.prognose is not None]
    # A member with a budget but no prognosis yet: the region's prognosis would miss its
    # part and count its whole budget as left over, so the region shows none either.
    incomplete = any(m.begroting_cents is not None and m.prognose is None for m in leden)
    return RegioRij(
        perceel=key,
        naam=first.naam,
        domein=first.domein,
        niveau=first.niveau,
        leden=leden,
        samenhang=round(samenhang, 4),
        regio=None if incomplete else combine(bands, samenhang),
    )


def _member_line(gemeente: str, row: PerceelPrognose | None) -> LidCijfer:
    if row is None:
        return LidCijfer(gemeente, None, None, "model")
    band = None
    if row.correctie is not None:
        band = Band.exact(whole_cents(float(row.correctie.prognose)))
    elif row.model is not None:
        model = row.model
        band = Band(
            whole_cents(model.mid),
            whole_cents(model.lo80),
            whole_cents(model.hi80),
            whole_cents(model.lo95),
            whole_cents(model.hi95),
        )
    return LidCijfer(gemeente, row.begroting_cents, band, row.bron)


def store_regio_snapshot(session: Session, snapshot: RegioSnapshot) -> None:
    session.add(
        models.RegioMomentopname(
            regio=snapshot.regio,
            peildatum=snapshot.peildatum.grens,
            soort=snapshot.peildatum.soort,
            berekend_op=snapshot.berekend_op,
            inhoud=snapshot.to_json(),
        )
    )


def stored_regio_snapshot(
    session: Session, regio: str, peildatum: Peildatum
) -> RegioSnapshot | None:
    """The latest snapshot the region's cycle stored for this peildatum."""
    row = models.RegioMomentopname
    found = session.execute(
        select(row.inhoud)
        .where(row.regio == regio, row.peildatum == peildatum.grens, row.soort == peildatum.soort)
        .order_by(row.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return RegioSnapshot.from_json(found) if found is not None else None
