"""The year-end prognosis per perceel against the begroting, as known on a given day.

For year Y as known on `as_of` (data with a declaration date before it):
prognose = completed realisation of the care months of Y before `as_of`'s month
(as declared + what the nowcast still expects) + the forecast for the rest of Y.
Forecast models run on index-corrected amounts and are re-indexed afterwards, so
a January price rise is not mistaken for growth.

A controller's `prognose_correctie` replaces the model's figure for its perceel;
both are kept so reports can show them side by side. Everything is computed on
unrounded cents; rounding happens only where a person reads the figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.config.models import Perceel, PrognoseCorrectie
from monitorbot.forecast import nowcast, series
from monitorbot.forecast.models import forecast_series
from monitorbot.forecast.spec import ForecastSpec

Z80, Z95 = 1.2816, 1.9600
BANDS = ("mean", "lo80", "hi80", "lo95", "hi95")  # a forecast frame's columns, as in Interval
MIN_PROVIDER_MONTHS = 12


@dataclass(frozen=True)
class Interval:
    """A central figure with 80 % and 95 % bounds, in cents (floats, unrounded)."""

    mid: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float

    @classmethod
    def exact(cls, value: float) -> Interval:
        return cls(value, value, value, value, value)

    def __add__(self, other: Interval) -> Interval:
        """Sum of independent uncertain figures: half-widths add in quadrature."""

        def side(a_mid: float, a: float, b_mid: float, b: float) -> float:
            return math.hypot(a - a_mid, b - b_mid)

        mid = self.mid + other.mid
        return Interval(
            mid,
            mid - side(self.mid, self.lo80, other.mid, other.lo80),
            mid + side(self.mid, self.hi80, other.mid, other.hi80),
            mid - side(self.mid, self.lo95, other.mid, other.lo95),
            mid + side(self.mid, self.hi95, other.mid, other.hi95),
        )


@dataclass
class PerceelPrognose:
    """One row of the budget table."""

    perceel: str
    naam: str
    domein: str
    niveau: str  # perceel, onderdeel (rolls up into its parent), domein, totaal
    begroting_cents: int | None = None
    gedeclareerd_cents: float = 0.0
    verwacht_compleet_cents: float = 0.0
    model: Interval | None = None
    correctie: PrognoseCorrectie | None = None
    modelnaam: str = ""
    children: list[str] = field(default_factory=list)

    @property
    def prognose_cents(self) -> float | None:
        if self.correctie is not None:
            return float(self.correctie.prognose)
        return self.model.mid if self.model else None

    @property
    def bron(self) -> str:
        return "correctie" if self.correctie is not None else "model"

    @property
    def restant_cents(self) -> float | None:
        prognose = self.prognose_cents
        if self.begroting_cents is None or prognose is None:
            return None
        return self.begroting_cents - prognose

    @property
    def v_n(self) -> str:
        restant = self.restant_cents
        if restant is None or round(restant) == 0:
            return ""
        return "V" if restant > 0 else "N"

    @property
    def afwijking(self) -> float | None:
        """restant / begroting, as the council tables define it; None without a budget.

        For an income row (negative budget) the sign is therefore the opposite of
        V/N: less income than budgeted is N with a positive percentage.
        """
        restant = self.restant_cents
        if restant is None or not self.begroting_cents:
            return None
        return restant / self.begroting_cents

    @property
    def has_content(self) -> bool:
        return (
            self.begroting_cents is not None
            or self.prognose_cents is not None
            or self.gedeclareerd_cents != 0
        )


@dataclass
class BudgetReport:
    gemeente: str
    gemeente_naam: str
    jaar: int
    as_of: date
    versie: str | None
    rows: list[PerceelPrognose]

    @property
    def body(self) -> list[PerceelPrognose]:
        return [r for r in self.rows if r.niveau in {"perceel", "onderdeel"} and r.has_content]

    @property
    def totals(self) -> list[PerceelPrognose]:
        return [r for r in self.rows if r.niveau in {"domein", "totaal"} and r.has_content]


# --------------------------------------------------------------------------- indexation


def index_factors(
    config: Config, gemeente: str, perceel: Perceel, years: Iterable[int], base_year: int
) -> dict[int, float]:
    """Cumulative price level per year relative to `base_year` (1.0), per perceel.

    Known years use the actual indexation (`werkelijk`), the others the budgeted
    one; a year without any configured indexation counts as 0 %.
    """
    settings = config.gemeente(gemeente)
    factors = {base_year: 1.0}
    level = 1.0
    for year in range(base_year + 1, max(years, default=base_year) + 1):
        entry = settings.indexatie_voor(year, perceel.id, perceel.onderdeel_van)
        pct = (
            0.0
            if entry is None
            else (entry.werkelijk if entry.werkelijk is not None else entry.begroot)
        )
        level *= 1 + pct / 100
        factors[year] = level
    return factors


def _deflator(index: pd.DatetimeIndex, factors: dict[int, float]) -> np.ndarray:
    return np.array([factors.get(ts.year, 1.0) for ts in index])


# --------------------------------------------------------------------------- completion


@dataclass
class CompletedSeries:
    """A perceel's monthly cost up to the month before `as_of`: as declared and completed."""

    gedeclareerd: pd.Series
    verwacht: pd.Series
    se: pd.Series
    achterstand: list[str]


