"""Why costs move: unique clients, cost per client and the ten most expensive clients.

The users' own reports explain growth like "31,5 %: 13 %-punt door de 10 duurste
cliënten, 18 %-punt door hogere kosten per cliënt; unieke cliënten -0,5 %". This
module produces exactly those figures. Only aggregates leave the database: the
top ten are summed in SQL and never returned as clients.

Decomposition of the growth g = C1/C0 − 1 (C = cost, T = cost of the year's ten
most expensive clients, R = C − T for the n other clients, r = R/n):
  top-10 contribution        (T1 − T0) / C0
  clients effect             (n1 − n0) · r0 / C0
  cost-per-client effect     n1 · (r1 − r0) / C0
These three add up to g exactly. Excluding indexation, year 1's amounts are first
deflated by that year's price rise, so the cost-per-client effect is real growth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.forecast.series import through_month
from monitorbot.money import format_change
from monitorbot.store import models

LINE = models.Declaratieregel
TOP = 10


@dataclass(frozen=True)
class ClientFigures:
    """One year's cost in a set of percelen, as aggregates only."""

    jaar: int
    kosten_cents: int
    clienten: int
    top10_cents: int
    boven_grens: int  # clients whose year cost exceeds the high-cost threshold

    @property
    def kosten_per_client(self) -> float:
        return self.kosten_cents / self.clienten if self.clienten else 0.0

    @property
    def top10_aandeel(self) -> float:
        return self.top10_cents / self.kosten_cents if self.kosten_cents else 0.0


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


def same_day(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


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


@dataclass(frozen=True)
class Decomposition:
    """Growth from year 0 to year 1 and its three parts, as fractions (0.13 = 13 %-punt)."""

    groei: float
    top10: float
    clienten_effect: float
    kosten_per_client_effect: float
    unieke_clienten_groei: float
    kosten_per_client_groei: float
    indexatie: float  # the price rise taken out (0 when including indexation)

    def zin(self) -> str:
        """The sentence a council report uses (Dutch)."""
        pct = _pct
        inclusief = (
            f"exclusief indexatie van {pct(self.indexatie).lstrip('+')}"
            if self.indexatie
            else "inclusief indexatie"
        )
        return (
            f"Kostengroei {pct(self.groei)} ({inclusief}): "
            f"{_pp(self.top10)} door de 10 duurste cliënten, "
            f"{_pp(self.kosten_per_client_effect)} door hogere kosten per cliënt, "
            f"{_pp(self.clienten_effect)} door het aantal cliënten; "
            f"unieke cliënten {pct(self.unieke_clienten_groei)}."
        )


def decompose(
    previous: ClientFigures, current: ClientFigures, *, indexatie: float = 0.0
) -> Decomposition:
    """Split the growth into top-10, clients and cost per client (they add up exactly).

    `indexatie` is the current year's price rise as a fraction (0.064 for 6,4 %);
    the current year's amounts are deflated by it first.
    """
    deflate = 1 + indexatie
    c0, c1 = previous.kosten_cents, current.kosten_cents / deflate
    t0, t1 = previous.top10_cents, current.top10_cents / deflate
    n0 = max(previous.clienten - min(TOP, previous.clienten), 0)
    n1 = max(current.clienten - min(TOP, current.clienten), 0)
    r0 = (c0 - t0) / n0 if n0 else 0.0
    r1 = (c1 - t1) / n1 if n1 else 0.0
    if not c0:
        raise ValueError("geen kosten in het vorige jaar: groei is niet te bepalen")
    return Decomposition(
        groei=c1 / c0 - 1,
        top10=(t1 - t0) / c0,
        clienten_effect=(n1 - n0) * r0 / c0,
        kosten_per_client_effect=n1 * (r1 - r0) / c0,
        unieke_clienten_groei=(
            current.clienten / previous.clienten - 1 if previous.clienten else 0.0
        ),
        kosten_per_client_groei=(
            (current.kosten_per_client / deflate) / previous.kosten_per_client - 1
            if previous.kosten_per_client
            else 0.0
        ),
        indexatie=indexatie,
    )


def _pct(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%".replace(".", ",")


def _pp(fraction: float) -> str:
    return format_change(fraction * 100, unit="%-punt")
