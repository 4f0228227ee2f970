"""From care delivered to declarations received: volumes, lags, credits, submissions.

Every care month of every trajectory becomes a debit line. Providers send each
line one to six months after the care month (most after one), now and then
credit a line and send a corrected one, and bundle what they send on one day
for one care month into one 323 ("batch"). What a municipality knows on the
as-of date is exactly the batches dated on or before it.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import accumulate

from monitorbot.demo import months
from monitorbot.demo.catalog import (
    DEMO_GEMEENTE,
    PROVIDER_BY_AGB,
    PROVIDERS,
    SEASON_CARE,
    Provider,
    tariff_cents,
)
from monitorbot.demo.months import Month
from monitorbot.demo.population import Trajectory
from monitorbot.demo.scenarios import Scenario

LAG_WEIGHTS: tuple[tuple[int, float], ...] = (
    (1, 0.80),
    (2, 0.12),
    (3, 0.035),
    (4, 0.02),
    (5, 0.015),
    (6, 0.01),
)
"""Months between care month and declaration: mostly the next month, a tail to six."""
LAGS = tuple(lag for lag, _ in LAG_WEIGHTS)
LAG_CUMULATIVE = tuple(accumulate(weight for _, weight in LAG_WEIGHTS))
CORRECTION_SHARE = 0.015
"""Share of debit lines later credited (and usually re-declared corrected)."""
REPLACED_SHARE = 0.85
"""Share of credits followed by a corrected debit; the rest were wrongly declared."""
SUBMISSION_MONTHS_AFTER = 13
"""Submission days are drawn this many months past the last care month: room for
the longest lag, a late credit correction and a resubmission."""


@dataclass(frozen=True, slots=True)
class Row:
    """One Prestatie of a 323 (or one CSV export line), with what the manifest needs."""

    bsn: str
    agb: str
    wet: str
    perceel: str
    toewijzingnummer: int
    referentie: str
    vorig_referentie: str | None
    categorie: str
    productcode: str
    eenheid: str
    begin: date
    end: date
    volume: int
    tarief: int
    debet_credit: str
    care_month: Month
    submit_month: Month
    end_text: str | None = None
    """An impossible date written instead of `end` (dirty data only)."""

    @property
    def amount(self) -> int:
        """IngediendBedrag: unsigned cents, as in the message."""
        return self.volume * self.tarief

    @property
    def signed_amount(self) -> int:
        return self.amount if self.debet_credit == "D" else -self.amount


@dataclass(slots=True)
class Batch:
    """One 323 message: one provider, one DeclaratiePeriode, one submission."""

    provider: Provider
    care_month: Month
    submitted: date
    rows: list[Row]
    declaratienummer: str = ""
    ontvanger: str = DEMO_GEMEENTE
    total_override: int | None = None
    dirty_kind: str | None = None
    kept_for_demodorp: bool = False
    """A defective message whose lines an ingest keeps for Demodorp (with a finding)."""
    dirty_detail: dict[str, object] = field(default_factory=dict)

    @property
    def net_cents(self) -> int:
        return sum(r.signed_amount for r in self.rows)


# --------------------------------------------------------------------------- volumes


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small monthly means used here (rides per client)."""
    if mean <= 0:
        return 0
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _monthly_volume(
    rng: random.Random, trajectory: Trajectory, month: Month, scenario: Scenario
) -> int:
    """Units delivered in one care month, from the trajectory's intensity and days in care."""
    product = trajectory.product
    days = months.overlap_days(month, trajectory.begin, trajectory.end)
    if days == 0:
        return 0
    kind = product.volume_kind
    if kind == "etmaal":
        return days
    if kind == "huur":
        return 1
    if kind == "euro":
        return round(trajectory.intensity) if month == months.month_of(trajectory.begin) else 0
    expected = trajectory.intensity * days / months.days_in(month)
    expected *= SEASON_CARE.get(months.calendar_month(month), 1.0)
    breuk = scenario.trendbreuk
    if breuk and month >= breuk.vanaf and product.perceel == breuk.perceel:
        expected *= breuk.volume_factor
    if kind == "stuks":
        return poisson(rng, expected)
    expected *= rng.uniform(0.85, 1.15)
    if product.eenheid == "01":  # minutes, declared in blocks of five
        return round(expected * 12) * 5
    return round(expected)


