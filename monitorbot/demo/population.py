"""The simulated population: who asks for help, waits, gets care and stops.

Each care stream is a stock-and-flow process: every month the expected number
of new requests arrives (fractions carry over to the next month), each gets an
allocation, waits for its start, runs for a log-normal duration and ends.
Simulating from years before the demo period gives a settled opening stock.
Arrivals and durations are spread evenly rather than purely at random, so that
the trends a scenario plants are not drowned by chance in streams of a handful
of clients.
A few exceptionally expensive youth cases are planted on top, because the
"cases above €250.000" the reports worry about are too rare to leave to chance.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

from monitorbot.demo import months
from monitorbot.demo.catalog import (
    BASE_YEAR,
    PRODUCT_BY_CODE,
    PROVIDER_BY_AGB,
    SEASON_REQUESTS,
    STREAMS,
    WAITING_NORM_BREAKER,
    YOUTH_STOP_REASONS,
    Product,
    Provider,
    Stream,
)
from monitorbot.demo.identities import Client, ClientFactory
from monitorbot.demo.months import Month
from monitorbot.demo.regio import DEMODORP, DemoLid
from monitorbot.demo.scenarios import Scenario
from monitorbot.demo.timeline import DemoCalendar

DAYS_PER_MONTH = 30.44
BASE_MONTH: Month = BASE_YEAR * 12
RECENT_CLIENTS = 250
"""How far back (in trajectories) a client may be picked for a second product."""
EXCEPTIONAL_PRODUCT = "43V03"
EXCEPTIONAL_PROVIDER = "98990105"

DayInPeriod = tuple[int, int]
"""(months after the period's first month, day of that month)."""
EXCEPTIONAL_CASES: tuple[tuple[DayInPeriod, DayInPeriod | None], ...] = (
    ((-31, 1), (13, 29)),
    ((-11, 1), (29, 30)),
    ((3, 1), (38, 31)),
    ((12, 15), None),
    ((24, 10), None),
    ((30, 1), None),
    ((37, 1), None),
)
"""(start, end or None while still running): the intensive residential placements
whose yearly cost exceeds €250.000, becoming more frequent over time. For a
period from 2023-01 they run 2020-06-01 … 2024-02-29, 2022-02-01 … 2025-06-30,
2023-04-01 … 2026-03-31 and from 2024-01-15, 2025-01-10, 2025-07-01 and
2026-02-01; a day past the month's end falls on its last day."""


@dataclass(slots=True)
class Trajectory:
    """One allocated product for one client at one provider, from request to stop."""

    stream: Stream
    client: Client
    provider: Provider
    product: Product
    referrer: str
    via_315: bool
    request_date: date
    alloc_date: date
    begin: date
    end: date
    allocation_end: date | None
    intensity: float
    """Units per full month of care (see `Stream.intensity`); euros for one-offs."""
    stop_reason: str
    gemeente: str = DEMODORP.code
    toewijzingnummer: int = 0


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def years_from(month: Month, origin: Month) -> float:
    return (month - origin) / 12


def monthly_inflow(
    stream: Stream, month: Month, scenario: Scenario, lid: DemoLid = DEMODORP
) -> float:
    """Expected number of new requests in a month, with growth, season, scenario and
    the member's size and own youth growth."""
    growth = stream.inflow_growth
    if scenario.krimp and stream.wet == "jw" and month >= scenario.krimp.vanaf:
        level = stream.inflow_growth ** years_from(scenario.krimp.vanaf, BASE_MONTH)
        level *= scenario.krimp.inflow_growth ** years_from(month, scenario.krimp.vanaf)
    else:
        level = growth ** years_from(month, BASE_MONTH)
    breuk = scenario.trendbreuk
    if breuk and month >= breuk.vanaf and _stream_perceel(stream) == breuk.perceel:
        level *= breuk.inflow_factor
    if stream.wet == "jw":
        level *= lid.jeugd_groei ** years_from(month, BASE_MONTH)
    season = SEASON_REQUESTS.get(months.calendar_month(month), 1)
    return stream.inflow_per_month * lid.schaal * level * season


def _stream_perceel(stream: Stream) -> str:
    return PRODUCT_BY_CODE[stream.providers[0][2]].perceel


def _krimp_factor(stream: Stream, month: Month, scenario: Scenario, yearly: float) -> float:
    krimp = scenario.krimp
    if krimp is None or stream.wet != "jw" or month < krimp.vanaf:
        return 1.0
    return yearly ** years_from(month, krimp.vanaf)


def _lognormal_quantile(quantile: float, mean: float, sigma: float) -> float:
    """The log-normal value at a quantile, parameterised by its mean."""
    z = NormalDist().inv_cdf(quantile)
    return math.exp(math.log(mean) - sigma * sigma / 2 + sigma * z)


def _intensity(quantile: float, stream: Stream, month: Month, scenario: Scenario) -> float:
    if stream.one_off:  # `intensity` is the median amount in euros
        return stream.intensity * math.exp(stream.intensity_sigma * NormalDist().inv_cdf(quantile))
    if stream.intensity <= 0:
        return 0.0
    mean = stream.intensity * stream.intensity_growth ** years_from(month, BASE_MONTH)
    if scenario.krimp:
        mean *= _krimp_factor(stream, month, scenario, scenario.krimp.intensity_growth)
    return _lognormal_quantile(quantile, mean, stream.intensity_sigma)


class SpreadQuantiles:
    """Quantiles that fill (0, 1) evenly (golden-ratio steps from a random start).

    Durations drawn from these still follow the log-normal distribution, but a
    small stream (five children in residential care) no longer has years where
    by chance everybody stays long: that noise would drown the trends the
    scenarios plant.
    """

    GOLDEN = (math.sqrt(5) - 1) / 2

    def __init__(self, start: float) -> None:
        self._position = start

    def next(self) -> float:
        self._position = (self._position + self.GOLDEN) % 1.0
        return min(max(self._position, 1e-6), 1 - 1e-6)


def _duration_days(quantile: float, stream: Stream, month: Month, scenario: Scenario) -> int:
    if stream.one_off:
        return 1
    mean = stream.mean_duration_months * DAYS_PER_MONTH
    if scenario.krimp:
        mean *= _krimp_factor(stream, month, scenario, scenario.krimp.duration_growth)
    return max(round(_lognormal_quantile(quantile, mean, stream.duration_sigma)), 3)


def _draw_waiting_days(rng: random.Random, provider: Provider, factor: float = 1.0) -> int:
    """Allocation to start of care; the norm breaker waits ≈ 90 days, crisis none; a
    member with long waiting times waits `factor` times as long."""
    if provider.waiting_median_days <= 0:
        return 0
    if provider.waiting_median_days < 3:
        return rng.randint(0, 3)
    sigma = 0.35 if provider.agb == WAITING_NORM_BREAKER else 0.45
    median = provider.waiting_median_days * factor
    return max(round(rng.lognormvariate(math.log(median), sigma)), 1)


def _allocation_end(stream: Stream, product: Product, alloc_date: date, end: date) -> date | None:
    """301 Einddatum: open for household help and rentals, else covering the care."""
    if stream.one_off:
        return alloc_date + timedelta(days=90)
    if product.volume_kind == "huur" or product.perceel == "wmo-hh-zin":
        return None
    planned = max(end, alloc_date + timedelta(days=180))
    return months.last_day(months.month_of(planned))


def _day_in_period(calendar: DemoCalendar, when: DayInPeriod) -> date:
    offset, day = when
    return months.day_in(calendar.period_first + offset, day)


class PopulationBuilder:
    """Runs the month-by-month simulation; one instance per (seed, scenario, calendar)."""

    def __init__(
        self, seed: int, scenario: Scenario, calendar: DemoCalendar, lid: DemoLid = DEMODORP
    ) -> None:
        self.seed = seed
        self.scenario = scenario
        self.calendar = calendar
        self.lid = lid
        self.used_bsns: set[str] = set()
        self.factories = {
            s.key: ClientFactory(random.Random(f"{seed}/clients/{s.key}"), self.used_bsns)
            for s in STREAMS
        }
        self.recent: dict[str, list[Client]] = {"jw": [], "wmo": []}
        self.trajectories: list[Trajectory] = []
        self.durations: dict[str, SpreadQuantiles] = {}
        self.intensities: dict[str, SpreadQuantiles] = {}

    def run(self) -> list[Trajectory]:
        rngs = {s.key: random.Random(f"{self.seed}/stream/{s.key}") for s in STREAMS}
        arrivals = {s.key: rngs[s.key].random() for s in STREAMS}
        self.durations = {s.key: SpreadQuantiles(rngs[s.key].random()) for s in STREAMS}
        self.intensities = {s.key: SpreadQuantiles(rngs[s.key].random()) for s in STREAMS}
        for month in range(self.calendar.simulation_first, self.calendar.simulation_last + 1):
            for stream in STREAMS:
                rng = rngs[stream.key]
                expected = monthly_inflow(stream, month, self.scenario, self.lid)
                count = math.floor(arrivals[stream.key] + expected)
                arrivals[stream.key] += expected - count
                for _ in range(count):
                    self.trajectories.append(self._new_trajectory(rng, stream, month))
        self.trajectories.extend(self._exceptional_cases())
        self.trajectories.sort(
            key=lambda t: (t.alloc_date, t.request_date, t.client.bsn, t.product.code)
        )
        number_allocations(self.trajectories, self.lid)
        return self.trajectories

    def _client_for(self, rng: random.Random, stream: Stream, on: date) -> Client:
        recent = self.recent[stream.wet]
        if recent and rng.random() < stream.client_reuse:
            return rng.choice(recent[-RECENT_CLIENTS:])
        client = self.factories[stream.key].create(on, stream.age_range)
        recent.append(client)
        return client

    def _new_trajectory(self, rng: random.Random, stream: Stream, month: Month) -> Trajectory:
        request_date = months.day_in(month, rng.randint(1, months.days_in(month)))
        client = self._client_for(rng, stream, request_date)
        agb, _, product_code = stream.providers[
            rng.choices(range(len(stream.providers)), [w for _, w, _ in stream.providers])[0]
        ]
        provider = PROVIDER_BY_AGB[agb]
        referrer = pick(rng, stream.referrers)
        via_315 = referrer != "01"
        decision_days = rng.randint(1, 10) if via_315 else rng.randint(5, 35)
        if provider.waiting_median_days <= 0:
            decision_days = rng.randint(0, 1)  # crisis: allocated right away
        alloc_date = request_date + timedelta(days=decision_days)
        begin = alloc_date + timedelta(days=_draw_waiting_days(rng, provider, self.lid.wachttijd))
        duration = _duration_days(self.durations[stream.key].next(), stream, month, self.scenario)
        end = begin + timedelta(days=duration - 1)
        product = PRODUCT_BY_CODE[product_code]
        return Trajectory(
            stream=stream,
            client=client,
            provider=provider,
            product=product,
            referrer=referrer,
            via_315=via_315,
            request_date=request_date,
            alloc_date=alloc_date,
            begin=begin,
            end=end,
            allocation_end=_allocation_end(stream, product, alloc_date, end),
            intensity=_intensity(self.intensities[stream.key].next(), stream, month, self.scenario),
            stop_reason=pick(rng, stream.stop_reasons),
            gemeente=self.lid.code,
        )

    def _exceptional_cases(self) -> list[Trajectory]:
        rng = random.Random(f"{self.seed}/uitzonderlijk")
        stream = next(s for s in STREAMS if s.key == "jeugd-verblijf-behandeling")
        factory = ClientFactory(random.Random(f"{self.seed}/clients/uitzonderlijk"), self.used_bsns)
        open_end = self.calendar.open_end
        cases = []
        for start, stop in _exceptional_share(self.lid):
            begin = _day_in_period(self.calendar, start) + timedelta(days=rng.randint(-10, 10))
            end = open_end
            if stop:
                end = _day_in_period(self.calendar, stop) + timedelta(days=rng.randint(-10, 10))
            alloc_date = begin - timedelta(days=rng.randint(5, 25))
            cases.append(
                Trajectory(
                    stream=stream,
                    client=factory.create(begin, (12, 16)),
                    provider=PROVIDER_BY_AGB[EXCEPTIONAL_PROVIDER],
                    product=PRODUCT_BY_CODE[EXCEPTIONAL_PRODUCT],
                    referrer=pick(rng, (("04", 0.6), ("08", 0.4))),
                    via_315=True,
                    request_date=alloc_date - timedelta(days=rng.randint(2, 9)),
                    alloc_date=alloc_date,
                    begin=begin,
                    end=end,
                    allocation_end=months.last_day(months.month_of(min(end, open_end))),
                    intensity=0.0,
                    stop_reason=pick(rng, YOUTH_STOP_REASONS),
                    gemeente=self.lid.code,
                )
            )
        return cases


ALLOCATION_NUMBER_BASE = {"jw": 41_000_000, "wmo": 42_000_000}
MEMBER_NUMBER_STEP = 2_000_000
"""Each member's numbers lie this far from the previous member's (both laws)."""


def _exceptional_share(lid: DemoLid) -> tuple[tuple[DayInPeriod, DayInPeriod | None], ...]:
    """A smaller member has fewer of the very expensive placements (at least one)."""
    count = max(1, round(len(EXCEPTIONAL_CASES) * min(lid.schaal, 1.0)))
    return EXCEPTIONAL_CASES[:count]


def number_allocations(trajectories: list[Trajectory], lid: DemoLid = DEMODORP) -> None:
    """ToewijzingNummer in allocation order, counted per law.

    Separate ranges keep the Wmo side byte-identical between scenarios that only
    change youth care; each member has its own ranges, so no number is used twice
    in the region.
    """
    counters = dict.fromkeys(ALLOCATION_NUMBER_BASE, 0)
    offset = MEMBER_NUMBER_STEP * lid.nummer
    for trajectory in trajectories:
        wet = trajectory.product.wet
        counters[wet] += 1
        trajectory.toewijzingnummer = ALLOCATION_NUMBER_BASE[wet] + offset + counters[wet]


def simulate_population(
    seed: int, scenario: Scenario, calendar: DemoCalendar, lid: DemoLid = DEMODORP
) -> list[Trajectory]:
    """All trajectories of the calendar's simulation months, numbered in allocation order."""
    return PopulationBuilder(seed, scenario, calendar, lid).run()