def completed_series(
    session: Session,
    gemeente: str,
    perceel_ids: list[str] | None,
    as_of: date,
    *,
    aanbieders: list[str] | None = None,
) -> CompletedSeries | None:
    """Declared and nowcast-completed cost per care month, provider by provider.

    Each provider is completed with its own development pattern, pooled towards
    the perceel's; a provider that went silent is carried at its run-rate
    (nowcast's stop-declaring rule) instead of looking like a cost drop.
    """
    lags = series.declaration_lags(
        session,
        gemeente,
        group="aanbieder_agb",
        known_before=as_of,
        percelen=perceel_ids,
        aanbieders=aanbieders,
    )
    if lags.empty:
        return None
    as_of_ts = pd.Timestamp(as_of.replace(day=1))
    patterns = nowcast.estimate_group_patterns(lags, as_of_ts, min_months=MIN_PROVIDER_MONTHS)
    done = nowcast.complete(lags, as_of_ts, patterns, by_group=True)
    per_month = done.groupby("zorgmaand").agg(
        gedeclareerd=("gedeclareerd", "sum"),
        verwacht=("verwacht_compleet", "sum"),
        var=("se", lambda s: float(np.sum(np.square(s)))),
    )
    index = pd.date_range(per_month.index.min(), as_of_ts - pd.offsets.MonthBegin(1), freq="MS")
    per_month = per_month.reindex(index, fill_value=0.0)
    late = sorted(set(done.loc[done["achterstand"], nowcast.GROUP]))
    return CompletedSeries(
        per_month["gedeclareerd"], per_month["verwacht"], np.sqrt(per_month["var"]), late
    )


def totals_series(
    session: Session, gemeente: str, perceel_id: str, as_of: date
) -> CompletedSeries | None:
    """Monthly totals (PGB, eigen bijdrage) need no completion: they arrive whole."""
    frame = series.monthly_totals(session, gemeente, known_before=as_of.replace(day=1))
    frame = frame[frame["perceel_id"] == perceel_id]
    if frame.empty:
        return None
    end = pd.Timestamp(as_of.replace(day=1)) - pd.offsets.MonthBegin(1)
    values = series.dense_monthly(frame, frame["zorgmaand"].min(), end)
    zero = pd.Series(0.0, index=values.index)
    return CompletedSeries(values, values, zero, [])


# --------------------------------------------------------------------------- prognosis


