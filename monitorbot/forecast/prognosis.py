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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.config.models import Perceel, PrognoseCorrectie
from monitorbot.core.calendar import Peildatum
from monitorbot.core.states import Niveau
from monitorbot.forecast import nowcast, series
from monitorbot.forecast.models import forecast_series
from monitorbot.forecast.results import (
    AanbiederPrognose,
    BudgetReport,
    Interval,
    MonthFigure,
    MonthlyPrognosis,
    PerceelPrognose,
)
from monitorbot.forecast.spec import ForecastSpec

Z80, Z95 = 1.2816, 1.9600
BANDS = ("mean", "lo80", "hi80", "lo95", "hi95")  # a forecast frame's columns, as in Interval
MIN_PROVIDER_MONTHS = 12


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
    factors: dict[int, float] | None = None,
) -> CompletedSeries | None:
    """Declared and nowcast-completed cost per care month, provider by provider.

    Each provider is completed with its own development pattern, pooled towards
    the perceel's; a provider that went silent is carried at its run-rate
    (nowcast's stop-declaring rule) instead of looking like a cost drop. A month
    still too young for its pattern gets the run-rate of the months before it,
    priced at its own year's index `factors`.
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
    done = nowcast.complete(lags, as_of_ts, patterns, by_group=True, price_level=factors)
    if done.empty:
        return None  # only care months that have not ended yet: nothing to complete
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
    session: Session, gemeente: str, perceel_id: str, as_of: date, tijdzone: str
) -> CompletedSeries | None:
    """Monthly totals (PGB, eigen bijdrage) need no completion: they arrive whole.

    The series ends at the last month delivered: a month whose totals have not
    arrived yet is forecast like the rest of the year, never counted as € 0.
    """
    frame = series.monthly_totals(session, gemeente, known_before=as_of, tijdzone=tijdzone)
    frame = frame[frame["perceel_id"] == perceel_id]
    if frame.empty:
        return None
    values = series.dense_monthly(frame, frame["zorgmaand"].min(), frame["zorgmaand"].max())
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
    in_this_year = result.index.year == year
    frame = result.to_frame()[in_this_year] * factors.get(year, 1.0)
    # Forecast errors of consecutive months move together (a level shift persists),
    # as much as the model's backtest errors did: between the sum of the monthly
    # bands and their quadrature.
    summed = result.summed(in_this_year)
    rest = Interval(*(summed[c] * factors.get(year, 1.0) for c in BANDS))
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
    factors = index_factors(config, gemeente, perceel, [year, as_of.year], year - 5)
    completed = (
        completed_series(session, gemeente, [perceel.id], as_of, factors=factors)
        if perceel.regels
        else totals_series(session, gemeente, perceel.id, as_of, config.deployment.tijdzone)
    )
    if completed is None or not len(completed.verwacht):
        return None
    return completed, _year_prognosis(completed, year, factors, spec, perceel.id)


def build_budget_report(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    year: int,
    peildatum: Peildatum | date,
) -> BudgetReport:
    """Every perceel's prognosis for `year` as known on `as_of`, with domain subtotals.

    Each perceel's months (declared, expected complete, forecast) come from the
    same computation as its row, so a chart or a month table always adds up to
    the row; they are kept in `maanden`. A bare date is a peildatum's grens.
    """
    if not isinstance(peildatum, Peildatum):
        peildatum = Peildatum(peildatum)
    as_of = peildatum.grens
    settings = config.gemeente(gemeente)
    begroting = config.begroting(gemeente, year)
    version = begroting.versie_op(peildatum) if begroting else None
    budgets = dict(version.bedragen) if version else {}
    corrections = begroting.correcties_op(peildatum) if begroting else {}
    rows: dict[str, PerceelPrognose] = {}
    outcomes: dict[str, tuple[CompletedSeries, YearPrognosis]] = {}
    for perceel in config.percelen.percelen:
        row = PerceelPrognose(
            perceel=perceel.id,
            naam=perceel.naam,
            domein=perceel.domein,
            niveau=Niveau.ONDERDEEL if perceel.onderdeel_van else Niveau.PERCEEL,
            begroting_cents=budgets.get(perceel.id),
            correctie=corrections.get(perceel.id),
        )
        found = _perceel_outcome(session, config, spec, gemeente, perceel, year, as_of)
        if found is not None:
            outcomes[perceel.id] = found
            outcome = found[1]
            row.model, row.gedeclareerd_cents = outcome.interval, outcome.declared
            row.verwacht_compleet_cents, row.modelnaam = outcome.realised, outcome.model
        rows[perceel.id] = row
    _roll_up_children(config, rows)
    ordered = list(rows.values())
    top = [r for r in ordered if r.niveau == Niveau.PERCEEL]
    for domein in dict.fromkeys(r.domein for r in top):
        ordered.append(
            _sum_rows(
                f"domein:{domein}",
                f"Subtotaal {domein.capitalize()}",
                domein,
                Niveau.DOMEIN,
                [r for r in top if r.domein == domein],
            )
        )
    ordered.append(_sum_rows("totaal", "Totaal", "", Niveau.TOTAAL, top))
    months = tuple(
        _months(config, perceel.id, outcomes, year, as_of, corrections.get(perceel.id))
        for perceel in config.percelen.percelen
        if any(member in outcomes for member in config.percelen.members(perceel.id))
    )
    return BudgetReport(
        gemeente,
        settings.naam,
        year,
        peildatum,
        version.versie if version else None,
        ordered,
        months,
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
    perceel = (
        config.percelen.get(percelen[0])
        if percelen is not None and len(percelen) == 1
        else config.percelen.percelen[0]
    )
    factors = index_factors(config, gemeente, perceel, [year, as_of.year], year - 5)
    completed = completed_series(
        session, gemeente, percelen, as_of, aanbieders=aanbieders, factors=factors
    )
    if completed is None or not len(completed.verwacht):
        return None
    return _year_prognosis(completed, year, factors, spec, key)


# --------------------------------------------------------------------------- providers


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


def monthly_prognosis(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    perceel_id: str,
    year: int,
    peildatum: Peildatum | date,
) -> MonthlyPrognosis:
    """One perceel's months, as the budget table for that year computes them."""
    report = build_budget_report(session, config, spec, gemeente, year, peildatum)
    found = report.months_of(perceel_id)
    if found is not None:
        return found
    return _months(config, perceel_id, {}, year, report.as_of, None)


