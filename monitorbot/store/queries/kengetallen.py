"""Counts a region compares its members on, as SQL aggregates scoped by gemeente.

Each counts the year so far as known at a peildatum: what was declared or messaged
before its grens. Nothing here identifies a client; the caller suppresses small
counts before anything is shown.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from monitorbot.core.states import Zorgbericht
from monitorbot.store import models

LINE = models.Declaratieregel
#: iWmo productcategorie of household help (huishoudelijke hulp).
HH_CATEGORIE = "01"
#: WJ756 units that are time: hours and minutes, in hours.
HOURS_PER_UNIT = {"04": 1.0, "01": 1 / 60}


def household_help(
    session: Session, gemeente: str, first: date, last: date, *, known_before: date
) -> tuple[float, int]:
    """(hours, clients) of household help in care months `first`..`last`: hours net of
    credits (a credit line takes its hours back), clients with positive net cost."""
    declared = (
        LINE.gemeente_code == gemeente,
        LINE.wet == "wmo",
        LINE.productcategorie == HH_CATEGORIE,
        LINE.zorgmaand >= first,
        LINE.zorgmaand <= last,
        LINE.declaratiedatum < known_before,
    )
    sign = case((LINE.bedrag_cents < 0, -1.0), else_=1.0)
    hours = 0.0
    for unit, factor in HOURS_PER_UNIT.items():
        total = session.scalar(
            select(func.sum(LINE.volume * sign)).where(*declared, LINE.eenheid == unit)
        )
        hours += float(total or 0.0) * factor
    per_client = (
        select(LINE.client_pseudoniem)
        .where(*declared)
        .group_by(LINE.client_pseudoniem)
        .having(func.sum(LINE.bedrag_cents) > 0)
        .subquery()
    )
    clients = session.scalar(select(func.count()).select_from(per_client)) or 0
    return hours, int(clients)


def care_messages(
    session: Session, gemeente: str, bericht: Zorgbericht, first: date, *, known_before: date
) -> int:
    """Allocations or requests (one per allocation) dated from `first` and known before
    `known_before`: a 301 counts its allocation once, however often it was re-sent."""
    message = models.ToewijzingBericht
    return int(
        session.scalar(
            select(func.count(func.distinct(message.toewijzing_id))).where(
                message.gemeente_code == gemeente,
                message.bericht == bericht.value,
                message.datum >= first,
                message.datum < known_before,
                message.bekend_op < known_before,
            )
        )
        or 0
    )
