"""The demo scenarios: one baseline and four stories a monitor must notice.

Every scenario changes youth care only, and every care stream draws from its
own seeded random stream: the Wmo messages, the CSV export and the PGB files are
byte-identical to the baseline with the same seed, so a difference in the
monitor's output is caused by the story, not by reshuffled noise.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitorbot.demo import months
from monitorbot.demo.catalog import LATE_PROVIDER
from monitorbot.demo.months import Month
from monitorbot.demo.timeline import DemoCalendar

SCENARIOS = ("standaard", "trendbreuk", "jaarwissel", "late-aanbieder", "krimp")


@dataclass(frozen=True)
class Trendbreuk:
    """From `vanaf`, the perceel's volume per client and its inflow jump."""

    perceel: str
    vanaf: Month
    volume_factor: float
    inflow_factor: float
    expected_yoy_growth: float
    """What the planted break should look like: year-on-year cost growth."""


@dataclass(frozen=True)
class Krimp:
    """Youth care shrinks in clients but each client costs more."""

    inflow_growth: float
    intensity_growth: float
    duration_growth: float
    vanaf: Month


@dataclass(frozen=True)
class LateDeclarations:
    """A provider that from care month `vanaf` declares `lags` months late."""

    agb: str
    vanaf: Month
    lags: tuple[int, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    trendbreuk: Trendbreuk | None = None
    krimp: Krimp | None = None
    late: LateDeclarations | None = None


def scenario_named(name: str, calendar: DemoCalendar) -> Scenario:
    """The settings of a scenario on the demo's calendar; unknown names are an error.

    Each story starts where it is visible in the data of that calendar (shown
    for vandaag 2026-11-10): the trend break in July of the year before the
    current one (2025-07), so a full year after it can be compared with the
    year before; the change at the turn of that year (2025-01), so a closed
    year can be backtested from its first months; the late provider six months
    before the last complete month (2026-04), so a monitor sees recent months go
    missing; the shrinkage from the period's first month (2023-01), so it builds
    up over the whole period.
    """
    if name == "standaard":
        return Scenario(name)
    if name == "trendbreuk":
        return Scenario(
            name,
            trendbreuk=Trendbreuk(
                perceel="jeugd-ambulant",
                vanaf=months.month_at(calendar.last_year - 1, 7),
                volume_factor=1.10,
                inflow_factor=1.12,
                expected_yoy_growth=0.40,
            ),
        )
    if name == "jaarwissel":
        # A new contract from 1 January of the year before the current one (2025): each
        # client costs 12 % more and 6 % more clients come in. A prognosis made early in
        # that year that leans on the year before misses it; the allocations show it.
        return Scenario(
            name,
            trendbreuk=Trendbreuk(
                perceel="jeugd-ambulant",
                vanaf=months.month_at(calendar.last_year - 1, 1),
                volume_factor=1.12,
                inflow_factor=1.06,
                expected_yoy_growth=0.25,
            ),
        )
    if name == "late-aanbieder":
        return Scenario(
            name, late=LateDeclarations(LATE_PROVIDER, calendar.period_last - 6, (3, 4))
        )
    if name == "krimp":
        return Scenario(
            name,
            krimp=Krimp(
                inflow_growth=0.82,
                intensity_growth=1.10,
                duration_growth=1.08,
                vanaf=calendar.period_first,
            ),
        )
    raise ValueError(f"onbekend scenario {name!r}; kies uit: {', '.join(SCENARIOS)}")
