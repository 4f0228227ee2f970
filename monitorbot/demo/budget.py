"""Demodorp's primitive budget for any year, drawn up the way its controller does it.

The budget for 2026 in config/begroting/9999-2026.yaml was written by hand:
"jaarrekening 2024 + werkelijke indexatie 2025 + begrote indexatie 2026 + twee
jaar verwachte groei". A demo that plays in another year has no hand-written
budget, so `demo_budget` follows the same recipe on the simulated figures and
every year of the period gets a budget a controller could have set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from monitorbot.demo.catalog import (
    BUDGET_PERCELEN,
    ROLLED_UP,
    VERWACHTE_GROEI,
    actual_index,
    budgeted_index,
)

JAARREKENING_LAG = 2
"""The budget for a year is set in the autumn before it, when the year before
that is the last one whose accounts (jaarrekening) are closed."""
ROUNDING_CENTS = 100_000
"""Budgets are set in whole thousands of euros."""


def demo_budget(year: int, jaarrekening: Mapping[str, int]) -> dict[str, int]:
    """The primitive budget for `year` per budget row, in cents (income rows negative).

    `jaarrekening` is the complete cost of year ``year - 2`` per perceel in cents,
    as the manifest's `truth_totals_cents` holds it; finer percelen count for
    their budget row (youth care is budgeted as one ZIN row).
    """
    realised = roll_up(jaarrekening)
    return {
        perceel: _rounded(realised.get(perceel, 0) * budget_factor(year, perceel))
        for perceel in BUDGET_PERCELEN
    }


def roll_up(per_perceel: Mapping[str, int]) -> dict[str, int]:
    """Cents per budget row: finer percelen added to the row they are part of."""
    totals: dict[str, int] = defaultdict(int)
    for perceel, cents in per_perceel.items():
        totals[ROLLED_UP.get(perceel, perceel)] += cents
    return dict(totals)


def budget_factor(year: int, perceel: str) -> float:
    """From the jaarrekening of ``year - 2`` to the budget of `year`.

    The actual indexation of the year in between is known when the budget is
    drawn up, the budget year's own only as an assumption; growth is expected
    for both years and is, as always in these budgets, excluding indexation.
    """
    growth = (1 + VERWACHTE_GROEI.get(perceel, 0.0)) ** JAARREKENING_LAG
    return (1 + actual_index(year - 1, perceel)) * (1 + budgeted_index(year, perceel)) * growth


def _rounded(cents: float) -> int:
    return round(cents / ROUNDING_CENTS) * ROUNDING_CENTS
