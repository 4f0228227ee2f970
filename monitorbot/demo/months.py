"""Calendar months as plain integers, so the simulation can loop and compare cheaply.

A month is ``year * 12 + (month - 1)``: consecutive months differ by one, which
makes "care month + lag" and "months between" ordinary arithmetic.
"""

from __future__ import annotations

import calendar
from datetime import date
from functools import cache

Month = int


def month_at(year: int, month: int = 1) -> Month:
    """Month `month` (1 … 12, January by default) of `year`."""
    return year * 12 + month - 1


def month_of(day: date) -> Month:
    """The month a date falls in."""
    return month_at(day.year, day.month)


def month_from_label(label: str) -> Month:
    """Parse ``2024-03``."""
    year, month = label.split("-")
    return month_at(int(year), int(month))


def year_of(month: Month) -> int:
    return month // 12


def calendar_month(month: Month) -> int:
    """1 … 12."""
    return month % 12 + 1


@cache
def label(month: Month) -> str:
    """``2024-03``: the form used in folder names, CSV files and the manifest."""
    return f"{year_of(month):04d}-{calendar_month(month):02d}"


@cache
def days_in(month: Month) -> int:
    return calendar.monthrange(year_of(month), calendar_month(month))[1]


@cache
def first_day(month: Month) -> date:
    return date(year_of(month), calendar_month(month), 1)


@cache
def last_day(month: Month) -> date:
    return date(year_of(month), calendar_month(month), days_in(month))


def day_in(month: Month, day: int) -> date:
    """A day of the month, clamped to its length (day 31 of February is the 28th/29th)."""
    return date(year_of(month), calendar_month(month), min(max(day, 1), days_in(month)))


def overlap_days(month: Month, begin: date, end: date) -> int:
    """How many days of `month` lie within ``begin … end`` (inclusive)."""
    start = max(begin, first_day(month))
    stop = min(end, last_day(month))
    return max((stop - start).days + 1, 0)