@dataclass(frozen=True)
class YearPrognosis:
    """A series' prognosis for one year and the month-by-month path to it."""

    interval: Interval
    declared: float
    realised: float
    model: str
    monthly: pd.Series  # completed months of the year, then the forecast means (cents)
    # The year's months after the data, with their bands: mean, lo80, hi80, lo95, hi95.
    forecast: pd.DataFrame = field(default_factory=pd.DataFrame)


def _year_prognosis(
    completed: CompletedSeries, year: int, factors: dict[int, float], spec: ForecastSpec, key: str
) -> YearPrognosis:
    """Completed realisation of the year so far plus the forecast for its other months."""
    history = completed.verwacht
    in_year = history.index.year == year
    declared = float(completed.gedeclareerd[in_year].sum())
    realised = float(history[in_year].sum())
    realised_se = float(np.sqrt(np.square(completed.se[in_year]).sum()))
    last = history.index[-1]
    horizon = (year - last.year) * 12 + (12 - last.month)
    realised_part = Interval(
        realised,
        realised - Z80 * realised_se,
        realised + Z80 * realised_se,
        realised - Z95 * realised_se,
        realised + Z95 * realised_se,
    )
    if horizon <= 0:
        return YearPrognosis(realised_part, declared, realised, "gerealiseerd", history[in_year])
    deflate = _deflator(history.index, factors)
    real = history / deflate
    result = forecast_series(
        real, horizon, spec=spec.for_series(key), exog_uncertainty=completed.se / deflate
    )
    frame = result.to_frame()
    frame = frame[frame.index.year == year] * factors.get(year, 1.0)
    # Forecast errors of consecutive months move together (a level shift persists),
    # so the year's band is the sum of the monthly bands, not their quadrature.
    rest = Interval(*(float(frame[c].sum()) for c in BANDS))
    path = pd.concat([history[in_year], frame["mean"]])
    return YearPrognosis(realised_part + rest, declared, realised, result.model, path, frame)


def _perceel_outcome(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    perceel: Perceel,
    year: int,
    as_of: date,
) -> tuple[CompletedSeries, YearPrognosis] | None:
    """A perceel's own months (declarations completed, or monthly totals) and its prognosis.

    None when the perceel has no data of its own (e.g. a parent that only sums its
    sub-percelen).
    """
    completed = (
        completed_series(session, gemeente, [perceel.id], as_of)
        if perceel.regels
        else totals_series(session, gemeente, perceel.id, as_of)
    )
    if completed is None or not len(completed.verwacht):
        return None
    factors = index_factors(config, gemeente, perceel, [year], year - 5)
    return completed, _year_prognosis(completed, year, factors, spec, perceel.id)


def build_budget_report(
    session: Session, config: Config, spec: ForecastSpec, gemeente: str, year: int, as_of: date
) -> BudgetReport:
    """Every perceel's prognosis for `year` as known on `as_of`, with domain subtotals."""
    settings = config.gemeente(gemeente)
    begroting = config.begroting(gemeente, year)
    budgets = dict(begroting.bedragen) if begroting else {}
    corrections = {c.perceel: c for c in begroting.prognose_correcties} if begroting else {}
    rows: dict[str, PerceelPrognose] = {}
    for perceel in config.percelen.percelen:
        row = PerceelPrognose(
            perceel=perceel.id,
            naam=perceel.naam,
            domein=perceel.domein,
            niveau="onderdeel" if perceel.onderdeel_van else "perceel",
            begroting_cents=budgets.get(perceel.id),
            correctie=corrections.get(perceel.id),
        )
        found = _perceel_outcome(session, config, spec, gemeente, perceel, year, as_of)
        if found is not None:
            outcome = found[1]
            row.model, row.gedeclareerd_cents = outcome.interval, outcome.declared
            row.verwacht_compleet_cents, row.modelnaam = outcome.realised, outcome.model
        rows[perceel.id] = row
    _roll_up_children(config, rows)
    ordered = list(rows.values())
    top = [r for r in ordered if r.niveau == "perceel"]
    for domein in dict.fromkeys(r.domein for r in top):
        ordered.append(
            _sum_rows(
                f"domein:{domein}",
                f"Subtotaal {domein.capitalize()}",
                domein,
                "domein",
                [r for r in top if r.domein == domein],
            )
        )
    ordered.append(_sum_rows("totaal", "Totaal", "", "totaal", top))
    return BudgetReport(
        gemeente, settings.naam, year, as_of, begroting.versie if begroting else None, ordered
    )