def _care_months(trajectory: Trajectory, window: range) -> range:
    """The trajectory's months of care that fall within the window."""
    first = max(months.month_of(trajectory.begin), window.start)
    last = min(months.month_of(trajectory.end), window.stop - 1)
    return range(first, last + 1)


# --------------------------------------------------------------------------- dates


def submission_dates(seed: int, care_months: range) -> dict[tuple[str, Month], date]:
    """The day each provider sends its declarations in each month (never in a weekend)."""
    dates: dict[tuple[str, Month], date] = {}
    last = care_months.stop - 1 + SUBMISSION_MONTHS_AFTER
    for provider in PROVIDERS:
        rng = random.Random(f"{seed}/dagtekening/{provider.agb}")
        for month in range(care_months.start, last + 1):
            day = months.day_in(month, provider.declaration_day + rng.randint(-2, 2))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            dates[provider.agb, month] = day
    return dates


class LagDrawer:
    """Decides per provider, care month and client how many months late lines arrive."""

    def __init__(self, seed: int, scenario: Scenario) -> None:
        self._seed = seed
        self._late = scenario.late
        self._rngs = {p.agb: random.Random(f"{seed}/lag/{p.agb}") for p in PROVIDERS}
        self._cache: dict[tuple[str, Month, str], int] = {}
        self._late_rng = random.Random(f"{seed}/laat")
        self._late_cache: dict[Month, int] = {}

    def lag(self, agb: str, month: Month, bsn: str) -> int:
        late = self._late
        if late and agb == late.agb and month >= late.vanaf:
            if month not in self._late_cache:
                self._late_cache[month] = self._late_rng.choice(late.lags)
            return self._late_cache[month]
        key = (agb, month, bsn)
        if key not in self._cache:
            self._cache[key] = self._rngs[agb].choices(LAGS, cum_weights=LAG_CUMULATIVE)[0]
        return self._cache[key]


# --------------------------------------------------------------------------- lines


