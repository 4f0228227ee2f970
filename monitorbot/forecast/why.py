"""Why costs move: unique clients, cost per client and the ten most expensive clients.

The users' own reports explain growth like "31,5 %: 13 %-punt door de 10 duurste
cliënten, 18 %-punt door hogere kosten per cliënt; unieke cliënten -0,5 %". This
module gathers the figures (`ClientFigures`); `results.decompose` splits the
growth. Only aggregates leave the database: the top ten are summed in SQL and
never returned as clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.core.calendar import same_day, through_month
from monitorbot.forecast.results import TOP, ClientFigures
from monitorbot.store import models

LINE = models.Declaratieregel


def client_figures(
    session: Session,
    gemeente: str,
    percelen: Sequence[str],
    year: int,
    *,
    high_cost_cents: int,
    known_before: date | None = None,
    through_month: int = 12,
) -> ClientFigures:
    """Cost, unique clients, top-10 cost and high-cost cases for one year, in SQL.

    `through_month` limits to the care months January..that month, so a year in
    progress is compared with the same months of the year before.
    """
    return period_figures(
        session,
        gemeente,
        percelen,
        date(year, 1, 1),
        date(year, through_month, 1),
        high_cost_cents=high_cost_cents,
        known_before=known_before,
    )


def period_figures(
    session: Session,
    gemeente: str,
    percelen: Sequence[str],
    first_month: date,
    last_month: date,
    *,
    high_cost_cents: int,
    known_before: date | None = None,
) -> ClientFigures:
    """The same aggregates over care months `first_month`..`last_month` (first days).

    Used for rolling periods (a KPI over the last 12 care months); the figures
    carry the year of the last month.
    """
    per_client = select(
        LINE.client_pseudoniem.label("client"), func.sum(LINE.bedrag_cents).label("kosten")
    ).where(
        LINE.gemeente_code == gemeente,
        LINE.perceel_id.in_(list(percelen)),
        LINE.zorgmaand >= first_month,
        LINE.zorgmaand <= last_month,
    )
    if known_before is not None:
        per_client = per_client.where(LINE.declaratiedatum < known_before)
    per_client = per_client.group_by(LINE.client_pseudoniem).subquery()
    positive = per_client.c.kosten > 0
    total, clients, high = session.execute(
        select(
            func.coalesce(func.sum(per_client.c.kosten), 0),
            func.count().filter(positive),
            func.count().filter(per_client.c.kosten > high_cost_cents),
        )
    ).one()
    top = select(per_client.c.kosten).order_by(per_client.c.kosten.desc()).limit(TOP).subquery()
    top_total = session.execute(select(func.coalesce(func.sum(top.c.kosten), 0))).scalar_one()
    return ClientFigures(last_month.year, int(total), int(clients), int(top_total), int(high))


def year_on_year(
    session: Session,
    gemeente: str,
    percelen: Sequence[str],
    year: int,
    known: date,
    *,
    high_cost_cents: int,
) -> tuple[ClientFigures, ClientFigures]:
    """Last year and this year over the same care months, each as known on the same day.

    Equal vintage: last year as it was known a year earlier, so both years are
    equally (in)complete and late declarations do not fake a slowdown. A year
    in progress is compared over January..the month before `known`.
    """
    through = through_month(known, year)
    previous, current = (
        client_figures(
            session,
            gemeente,
            percelen,
            y,
            high_cost_cents=high_cost_cents,
            known_before=same_day(known, y - year),
            through_month=through,
        )
        for y in (year - 1, year)
    )
    return previous, current