def _roll_up_children(config: Config, rows: dict[str, PerceelPrognose]) -> None:
    """A parent's figures are its own (if any) plus its children's model figures."""
    for perceel in config.percelen.percelen:
        if perceel.onderdeel_van is None:
            continue
        parent, child = rows[perceel.onderdeel_van], rows[perceel.id]
        parent.children.append(child.perceel)
        parent.gedeclareerd_cents += child.gedeclareerd_cents
        parent.verwacht_compleet_cents += child.verwacht_compleet_cents
        child_figure = _figure(child)
        if child_figure is not None:
            parent.model = child_figure if parent.model is None else parent.model + child_figure
            parent.modelnaam = "som van onderdelen"


def _figure(row: PerceelPrognose) -> Interval | None:
    """The figure a row contributes upwards: a correction replaces its model."""
    if row.correctie is not None:
        return Interval.exact(float(row.correctie.prognose))
    return row.model


def _sum_rows(
    key: str, naam: str, domein: str, niveau: str, rows: list[PerceelPrognose]
) -> PerceelPrognose:
    total = PerceelPrognose(perceel=key, naam=naam, domein=domein, niveau=niveau)
    budgets = [r.begroting_cents for r in rows if r.begroting_cents is not None]
    total.begroting_cents = sum(budgets) if budgets else None
    for row in rows:
        total.gedeclareerd_cents += row.gedeclareerd_cents
        total.verwacht_compleet_cents += row.verwacht_compleet_cents
        figure = _figure(row)
        if figure is not None:
            total.model = figure if total.model is None else total.model + figure
    return total


def slice_prognosis(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    year: int,
    as_of: date,
    *,
    key: str,
    percelen: list[str] | None = None,
    aanbieders: list[str] | None = None,
) -> YearPrognosis | None:
    """The prognosis of any slice of the declarations: a provider, a perceel × provider.

    Completed provider by provider like a perceel, then forecast under the spec's
    `key` (e.g. ``aanbieder:AGB``). The index follows the slice's perceel; a
    provider's care spans percelen, so without exactly one perceel it follows the
    first perceel's default. None when the slice has no declarations yet.
    """
    completed = completed_series(session, gemeente, percelen, as_of, aanbieders=aanbieders)
    if completed is None or not len(completed.verwacht):
        return None
    perceel = (
        config.percelen.get(percelen[0])
        if percelen is not None and len(percelen) == 1
        else config.percelen.percelen[0]
    )
    factors = index_factors(config, gemeente, perceel, [year], year - 5)
    return _year_prognosis(completed, year, factors, spec, key)


# --------------------------------------------------------------------------- providers


@dataclass
class AanbiederPrognose:
    """A provider's year against its budget indication, and when it is expected to cross."""

    agb: str
    naam: str
    budgetindicatie_cents: int
    gedeclareerd_cents: float
    model: Interval | None
    modelnaam: str
    overschrijding_maand: date | None  # first month the cumulative path exceeds the indication

    @property
    def restant_cents(self) -> float | None:
        return None if self.model is None else self.budgetindicatie_cents - self.model.mid

    @property
    def afwijking(self) -> float | None:
        restant = self.restant_cents
        return None if restant is None else restant / self.budgetindicatie_cents