class RowFactory:
    """Turns trajectories into debit rows and draws the later credit corrections."""

    def __init__(self, seed: int, scenario: Scenario, window: range) -> None:
        self.seed = seed
        self.scenario = scenario
        self.window = window
        self.lags = LagDrawer(seed, scenario)
        self._counters: dict[str, int] = defaultdict(int)
        self._correction_rngs = {
            p.agb: random.Random(f"{seed}/correctie/{p.agb}") for p in PROVIDERS
        }

    def _referentie(self, agb: str, month: Month) -> str:
        self._counters[agb] += 1
        return f"{agb[-4:]}-{months.label(month).replace('-', '')}-{self._counters[agb]:06d}"

    def rows_for(self, trajectories: Iterable[Trajectory]) -> Iterator[Row]:
        volume_rngs: dict[str, random.Random] = {}
        for trajectory in trajectories:
            key = trajectory.stream.key
            if key not in volume_rngs:
                volume_rngs[key] = random.Random(f"{self.seed}/volume/{key}")
            for month in _care_months(trajectory, self.window):
                volume = _monthly_volume(volume_rngs[key], trajectory, month, self.scenario)
                if volume > 0:
                    debit = self._debit(trajectory, month, volume)
                    yield debit
                    yield from self._maybe_correct(debit, trajectory)

    def _debit(self, trajectory: Trajectory, month: Month, volume: int) -> Row:
        agb = trajectory.provider.agb
        product = trajectory.product
        lag = self.lags.lag(agb, month, trajectory.client.bsn)
        return Row(
            bsn=trajectory.client.bsn,
            agb=agb,
            wet=product.wet,
            perceel=product.perceel,
            toewijzingnummer=trajectory.toewijzingnummer,
            referentie=self._referentie(agb, month),
            vorig_referentie=None,
            categorie=product.categorie,
            productcode=product.code,
            eenheid=product.eenheid,
            begin=max(trajectory.begin, months.first_day(month)),
            end=min(trajectory.end, months.last_day(month)),
            volume=volume,
            tarief=tariff_cents(product, months.year_of(month)),
            debet_credit="D",
            care_month=month,
            submit_month=month + lag,
        )

    def _maybe_correct(self, debit: Row, trajectory: Trajectory) -> Iterator[Row]:
        """Credit a line later with the same reference; usually re-declare it corrected.

        The credit repeats the debit's ReferentieNummer; the corrected debit gets a
        new one and points back through VorigReferentieNummer, as the standard intends.
        """
        rng = self._correction_rngs[debit.agb]
        if rng.random() >= CORRECTION_SHARE:
            return
        submit_month = debit.submit_month + rng.choice((1, 1, 2, 3))
        yield replace(debit, debet_credit="C", submit_month=submit_month)
        if rng.random() >= REPLACED_SHARE or trajectory.product.volume_kind == "huur":
            return
        factor = rng.uniform(0.5, 0.95) if rng.random() < 0.75 else rng.uniform(1.05, 1.3)
        volume = max(round(debit.volume * factor), 1)
        if trajectory.product.volume_kind == "etmaal":
            volume = min(volume, (debit.end - debit.begin).days + 1)
        if trajectory.product.eenheid == "01":
            volume = max(round(volume / 5) * 5, 5)
        yield replace(
            debit,
            referentie=self._referentie(debit.agb, debit.care_month),
            vorig_referentie=debit.referentie,
            volume=volume,
            submit_month=submit_month,
        )


def build_rows(
    seed: int, scenario: Scenario, trajectories: list[Trajectory], window: range
) -> list[Row]:
    """Every declaration row for the care months in `window`, known by the as-of date or not."""
    return list(RowFactory(seed, scenario, window).rows_for(trajectories))


def build_batches(
    rows: Iterable[Row], dates: dict[tuple[str, Month], date], ontvanger: str = DEMO_GEMEENTE
) -> list[Batch]:
    """Bundle rows per provider, care month and submission month, in date order."""
    grouped: dict[tuple[str, Month, Month], list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.agb, row.care_month, row.submit_month].append(row)
    batches = [
        Batch(
            PROVIDER_BY_AGB[agb],
            care_month,
            dates[agb, submit_month],
            batch_rows,
            ontvanger=ontvanger,
        )
        for (agb, care_month, submit_month), batch_rows in grouped.items()
    ]
    batches.sort(key=lambda b: (b.submitted, b.provider.agb, b.care_month))
    return batches


MEMBER_SEQUENCES = 14
"""Sequence numbers a member has per provider and month; member n starts after n × 14."""


def number_batches(batches: list[Batch], nummer: int = 0) -> None:
    """DeclaratieNummer: last four AGB digits, submission yyyymm, sequence (12 characters).

    A provider numbers its declarations to all members of the region in one series:
    member `nummer` takes its own block of sequence numbers.
    """
    sequence: dict[tuple[str, Month], int] = defaultdict(lambda: MEMBER_SEQUENCES * nummer)
    for batch in sorted(
        batches, key=lambda b: (b.submitted, b.provider.agb, b.care_month, b.dirty_kind or "")
    ):
        key = (batch.provider.agb, months.month_of(batch.submitted))
        sequence[key] += 1
        if sequence[key] > MEMBER_SEQUENCES * (nummer + 1):
            raise ValueError(f"meer dan {MEMBER_SEQUENCES} declaraties van {key[0]} in één maand")
        yyyymm = months.label(key[1]).replace("-", "")
        batch.declaratienummer = f"{batch.provider.agb[-4:]}{yyyymm}{sequence[key]:02d}"