def _months(
    config: Config,
    perceel_id: str,
    outcomes: dict[str, tuple[CompletedSeries, YearPrognosis]],
    year: int,
    as_of: date,
    correctie: PrognoseCorrectie | None,
) -> MonthlyPrognosis:
    """Declared, expected-when-complete and forecast per care month of `year`.

    Months before `as_of`'s month are data (declared, completed by the nowcast);
    the later ones are the forecast with its bands. A parent perceel sums its
    sub-percelen as the budget table does (bands of independent parts add in
    quadrature), so its months add up to the same year figure.
    """
    perceel = config.percelen.get(perceel_id)
    parts = [outcomes[m] for m in config.percelen.members(perceel_id) if m in outcomes]
    boundary = pd.Timestamp(as_of.replace(day=1))
    months = []
    for month in pd.date_range(date(year, 1, 1), periods=12, freq="MS"):
        if month < boundary:
            declared = sum(float(c.gedeclareerd.get(month, 0.0)) for c, _ in parts)
            expected = sum(float(c.verwacht.get(month, 0.0)) for c, _ in parts)
            months.append(MonthFigure(month.date(), declared, expected, None))
            continue
        bands = [
            Interval(*(float(o.forecast.at[month, column]) for column in BANDS))
            for _, o in parts
            if month in o.forecast.index
        ]
        months.append(MonthFigure(month.date(), None, None, _total(bands)))
    modelnaam = parts[0][1].model if len(parts) == 1 else ""
    if len(parts) > 1:
        modelnaam = "som van onderdelen"
    return MonthlyPrognosis(
        perceel.id,
        perceel.naam,
        year,
        as_of,
        tuple(months),
        _total([o.interval for _, o in parts]),
        modelnaam,
        correctie,
    )


def _total(parts: list[Interval]) -> Interval | None:
    total = None
    for part in parts:
        total = part if total is None else total + part
    return total
