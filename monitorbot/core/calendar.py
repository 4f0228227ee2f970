"""Months and the peildatum: what "as of" means in every command, once.

A **peildatum** is a cut in time: everything dated before its `grens` (the first
day *not* known) counts, nothing after it. People name it two ways and every
command reads both the same:

* `JJJJ-MM` — the peilmaand: everything known by the end of that month
  ("stand eind oktober 2026"; the cut is 1 November);
* `JJJJ-MM-DD` — a day: everything known on that day ("stand 10-11-2026"; the cut
  is the day after).

Without either, it is today (everything known now). The figures are about the
peilmaand: the last whole month before the cut, whose year is the year a report
is about (a report made in January is still about December's year). Which date
of each source counts as "known" is defined with the sources in
`store.queries.known` and applied by the queries; this module only does dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MONTH_NAMES = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip

#: Late declarations keep arriving for months; three months after its end a year
#: counts as closed: its realisation is its figure and no correction applies any more.
NADECLARATIE_MAANDEN = 3

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_DAY = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])-([0-3][0-9])$")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def shift_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_from_to(first: date, last: date) -> list[date]:
    """Every month from `first`'s to `last`'s, both included, as first days."""
    months, month = [], first_of_month(first)
    while month <= last:
        months.append(month)
        month = shift_months(month, 1)
    return months


def same_day(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def month_name(day: date) -> str:
    """'oktober 2026'."""
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def through_month(known_before: date, year: int) -> int:
    """The last care month of `year` with data when known before that day (1 at least).

    A year in progress runs to the month before `known_before`'s month: that month
    itself has only begun. A year that has ended runs to December.
    """
    return 12 if known_before.year > year else max(known_before.month - 1, 1)


def year_closed(year: int, known_before: date) -> bool:
    """Whether `year`'s declarations are in: NADECLARATIE_MAANDEN after its end."""
    return known_before >= shift_months(date(year + 1, 1, 1), NADECLARATIE_MAANDEN)


class Soort(StrEnum):
    """How a peildatum was named, which decides how it reads."""

    MAAND = "maand"
    DAG = "dag"


@dataclass(frozen=True, order=True)
class Peildatum:
    """Everything dated before `grens` is known; `soort` only changes the label."""

    grens: date
    soort: Soort = Soort.DAG

    @classmethod
    def einde_maand(cls, month: date) -> Peildatum:
        """Everything known by the end of `month` (the peilmaand)."""
        return cls(shift_months(month, 1), Soort.MAAND)

    @classmethod
    def op(cls, day: date) -> Peildatum:
        """Everything known on `day`, that day included."""
        return cls(day + timedelta(days=1), Soort.DAG)

    @classmethod
    def nu(cls, moment: datetime, tijdzone: str) -> Peildatum:
        """Everything known now: today in the deployment's time zone."""
        return cls.op(moment.astimezone(ZoneInfo(tijdzone)).date())

    @classmethod
    def parse(cls, text: str) -> Peildatum:
        """`JJJJ-MM` (end of that month) or `JJJJ-MM-DD` (that day); ValueError in Dutch."""
        text = text.strip()
        if match := _MONTH.match(text):
            return cls.einde_maand(date(int(match[1]), int(match[2]), 1))
        if _DAY.match(text):
            try:
                return cls.op(date.fromisoformat(text))
            except ValueError:
                raise ValueError(f"{text!r} is geen bestaande datum") from None
        raise ValueError(
            f"{text!r} is geen peildatum; gebruik JJJJ-MM (eind van die maand, bv. 2026-10) "
            "of JJJJ-MM-DD (die dag, bv. 2026-11-10)"
        )

    @property
    def laatste_dag(self) -> date:
        """The last day that is known."""
        return self.grens - timedelta(days=1)

    @property
    def peilmaand(self) -> date:
        """The last month before the cut's month: the month the figures are about."""
        return shift_months(self.grens, -1)

    @property
    def jaar(self) -> int:
        """The year reports are about: the peilmaand's."""
        return self.peilmaand.year

    @property
    def label(self) -> str:
        """How every output names it: 'stand eind oktober 2026' or 'stand 10-11-2026'."""
        if self.soort is Soort.MAAND:
            return f"stand eind {month_name(self.peilmaand)}"
        return f"stand {self.laatste_dag:%d-%m-%Y}"

    @property
    def code(self) -> str:
        """The text that parses back to this peildatum (`2026-10` or `2026-11-10`)."""
        if self.soort is Soort.MAAND:
            return f"{self.peilmaand:%Y-%m}"
        return self.laatste_dag.isoformat()

    def year_closed(self, year: int) -> bool:
        return year_closed(year, self.grens)

    def months_back(self, months: int) -> Peildatum:
        """The same kind of cut `months` earlier (a year earlier for "same vintage")."""
        if self.soort is Soort.MAAND:
            return Peildatum.einde_maand(shift_months(self.peilmaand, months))
        return Peildatum.op(_shift_day(self.laatste_dag, months))

    def __str__(self) -> str:
        return self.label


def _shift_day(day: date, months: int) -> date:
    """The same day of the month `months` later, clipped to that month's last day."""
    month = shift_months(day, months)
    try:
        return month.replace(day=day.day)
    except ValueError:
        return shift_months(month, 1) - timedelta(days=1)
