"""Allocations as known at a peildatum: the one source of waiting times and the waiting list.

Care-flow messages are stored as events (`ToewijzingBericht`); an allocation's
state at a peildatum is derived from the messages whose Dagtekening lies before
its grens:

* allocated: the earliest Toewijzingsdatum of its 301s (a changed allocation is
  re-sent with the same number; the waiting clock started at the first);
* started: the Begindatum of its latest 305 still standing (a 305 with
  StatusAanlevering 3 withdraws the earlier 305 of the same date); else the
  Begindatum a 307 carries;
* stopped: the Einddatum of its latest 307 still standing (same rule);
* allocation end: the Einddatum of its latest 301;
* requested: the Dagtekening of its first 315 (or 317, a request for a change);
  refused: that of its latest 319 when that one refuses (VerzoekAntwoord 1; 2 "in
  onderzoek" keeps it open). A request is decided by its allocation (301) or its
  refusal.

A municipality without 301/305 sends waiting-list exports instead: the export
that is known at the grens and is latest by its own dates is the list then.
Both arrive in the same shape, so every metric reads one selectable.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    false,
    func,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from monitorbot.core.states import VERZOEK_AFGEWEZEN, BestandStatus, Zorgbericht
from monitorbot.store import models
from monitorbot.store.queries.known import moment_of

#: A waiting-list export loaded as history counts as known a week after its last date.
EXPORT_DELAY = timedelta(days=7)
WAITING_LIST_SOORT = "wachtlijst"

E = models.ToewijzingBericht
T = models.Toewijzing
W = models.WachtlijstRegel
F = models.Bronbestand


#: What the latest 301 of an allocation says it allocates (see `ToewijzingBericht`).
COMMITMENT_COLUMNS = ("omvang_volume", "omvang_eenheid", "omvang_frequentie", "budget_cents")


def allocations_known(gemeente: str, grens: date, tijdzone: str) -> Subquery:
    """Per allocation known before `grens`: perceel_id, aanbieder_agb, client_pseudoniem
    (NULL for an export), toegewezen, gestart, gestopt, einde, aangevraagd (its 315),
    afgewezen (a 319 that refused it) — dates, NULL where not known yet — and what its
    latest 301 allocates: productcode, ingang and the `COMMITMENT_COLUMNS`."""
    return union_all(
        _from_messages(gemeente, grens), _from_export(gemeente, grens, tijdzone)
    ).subquery("toewijzingen")


def _from_messages(gemeente: str, grens: date):  # type: ignore[no-untyped-def]
    # A withdrawal (StatusAanlevering 3) cancels the start or stop it repeats (same
    # message kind and date) that was known before it; the allocation's start is then
    # the latest start that is still standing. A correction sent as a new start
    # followed by the withdrawal of the old one keeps the new start.
    withdrawal = aliased(E)
    withdrawn = (
        select(withdrawal.id)
        .where(
            withdrawal.toewijzing_id == E.toewijzing_id,
            withdrawal.bericht == E.bericht,
            withdrawal.datum == E.datum,
            withdrawal.ingetrokken == true(),
            withdrawal.bekend_op < grens,
            or_(
                withdrawal.bekend_op > E.bekend_op,
                and_(withdrawal.bekend_op == E.bekend_op, withdrawal.id > E.id),
            ),
        )
        .exists()
    )
    ranked = (
        select(
            E.toewijzing_id,
            E.bericht,
            E.datum,
            E.begindatum,
            E.einddatum,
            E.antwoord,
            E.omvang_volume,
            E.omvang_eenheid,
            E.omvang_frequentie,
            E.budget_cents,
            func.row_number()
            .over(
                partition_by=(E.toewijzing_id, E.bericht),
                order_by=(E.bekend_op.desc(), E.id.desc()),
            )
            .label("rang"),
        )
        .where(
            E.gemeente_code == gemeente,
            E.bekend_op < grens,
            E.ingetrokken == false(),
            ~withdrawn,
        )
        .subquery()
    )
    latest = ranked.c.rang == 1

    def of(bericht: Zorgbericht, value, when=None):  # type: ignore[no-untyped-def]
        condition = ranked.c.bericht == bericht.value
        return case((condition if when is None else and_(condition, when), value))

    state = (
        select(
            ranked.c.toewijzing_id,
            func.min(of(Zorgbericht.TOEWIJZING, ranked.c.datum)).label("toegewezen"),
            func.max(of(Zorgbericht.START, ranked.c.datum, latest)).label("start"),
            func.max(of(Zorgbericht.STOP, ranked.c.begindatum, latest)).label("start_bij_stop"),
            func.max(of(Zorgbericht.STOP, ranked.c.datum, latest)).label("gestopt"),
            func.max(of(Zorgbericht.TOEWIJZING, ranked.c.einddatum, latest)).label("einde"),
            # What the latest 301 allocates: from when, how much, or for what budget.
            func.max(of(Zorgbericht.TOEWIJZING, ranked.c.begindatum, latest)).label("ingang"),
            *(
                func.max(of(Zorgbericht.TOEWIJZING, getattr(ranked.c, name), latest)).label(name)
                for name in COMMITMENT_COLUMNS
            ),
            func.min(
                case(
                    (
                        ranked.c.bericht.in_(
                            [Zorgbericht.VERZOEK.value, Zorgbericht.WIJZIGING.value]
                        ),
                        ranked.c.datum,
                    )
                )
            ).label("aangevraagd"),
            func.max(
                of(
                    Zorgbericht.ANTWOORD,
                    ranked.c.datum,
                    and_(latest, ranked.c.antwoord == VERZOEK_AFGEWEZEN),
                )
            ).label("afgewezen"),
        )
        .group_by(ranked.c.toewijzing_id)
        .subquery()
    )
    return select(
        T.perceel_id,
        T.aanbieder_agb,
        T.client_pseudoniem,
        state.c.toegewezen,
        func.coalesce(state.c.start, state.c.start_bij_stop).label("gestart"),
        state.c.gestopt,
        state.c.einde,
        state.c.aangevraagd,
        state.c.afgewezen,
        T.productcode,
        state.c.ingang,
        *(getattr(state.c, name) for name in COMMITMENT_COLUMNS),
    ).join(state, state.c.toewijzing_id == T.id)


def _from_export(gemeente: str, grens: date, tijdzone: str):  # type: ignore[no-untyped-def]
    latest_export = (
        select(F.id)
        .where(
            F.gemeente_code == gemeente,
            F.soort == WAITING_LIST_SOORT,
            F.status == BestandStatus.INGELEZEN.value,
            or_(F.ingelezen_op < moment_of(grens, tijdzone), F.periode_tot < grens - EXPORT_DELAY),
        )
        .order_by(F.periode_tot.desc(), F.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(
        W.perceel_id,
        W.aanbieder_agb,
        cast(null(), String).label("client_pseudoniem"),  # an export has no client key
        W.toewijzingsdatum.label("toegewezen"),
        W.startdatum.label("gestart"),
        cast(null(), Date).label("gestopt"),
        cast(null(), Date).label("einde"),
        cast(null(), Date).label("aangevraagd"),
        cast(null(), Date).label("afgewezen"),
        # A waiting list says nothing about what is allocated.
        cast(null(), String).label("productcode"),
        cast(null(), Date).label("ingang"),
        cast(null(), Integer).label("omvang_volume"),
        cast(null(), String).label("omvang_eenheid"),
        cast(null(), String).label("omvang_frequentie"),
        cast(null(), BigInteger).label("budget_cents"),
    ).where(W.gemeente_code == gemeente, W.bestand_id == latest_export)


#: Days in an average month, for durations in months.
DAYS_PER_MONTH = 365.25 / 12


def ended_trajectories(
    gemeente: str, grens: date, tijdzone: str, since: date, percelen: list[str] | None = None
) -> Select:
    """The one definition of a care trajectory: an allocation's care from its start (305)
    to its stop (307), both known before `grens`, ended on or after `since`.

    Columns: perceel_id, aanbieder_agb, client_pseudoniem, gestart, gestopt.
    Durations are computed by the caller (date arithmetic differs between SQLite
    and PostgreSQL).
    """
    known = allocations_known(gemeente, grens, tijdzone)
    query = select(
        known.c.perceel_id,
        known.c.aanbieder_agb,
        known.c.client_pseudoniem,
        known.c.gestart,
        known.c.gestopt,
    ).where(
        known.c.gestart.is_not(None),
        known.c.gestopt.is_not(None),
        known.c.gestopt >= known.c.gestart,
        known.c.gestopt >= since,
        known.c.gestopt < grens,
    )
    if percelen is not None:
        query = query.where(known.c.perceel_id.in_(percelen))
    return query


def duration_months(start: date, stop: date) -> float:
    return (stop - start).days / DAYS_PER_MONTH