def provider_prognoses(
    session: Session, config: Config, spec: ForecastSpec, gemeente: str, year: int, as_of: date
) -> list[AanbiederPrognose]:
    """Every provider with a budget indication for `year`: prognosis, interval, crossing month."""
    settings = config.gemeente(gemeente)
    result = []
    for indicatie in settings.budgetindicaties:
        if indicatie.jaar != year:
            continue
        row = AanbiederPrognose(
            indicatie.aanbieder,
            settings.aanbieder_naam(indicatie.aanbieder),
            indicatie.bedrag,
            0.0,
            None,
            "",
            None,
        )
        outcome = slice_prognosis(
            session,
            config,
            spec,
            gemeente,
            year,
            as_of,
            key=f"aanbieder:{row.agb}",
            aanbieders=[indicatie.aanbieder],
        )
        if outcome is not None:
            row.gedeclareerd_cents, row.model = outcome.declared, outcome.interval
            row.modelnaam = outcome.model
            crossing = outcome.monthly.cumsum() > indicatie.bedrag
            if crossing.any():
                row.overschrijding_maand = crossing.idxmax().date()
        result.append(row)
    return result


# --------------------------------------------------------------------------- months


@dataclass(frozen=True)
class MonthFigure:
    """One care month: as declared and as expected when complete, or else the forecast."""

    maand: date
    gedeclareerd_cents: float | None  # None for months after the data
    verwacht_compleet_cents: float | None
    prognose: Interval | None  # only for months after the data


@dataclass(frozen=True)
class MonthlyPrognosis:
    """A perceel's year month by month: the path behind its line in the budget table."""

    perceel: str
    naam: str
    jaar: int
    as_of: date
    maanden: tuple[MonthFigure, ...]
    model: Interval | None  # the model's year figure, as the budget table computes it
    modelnaam: str
    correctie: PrognoseCorrectie | None  # replaces `model` in the budget table


def monthly_prognosis(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    perceel_id: str,
    year: int,
    as_of: date,
) -> MonthlyPrognosis:
    """Declared, expected-when-complete and forecast per care month of `year`.

    Months before `as_of`'s month are data (declared, completed by the nowcast);
    the later ones are the forecast with its bands. A parent perceel sums its
    sub-percelen as the budget table does (bands of independent parts add in
    quadrature), so its months add up to the same year figure.
    """
    perceel = config.percelen.get(perceel_id)
    outcomes = []
    for member in config.percelen.members(perceel.id):
        found = _perceel_outcome(
            session, config, spec, gemeente, config.percelen.get(member), year, as_of
        )
        if found is not None:
            outcomes.append(found)
    boundary = pd.Timestamp(as_of.replace(day=1))
    months = []
    for month in pd.date_range(date(year, 1, 1), periods=12, freq="MS"):
        if month < boundary:
            declared = sum(float(c.gedeclareerd.get(month, 0.0)) for c, _ in outcomes)
            expected = sum(float(c.verwacht.get(month, 0.0)) for c, _ in outcomes)
            months.append(MonthFigure(month.date(), declared, expected, None))
            continue
        bands = [
            Interval(*(float(o.forecast.at[month, column]) for column in BANDS))
            for _, o in outcomes
            if month in o.forecast.index
        ]
        months.append(MonthFigure(month.date(), None, None, _total(bands)))
    begroting = config.begroting(gemeente, year)
    corrections = {c.perceel: c for c in begroting.prognose_correcties} if begroting else {}
    modelnaam = outcomes[0][1].model if len(outcomes) == 1 else ""
    if len(outcomes) > 1:
        modelnaam = "som van onderdelen"
    return MonthlyPrognosis(
        perceel.id,
        perceel.naam,
        year,
        as_of,
        tuple(months),
        _total([o.interval for _, o in outcomes]),
        modelnaam,
        corrections.get(perceel.id),
    )


def _total(parts: list[Interval]) -> Interval | None:
    total = None
    for part in parts:
        total = part if total is None else total + part
    return total
