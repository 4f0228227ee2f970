"""Split a care period over the calendar months it covers, without losing a cent.

Costs are reported per care month (*zorgmaand*), but a Prestatie's ProductPeriode
may run from 15 January to 10 March. The amount is divided pro rata by days
(both ends inclusive) with the largest-remainder method, so the parts are whole
cents that add up exactly to the declared amount: the monthly figures must
reconcile with the declaration total to the cent. Ties go to the earlier month,
so the split is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class MonthPart:
    """The share of a care period that falls in one calendar month."""

    zorgmaand: date  # first day of the month
    begin: date
    end: date
    amount_cents: int
    volume: float | None


def _month_spans(begin: date, end: date) -> list[tuple[date, date, date]]:
    """(first of month, part begin, part end) for every month touched by [begin, end]."""
    spans = []
    cursor = begin
    while (cursor.year, cursor.month) < (end.year, end.month):
        first = cursor.replace(day=1)
        next_first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        spans.append((first, cursor, next_first - timedelta(days=1)))
        cursor = next_first
    spans.append((cursor.replace(day=1), cursor, end))
    return spans


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split a non-negative integer in proportion to weights; parts sum exactly to total."""
    weight_sum = sum(weights)
    floors = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    short = total - sum(floors)
    # Highest remainder first; on equal remainders the earlier month wins.
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in order[:short]:
        floors[index] += 1
    return floors


def split_by_month(
    begin: date, end: date, amount_cents: int, volume: float | None
) -> list[MonthPart]:
    """Split an amount (and volume) over the months of [begin, end], pro rata by days.

    Negative amounts (credits) are split by their absolute value and keep their
    sign in every part, so a credit mirrors its debit exactly. The volume is
    split by the same day fractions; it is a float and not reconciled to the
    unit, because volumes are only ever shown rounded.
    """
    if end < begin:
        raise ValueError(f"einddatum {end.isoformat()} ligt voor begindatum {begin.isoformat()}")
    spans = _month_spans(begin, end)
    days = [(part_end - part_begin).days + 1 for _, part_begin, part_end in spans]
    sign = -1 if amount_cents < 0 else 1
    cents = _largest_remainder(abs(amount_cents), days)
    total_days = sum(days)
    return [
        MonthPart(
            zorgmaand=first,
            begin=part_begin,
            end=part_end,
            amount_cents=sign * part_cents,
            volume=None if volume is None else volume * part_days / total_days,
        )
        for (first, part_begin, part_end), part_days, part_cents in zip(
            spans, days, cents, strict=True
        )
    ]
