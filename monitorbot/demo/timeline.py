"""The demo's calendar, derived from the one date it plays on (`vandaag`).

Every date in Demodorp — the months the files cover, how far back the
simulation starts, when a scenario's story begins — follows from `vandaag`
here and nowhere else, so the demo always describes the recent past of the
day it is generated for instead of a fixed stretch of years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from monitorbot.demo import months
from monitorbot.demo.months import Month

PERIOD_YEARS_BACK = 3
"""The period starts in January three years before the last complete month's year."""
WARM_UP_YEARS = 9
"""Care that started years before the period still runs in it; simulating nine
years ahead of the period lets even long rentals reach a settled stock."""


@dataclass(frozen=True)
class DemoCalendar:
    """The months and days one generation covers (all derived by `calendar_for`)."""

    vandaag: date
    period_first: Month
    """January three years before `period_last`'s year: the first care month in the files."""
    period_last: Month
    """The last complete month before `vandaag`."""
    simulation_first: Month
    simulation_last: Month
    """December of `period_last`'s year, so the manifest can state the true total
    of the current year that a perfect year-end forecast should reach."""

    @property
    def as_of(self) -> date:
        """The demo's peildatum: nothing dated after it is written."""
        return self.vandaag

    @property
    def period_start(self) -> date:
        return months.first_day(self.period_first)

    @property
    def first_year(self) -> int:
        return months.year_of(self.period_first)

    @property
    def last_year(self) -> int:
        return months.year_of(self.period_last)

    @property
    def years(self) -> range:
        """The calendar years of the period (the last one still running)."""
        return range(self.first_year, self.last_year + 1)

    @property
    def care_months(self) -> range:
        """The care months that become declarations: the period and the rest of its last year."""
        return range(self.period_first, self.simulation_last + 1)

    @property
    def open_end(self) -> date:
        """End date of care that is still running when the simulation stops."""
        return date(months.year_of(self.simulation_last) + 1, 12, 31)

    def known(self, day: date | None) -> bool:
        """Dated within the demo window: not before the period, not after the as-of date."""
        return day is not None and self.period_start <= day <= self.as_of


def calendar_for(vandaag: date) -> DemoCalendar:
    """The calendar of a demo generated on `vandaag` (for 2026-11-10: 2023-01 … 2026-10)."""
    if isinstance(vandaag, datetime):  # would compare and print with a time of day
        raise TypeError("vandaag is een datum, geen tijdstip")
    period_last = months.month_of(vandaag) - 1
    last_year = months.year_of(period_last)
    period_first = months.month_at(last_year - PERIOD_YEARS_BACK)
    return DemoCalendar(
        vandaag=vandaag,
        period_first=period_first,
        period_last=period_last,
        simulation_first=period_first - WARM_UP_YEARS * 12,
        simulation_last=months.month_at(last_year, 12),
    )
