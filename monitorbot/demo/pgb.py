"""PGB and eigen-bijdrage totals: what the SVB and CAK report per month, not per client.

Personal budgets are paid by the SVB and arrive at the municipality as monthly
totals per perceel; the clients' own contributions (eigen bijdrage) are
collected by the CAK and are income, so negative.
"""

from __future__ import annotations

import random

from monitorbot.demo.catalog import EIGEN_BIJDRAGE, PGB_SERIES, PgbSeries
from monitorbot.demo.months import Month


def pgb_amounts(
    seed: int, window: range, *, origin: Month, schaal: float = 1.0
) -> dict[tuple[Month, str], int]:
    """Monthly cents per PGB/income perceel over `window`, with a yearly trend and some noise.

    Each series stands at its `start_cents` × `schaal` (a member's size against
    Demodorp) in month `origin` (the period's first month) and trends from there,
    also backwards for months before it.
    """
    amounts: dict[tuple[Month, str], int] = {}
    for series in (*PGB_SERIES, EIGEN_BIJDRAGE):
        rng = random.Random(f"{seed}/pgb/{series.perceel}")
        for month in window:
            amounts[month, series.perceel] = _monthly_amount(rng, series, month, origin, schaal)
    return amounts


def _monthly_amount(
    rng: random.Random, series: PgbSeries, month: Month, origin: Month, schaal: float
) -> int:
    trend = series.yearly_growth ** ((month - origin) / 12)
    noise = rng.uniform(1 - series.noise, 1 + series.noise)
    return round(series.start_cents * schaal * trend * noise)
