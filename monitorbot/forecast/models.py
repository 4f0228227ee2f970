"""Forecast one monthly cost series: a few candidate models, chosen per series by backtest.

Candidates (all on statsmodels or closed form):

* ``seasonal_naive``: next January = last January. Hard to beat on stable,
  strongly seasonal care costs, and the natural yardstick.
* ``drift``: random walk with drift (last value + average monthly change).
* ``ets``: statsmodels ``ETSModel`` with additive errors; trend none, additive
  or damped additive; additive seasonality only with >= 24 months. The variant
  is chosen by AICc on the whole history (heuristic initial states, so the
  variants differ only in their smoothing parameters and AICc stays fair).
* ``theta``: statsmodels ``ThetaModel`` (SES with half the linear trend),
  additively deseasonalised with >= 24 months when its ACF test finds
  seasonality.
* ``mean``: mean of the last 12 months; also the fallback.

Selection: rolling-origin backtest over the last ``backtest_origins`` months
(each origin has a year of training data; a 12-14 month series starts at month
7 instead, without seasonal naive). Every origin forecasts up to
the end of the data; the absolute errors are averaged per horizon first and
then over horizons, so two-, five- and eight-month-ahead accuracy count as much
as one-month-ahead (we forecast up to 14 months to year end). The score is
scaled like MASE by the in-sample MAE of the seasonal naive forecast (naive
with < 24 months). Within ``TIE_TOLERANCE`` of the best score the simplest
model wins (seasonal_naive, drift, theta, ets, then mean, whose flat line
and spread-based interval only suit level series): selection noise should not
buy complexity.

Speed (5,000 series per run): ETS and Theta smoothing parameters are estimated
once, on the data before the first origin, and held fixed; each origin's
forecast then comes from the states filtered up to that origin. That is one
extra fit per model instead of one per origin, with no look-ahead in the
parameters. (ETS heuristic initial states are computed from the first two
years; with fewer than 32 months those overlap the first origins, and when the
pre-origin fit is impossible the full-history parameters are used.)
Almost all remaining time is scipy's L-BFGS-B inside the statsmodels fits, and
it calls OpenBLAS, whose worker threads cost milliseconds per call on a busy
machine: a 48-month selection takes ~45 ms with ``OPENBLAS_NUM_THREADS=1`` and
~180-360 ms (p90 ~600 ms) with the default threads on this 2-core machine. Set
the variable before numpy is imported and parallelise over processes instead.

Intervals are normal, ``mean +/- z * sd_h``, so 95 % always contains 80 %:

* ``ets``: statsmodels' analytic forecast variance (additive-error models).
* ``theta``: the SES/ARIMA(0,1,1) variance ``sigma^2 (1 + (h-1) alpha^2)``
  (Hyndman & Billah 2003) with sigma^2 from the in-sample one-step errors.
  statsmodels' own ``prediction_intervals`` refits a SARIMAX for sigma^2 (tens
  of ms per series) and uses ``1 + (h-1)(1 + (alpha-1)^2)``, far wider than the
  textbook variance for small alpha.
* ``seasonal_naive``, ``drift``, ``mean``: the textbook analytic variances
  (Hyndman & Athanasopoulos, FPP3 section 5.5) from the in-sample residuals.
* Backtest check: model variances assume the model is right, and picking the
  model with the smallest backtest errors makes its own variance optimistic
  (on simulated AR + seasonal series the chosen model's 80 % interval covered
  only ~72 %). So the standard deviation is widened by the root mean square of
  the backtest errors standardised by the model's own sd (the larger of the
  chosen model's ratio and the median over all candidates; never narrower,
  at most ``MAX_WIDENING`` times); afterwards coverage is ~75-80 %.
  Empirical quantiles of the backtest errors per horizon were considered and
  rejected: with 8 origins there are 8 one-step errors and a single
  eight-step error, and a 95 % quantile of so few numbers is noise; a single
  pooled ratio uses all of them.
* Sums of months (a year's rest): each band's half-widths add with the
  correlation the chosen model's backtest errors showed between months forecast
  from the same origin (``Forecast.samenhang``): 1 adds them up, 0 in quadrature.

Short series (``SEASON + SHORT_OVERLAP`` to ``SEASONAL_MIN_OBS`` months): no
candidate can learn the season or a year's growth from one year and a few months,
so the chosen model's forecast is averaged with last year's same months times the
growth over the months both years have (up to a year), its interval moved along.
On the demo's first year after the data start (15 months of history as known at
the end of March), the year-end error at month 3 fell from 4,3 % to 2,9 %; with
two years and more, the same blend did worse than the chosen model (its growth
over twelve months lags a change), so it is kept to short series.

Nowcast uncertainty (``exog_uncertainty``): the last months of ``y`` are
estimates (see `monitorbot.forecast.nowcast`), with standard errors. Their
variance is added to the forecast variance: exactly for ``seasonal_naive`` (the
forecast for a month repeats one observed month) and ``mean`` (variance of the
mean of the window); for the level-following models (``drift``, ``ets``,
``theta``) an error in the jump-off level persists at every horizon, and we add
the mean nowcast variance of the open months at every horizon.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults
from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults

from monitorbot.forecast.spec import MODEL_NAMES, ModelName, SeriesSpec

SEASON = 12
SEASONAL_MIN_OBS = 24
SHORT_OVERLAP = 3
"""Months a short series needs to compare with a year earlier before last year's months
are blended in (fewer, and the growth is one or two months still being declared)."""
MIN_TRAIN = 12
SHORT_TRAIN = 6
MIN_ORIGINS = 3
MEAN_WINDOW = 12
ZERO_SHARE_FALLBACK = 0.5
TIE_TOLERANCE = 0.02
MAX_WIDENING = 2.0
Z80 = 1.2815515655446004
Z95 = 1.959963984540054
SIMPLICITY: tuple[ModelName, ...] = ("seasonal_naive", "drift", "theta", "ets", "mean")

SelectedBy = Literal["backtest", "override", "fallback"]
T = TypeVar("T")
OVERRIDE_REASON = "model vastgezet in de voorspelspecificatie"


@dataclass(frozen=True, eq=False)
class Forecast:
    """A forecast with 80 % and 95 % intervals and how its model was chosen.

    ``mase``: backtest score of the chosen model (None without a backtest);
    ``candidates``: the score of every model tried; ``selected_by``: backtest,
    override (model fixed in the spec) or fallback; ``reason``: in Dutch, why
    a fallback or override was used; ``variant``: the ETS variant;
    ``interval_widening``: the factor the backtest applied to the model's own
    interval widths; ``n_warnings``: statsmodels warnings suppressed while
    fitting (a debug aid: many warnings mean fragile fits); ``samenhang``: how
    strongly the backtest errors of the months after one origin moved together
    (0-1; 1 without a backtest), which sets the band of a sum of months.
    """

    model: str
    index: pd.DatetimeIndex
    mean: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray
    mase: float | None
    candidates: dict[str, float]
    selected_by: SelectedBy = "backtest"
    reason: str = ""
    variant: str = ""
    interval_widening: float = 1.0
    n_warnings: int = 0
    samenhang: float = 1.0

    def summed(self, mask: np.ndarray | None = None) -> dict[str, float]:
        """The sum of some months (all, or where `mask`) with its bands, per column of
        `to_frame`: means add; each band's half-widths add as errors with the
        backtest's `samenhang` (correlation) between months: 1 adds them, 0 in
        quadrature."""
        chosen = np.ones(len(self.mean), bool) if mask is None else np.asarray(mask, bool)
        mean = float(self.mean[chosen].sum())
        rho = self.samenhang
        result = {"mean": mean}
        for name in ("lo80", "hi80", "lo95", "hi95"):
            half = np.abs(getattr(self, name)[chosen] - self.mean[chosen])
            width = float(np.sqrt((1 - rho) * np.sum(half**2) + rho * np.sum(half) ** 2))
            result[name] = mean - width if name.startswith("lo") else mean + width
        return result

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "mean": self.mean,
                "lo80": self.lo80,
                "hi80": self.hi80,
                "lo95": self.lo95,
                "hi95": self.hi95,
            },
            index=self.index,
        )


class ModelUnavailable(Exception):
    """A candidate that cannot be fitted to this series (too short, failed fit)."""


@dataclass
class _Warnings:
    """Counts statsmodels warnings instead of letting them reach the log."""

    count: int = 0

    def run(self, action: Callable[[], T]) -> T:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = action()
        self.count += len(caught)
        return result


@dataclass(frozen=True)
class _Prediction:
    mean: np.ndarray
    sd: np.ndarray


@dataclass
class _Candidate:
    """One fitted model: its forecast from the whole history and its backtest forecasts."""

    name: ModelName
    predict: Callable[[int], _Prediction]
    backtest: Callable[[np.ndarray, int], np.ndarray]
    exog_mode: Literal["seasonal", "window", "level"]
    variant: str = ""
    score: float = field(default=np.nan)
    errors: np.ndarray | None = None  # backtest errors (origin x horizon), nan where unobserved


@dataclass(frozen=True)
class _Choice:
    """The candidate to forecast with, and why."""

    candidate: _Candidate
    selected_by: SelectedBy
    reason: str
    widening: float = 1.0
    scores: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- public API


def forecast_series(
    y: pd.Series,
    horizon: int,
    *,
    spec: SeriesSpec | None = None,
    exog_uncertainty: pd.Series | None = None,
) -> Forecast:
    """Forecast ``horizon`` months after the end of ``y`` with the best candidate.

    ``y``: monthly amounts on month-start dates without gaps (missing months
    filled with 0 by the caller), already corrected for indexation. Months in
    ``spec.uitsluiten`` are replaced by linear interpolation before fitting.
    """
    if horizon < 1:
        raise ValueError("horizon must be >= 1")
    spec = spec or SeriesSpec()
    values = _validated_values(y)
    values = _interpolate_excluded(values, y.index, spec.uitsluiten)
    index = pd.date_range(y.index[-1] + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")
    extra_se = _aligned_se(exog_uncertainty, y.index)
    counter = _Warnings()

    fallback_reason = _fallback_reason(values, spec)
    origins = _origins(len(values), spec.backtest_origins)
    allowed: Sequence[ModelName] = [spec.model] if spec.model else spec.kandidaten
    candidates = [] if fallback_reason else _fit_candidates(values, allowed, origins, counter)
    if candidates:
        _score(candidates, values, origins, horizon)
        choice = _choose(candidates, spec, counter)
    else:
        reason = fallback_reason or "geen kandidaat-model kon worden geschat"
        choice = _Choice(_mean_candidate(values), "fallback", reason)
    return _finish(choice, values, index, extra_se, counter)


# --------------------------------------------------------------------------- input


def _validated_values(y: pd.Series) -> np.ndarray:
    if not isinstance(y.index, pd.DatetimeIndex):
        raise TypeError("y needs a DatetimeIndex of month starts")
    if len(y) == 0:
        raise ValueError("y is empty")
    if not (y.index == y.index.normalize()).all() or (y.index.day != 1).any():
        raise ValueError("y's index must hold month starts (first day of the month)")
    months = y.index.year * 12 + y.index.month
    if len(y) > 1 and not (np.diff(months) == 1).all():
        raise ValueError("y must be monthly without gaps; fill missing months with 0")
    values = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError("y contains missing or infinite values")
    return values


def _interpolate_excluded(
    values: np.ndarray, index: pd.DatetimeIndex, excluded: Sequence[str]
) -> np.ndarray:
    """One-off months (e.g. a back-payment) replaced by the line between their neighbours."""
    if not excluded:
        return values
    labels = index.strftime("%Y-%m")
    drop = np.isin(labels, list(excluded))
    if not drop.any():
        return values
    if drop.all():
        raise ValueError("all months of the series are excluded")
    positions = np.arange(len(values))
    cleaned = values.copy()
    cleaned[drop] = np.interp(positions[drop], positions[~drop], values[~drop])
    return cleaned


def _aligned_se(exog_uncertainty: pd.Series | None, index: pd.DatetimeIndex) -> np.ndarray:
    """The nowcast se per month of y (0 for months without one)."""
    if exog_uncertainty is None:
        return np.zeros(len(index))
    se = pd.Series(np.asarray(exog_uncertainty, dtype=float), index=exog_uncertainty.index)
    aligned = se.reindex(index).fillna(0.0).to_numpy()
    if (aligned < 0).any():
        raise ValueError("exog_uncertainty must be standard errors (>= 0)")
    return aligned


def _fallback_reason(values: np.ndarray, spec: SeriesSpec) -> str:
    zero_share = float(np.mean(values == 0))
    if zero_share >= ZERO_SHARE_FALLBACK:
        return f"{zero_share:.0%} van de maanden is 0: gemiddelde van de recente maanden"
    if len(values) < spec.min_historie:
        return (
            f"te korte historie ({len(values)} < {spec.min_historie} maanden): "
            "gemiddelde van de recente maanden"
        )
    if spec.model is None and len(_origins(len(values), spec.backtest_origins)) < MIN_ORIGINS:
        return "te korte historie voor een backtest: gemiddelde van de recente maanden"
    return ""


def _origins(n: int, n_origins: int) -> np.ndarray:
    """Forecast origins t (train on y[:t]): the last `n_origins` months.

    Normally every origin has a year of training data (seasonal naive needs
    it). A series of 12-14 months would then have fewer than MIN_ORIGINS
    origins; it gets origins from month 7 on instead, without seasonal naive.
    """
    first = max(n - n_origins, min(MIN_TRAIN, n - MIN_ORIGINS), SHORT_TRAIN)
    return np.arange(first, n)


# --------------------------------------------------------------------------- candidates


def _fit_candidates(
    values: np.ndarray,
    allowed: Sequence[ModelName],
    origins: np.ndarray,
    counter: _Warnings,
) -> list[_Candidate]:
    builders: dict[ModelName, Callable[[], _Candidate]] = {
        "seasonal_naive": lambda: _seasonal_naive_candidate(values, origins),
        "drift": lambda: _drift_candidate(values),
        "mean": lambda: _mean_candidate(values),
        "ets": lambda: _ets_candidate(values, origins, counter),
        "theta": lambda: _theta_candidate(values, origins, counter),
    }
    fitted = []
    for name in dict.fromkeys(allowed):
        try:
            fitted.append(builders[name]())
        except ModelUnavailable:
            continue
    return fitted


def _seasonal_naive_candidate(values: np.ndarray, origins: np.ndarray) -> _Candidate:
    n = len(values)
    if n < SEASON + 1 or (len(origins) and origins[0] < SEASON):
        raise ModelUnavailable("seasonal naive needs a year before every origin")
    residuals = values[SEASON:] - values[:-SEASON]
    sigma = float(np.sqrt(np.mean(residuals**2)))

    def predict(horizon: int) -> _Prediction:
        steps = np.arange(horizon)
        mean = values[n - SEASON + steps % SEASON]
        return _Prediction(mean, sigma * np.sqrt(steps // SEASON + 1))

    def backtest(origins: np.ndarray, steps: int) -> np.ndarray:
        offsets = np.arange(steps) % SEASON
        return values[origins[:, None] - SEASON + offsets[None, :]]

    return _Candidate("seasonal_naive", predict, backtest, "seasonal")


def _drift_candidate(values: np.ndarray) -> _Candidate:
    n = len(values)
    if n < 3:
        raise ModelUnavailable("drift needs three months")
    slope = (values[-1] - values[0]) / (n - 1)
    residuals = np.diff(values) - slope
    sigma = float(np.sqrt(np.sum(residuals**2) / max(n - 2, 1)))

    def predict(horizon: int) -> _Prediction:
        h = np.arange(1, horizon + 1)
        return _Prediction(values[-1] + h * slope, sigma * np.sqrt(h * (1 + h / (n - 1))))

    def backtest(origins: np.ndarray, steps: int) -> np.ndarray:
        last = values[origins - 1]
        slopes = (last - values[0]) / (origins - 1)
        return last[:, None] + slopes[:, None] * np.arange(1, steps + 1)[None, :]

    return _Candidate("drift", predict, backtest, "level")


def _mean_candidate(values: np.ndarray) -> _Candidate:
    window = values[-MEAN_WINDOW:]
    k = len(window)
    level = float(window.mean())
    spread = float(window.std(ddof=1)) if k > 1 else abs(level)

    def predict(horizon: int) -> _Prediction:
        return _Prediction(np.full(horizon, level), np.full(horizon, spread * np.sqrt(1 + 1 / k)))

    def backtest(origins: np.ndarray, steps: int) -> np.ndarray:
        means = np.array([values[max(t - MEAN_WINDOW, 0) : t].mean() for t in origins])
        return np.repeat(means[:, None], steps, axis=1)

    return _Candidate("mean", predict, backtest, "window")


# --------------------------------------------------------------------------- ETS


@dataclass(frozen=True)
class _EtsVariant:
    trend: str | None
    damped: bool
    seasonal: str | None

    @property
    def label(self) -> str:
        trend = {None: "N", "add": "A"}[self.trend] + ("d" if self.damped else "")
        return f"ETS(A,{trend},{'A' if self.seasonal else 'N'})"

    def model(self, values: np.ndarray) -> ETSModel:
        return ETSModel(
            pd.Series(values),  # a Series: get_prediction fails on bare arrays
            error="add",
            trend=self.trend,
            damped_trend=self.damped,
            seasonal=self.seasonal,
            seasonal_periods=SEASON if self.seasonal else None,
            initialization_method="heuristic",
        )


def _ets_variants(n: int) -> list[_EtsVariant]:
    trends = [(None, False), ("add", False), ("add", True)]
    seasonals: list[str | None] = [None, "add"] if n >= SEASONAL_MIN_OBS else [None]
    return [_EtsVariant(t, d, s) for t, d in trends for s in seasonals]


def _ets_candidate(values: np.ndarray, origins: np.ndarray, counter: _Warnings) -> _Candidate:
    fits = []
    for variant in _ets_variants(len(values)):
        try:
            result = counter.run(lambda v=variant: v.model(values).fit(disp=False))
        except (ValueError, np.linalg.LinAlgError):
            continue
        aicc = float(result.aicc)
        fits.append((aicc if np.isfinite(aicc) else np.inf, len(fits), variant, result))
    if not fits:
        raise ModelUnavailable("no ETS variant could be fitted")
    _, _, variant, result = min(fits, key=lambda item: (item[0], item[1]))
    backtest_states = _ets_backtest_states(values, variant, origins, result, counter)

    def predict(horizon: int) -> _Prediction:
        n = len(values)
        prediction = result.get_prediction(start=n, end=n + horizon - 1)
        variance = np.asarray(prediction.var_pred_mean, dtype=float)
        return _Prediction(
            np.asarray(prediction.predicted_mean, dtype=float), np.sqrt(np.maximum(variance, 0))
        )

    def backtest(origins_: np.ndarray, steps: int) -> np.ndarray:
        return _ets_point_forecasts(backtest_states, origins_, steps)

    return _Candidate("ets", predict, backtest, "level", variant=variant.label)


def _ets_backtest_states(
    values: np.ndarray,
    variant: _EtsVariant,
    origins: np.ndarray,
    full_result: ETSResults,
    counter: _Warnings,
) -> ETSResults:
    """States filtered over the whole history with parameters from before the first origin."""
    if len(origins) == 0:
        return full_result
    try:
        early = counter.run(lambda: variant.model(values[: origins[0]]).fit(disp=False))
        params = early.params
    except (ValueError, np.linalg.LinAlgError):
        params = full_result.params  # too short for this variant: accept the look-ahead
    return counter.run(lambda: variant.model(values).smooth(np.asarray(params)))


def _ets_point_forecasts(result: ETSResults, origins: np.ndarray, steps: int) -> np.ndarray:
    """ETS(A,*,*) point forecasts from the filtered states at time origin - 1."""
    last = origins - 1
    level = np.asarray(result.level)[last]
    forecast = np.repeat(level[:, None], steps, axis=1)
    h = np.arange(1, steps + 1)
    if result.has_trend:
        phi = float(result.damping_trend) if result.damped_trend else 1.0
        damped_sum = np.cumsum(phi**h)
        forecast += np.asarray(result.slope)[last][:, None] * damped_sum[None, :]
    if result.has_seasonal:
        season = np.asarray(result.season)
        positions = last[:, None] - SEASON + ((h - 1) % SEASON)[None, :] + 1
        forecast += season[positions]
    return forecast


# --------------------------------------------------------------------------- Theta


@dataclass(frozen=True)
class _ThetaFit:
    """What the Theta forecast needs: SES alpha, seasonal terms by position mod 12, slope."""

    alpha: float
    seasonal: np.ndarray  # length 12 (zeros when not deseasonalised)
    b0: float


def _fit_theta(values: np.ndarray, counter: _Warnings) -> tuple[_ThetaFit, ThetaModelResults]:
    n = len(values)
    model = ThetaModel(
        values,
        period=SEASON,
        deseasonalize=n >= SEASONAL_MIN_OBS,
        use_test=True,
        method="additive",
    )
    try:
        result = counter.run(lambda: model.fit(disp=False))
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise ModelUnavailable(str(exc)) from exc
    params = result.params
    components = result.forecast_components(SEASON)
    seasonal = np.zeros(SEASON)
    seasonal[(n + np.arange(SEASON)) % SEASON] = np.asarray(components["seasonal"], dtype=float)
    return _ThetaFit(float(params["alpha"]), seasonal, float(params["b0"])), result


def _theta_candidate(values: np.ndarray, origins: np.ndarray, counter: _Warnings) -> _Candidate:
    full, result = _fit_theta(values, counter)
    early = full
    if len(origins):
        try:
            early, _ = _fit_theta(values[: origins[0]], counter)
        except ModelUnavailable:
            early = full
    sigma2 = _theta_one_step_variance(values, full)

    def predict(horizon: int) -> _Prediction:
        mean = np.asarray(result.forecast(horizon), dtype=float)
        h = np.arange(1, horizon + 1)
        return _Prediction(mean, np.sqrt(sigma2 * (1 + (h - 1) * full.alpha**2)))

    def backtest(origins_: np.ndarray, steps: int) -> np.ndarray:
        return _theta_point_forecasts(values, early, origins_, steps)

    return _Candidate("theta", predict, backtest, "level")


def _ses_levels(x: np.ndarray, alpha: float) -> np.ndarray:
    """levels[t] = SES level after x[t], started at x[0] (as ThetaModel does)."""
    levels = np.empty_like(x)
    level = x[0]
    for t, value in enumerate(x):
        level = alpha * value + (1 - alpha) * level
        levels[t] = level
    return levels


def _theta_trend_offset(alpha: float, nobs: np.ndarray | int) -> np.ndarray:
    """Theta's trend multiplier at h = 1 beyond ``h - 1``: 1/alpha - (1-alpha)^T / alpha."""
    if alpha <= 0:
        return np.zeros_like(np.asarray(nobs, dtype=float))
    return 1 / alpha - (1 - alpha) ** np.asarray(nobs, dtype=float) / alpha


def _ols_slopes(x: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """Slope of the least-squares line through x[:t] for every origin t (cumulative sums)."""
    t_index = np.arange(len(x), dtype=float)
    cum = {
        "n": np.arange(1, len(x) + 1, dtype=float),
        "t": np.cumsum(t_index),
        "tt": np.cumsum(t_index**2),
        "x": np.cumsum(x),
        "tx": np.cumsum(t_index * x),
    }
    at = {key: value[origins - 1] for key, value in cum.items()}
    denominator = at["n"] * at["tt"] - at["t"] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = (at["n"] * at["tx"] - at["t"] * at["x"]) / denominator
    return np.where(denominator > 0, slopes, 0.0)


def _theta_point_forecasts(
    values: np.ndarray, fit: _ThetaFit, origins: np.ndarray, steps: int
) -> np.ndarray:
    """Theta(2) forecasts from every origin with alpha and seasonal terms held fixed."""
    positions = np.arange(len(values))
    adjusted = values - fit.seasonal[positions % SEASON]
    levels = _ses_levels(adjusted, fit.alpha)
    slopes = _ols_slopes(adjusted, origins)
    h = np.arange(steps, dtype=float)
    trend = (h[None, :] + _theta_trend_offset(fit.alpha, origins)[:, None]) * slopes[:, None]
    season = fit.seasonal[(origins[:, None] + h[None, :].astype(int)) % SEASON]
    return levels[origins - 1][:, None] + 0.5 * trend + season


def _theta_one_step_variance(values: np.ndarray, fit: _ThetaFit) -> float:
    """Mean squared in-sample one-step error of the Theta forecast."""
    origins = np.arange(2, len(values))
    if len(origins) == 0:
        return float(np.var(values))
    one_step = _theta_point_forecasts(values, fit, origins, 1)[:, 0]
    return float(np.mean((values[origins] - one_step) ** 2))


# --------------------------------------------------------------------------- selection


def _mase_scale(values: np.ndarray) -> float:
    """In-sample MAE of the seasonal naive (naive with < 24 months) forecast."""
    tiny = 1e-9 * (1.0 + float(np.mean(np.abs(values))))
    if len(values) >= SEASONAL_MIN_OBS:
        seasonal = float(np.mean(np.abs(values[SEASON:] - values[:-SEASON])))
        if seasonal > tiny:
            return seasonal
    if len(values) > 1:
        naive = float(np.mean(np.abs(np.diff(values))))
        if naive > tiny:
            return naive
    return max(float(np.mean(np.abs(values))), 1.0)


def _score(
    candidates: list[_Candidate], values: np.ndarray, origins: np.ndarray, horizon: int
) -> None:
    """Horizon-weighted MASE of each candidate over the rolling origins."""
    if len(origins) == 0:
        return
    steps = min(horizon, len(values) - int(origins[0]))
    targets = np.arange(steps)[None, :] + origins[:, None]
    observed = targets < len(values)
    actual = np.where(observed, values[np.minimum(targets, len(values) - 1)], np.nan)
    scale = _mase_scale(values)
    for candidate in candidates:
        errors = np.where(observed, actual - candidate.backtest(origins, steps), np.nan)
        candidate.errors = errors
        per_horizon = np.nanmean(np.abs(errors), axis=0)
        candidate.score = float(np.nanmean(per_horizon) / scale)


def _choose(candidates: list[_Candidate], spec: SeriesSpec, counter: _Warnings) -> _Choice:
    if spec.model:
        chosen, selected_by, reason = candidates[0], "override", OVERRIDE_REASON
    else:
        chosen, selected_by, reason = _select(candidates), "backtest", ""
    scores = {c.name: c.score for c in candidates if np.isfinite(c.score)}
    widening = _widening(chosen, candidates, counter)
    return _Choice(chosen, selected_by, reason, widening, scores)


def _select(candidates: list[_Candidate]) -> _Candidate:
    scored = [c for c in candidates if np.isfinite(c.score)]
    if not scored:
        return candidates[0]
    best = min(c.score for c in scored)
    near_best = [c for c in scored if c.score <= best * (1 + TIE_TOLERANCE) + 1e-12]
    return min(near_best, key=lambda c: SIMPLICITY.index(c.name))


# --------------------------------------------------------------------------- intervals


def _exog_variance(mode: str, extra_se: np.ndarray, horizon: int) -> np.ndarray:
    """Forecast variance added by the nowcast uncertainty of the last observed months."""
    variance = extra_se**2
    if not variance.any():
        return np.zeros(horizon)
    n = len(variance)
    if mode == "seasonal":
        source = n - SEASON + np.arange(horizon) % SEASON
        return np.where(source >= 0, variance[np.maximum(source, 0)], 0.0)
    if mode == "window":
        window = variance[-MEAN_WINDOW:]
        return np.full(horizon, window.sum() / len(window) ** 2)
    recent = variance[-MEAN_WINDOW:]
    open_months = recent[recent > 0]
    return np.full(horizon, open_months.mean() if len(open_months) else 0.0)


def _miscalibration(candidate: _Candidate, counter: _Warnings) -> float:
    """RMS of the backtest errors standardised by the model's own sd at each horizon.

    1 means the model's intervals matched its backtest errors; 1.5 means the
    errors were 1.5 times larger than the model claims.
    """
    errors = candidate.errors
    if errors is None or not np.isfinite(errors).any():
        return np.nan
    sd = counter.run(lambda: candidate.predict(errors.shape[1])).sd
    with np.errstate(divide="ignore", invalid="ignore"):
        standardised = errors / sd[None, :]
    finite = np.isfinite(standardised)
    return float(np.sqrt(np.mean(standardised[finite] ** 2))) if finite.any() else np.nan


def _error_correlation(candidate: _Candidate, counter: _Warnings) -> float:
    """Mean correlation between the standardised backtest errors of different months
    forecast from the same origin, in [0, 1]; 1 (move together fully) when unknown.

    A year's band is a sum of months: added as if fully correlated it was too wide
    (the demo's 80 % year bands held 93 % of the outcomes), in quadrature too narrow
    wherever a level shift persists. The backtest says how much they move together.
    The chosen model's own errors: it is chosen for small errors, not for errors that
    cancel, so unlike the widening there is no winner's curse to correct. Measured on
    the demo's backtest (80 % year bands, months 1-6 / 7-12): own 80 % / 84 %;
    shrunk halfway to the candidates' median 85 % / 84 %; the larger of the two 86 %.
    """
    errors = candidate.errors
    if errors is None or errors.shape[1] < 2:
        return 1.0
    sd = counter.run(lambda: candidate.predict(errors.shape[1])).sd
    with np.errstate(divide="ignore", invalid="ignore"):
        z = errors / sd[None, :]
    z = np.where(np.isfinite(z), z, np.nan)
    counts = np.sum(np.isfinite(z), axis=1)
    sums, squares = np.nansum(z, axis=1), np.nansum(z**2, axis=1)
    pairs = float(np.sum(counts * (counts - 1)))
    if pairs == 0 or np.sum(squares) <= 0:
        return 1.0
    covariance = float(np.sum(sums**2 - squares)) / pairs
    variance = float(np.sum(squares)) / float(np.sum(counts))
    return float(np.clip(covariance / variance, 0.0, 1.0))


def _widening(chosen: _Candidate, candidates: list[_Candidate], counter: _Warnings) -> float:
    """How much to widen the chosen model's intervals, from 1 up to ``MAX_WIDENING``.

    The larger of the chosen model's own miscalibration and the median over
    all candidates: the chosen model was picked because its backtest errors
    were small (winner's curse), so its own ratio alone is optimistic. Never
    below 1: a lucky backtest over a few origins is no reason to trust a
    model's intervals more than its own variance.
    """
    ratios = [_miscalibration(c, counter) for c in candidates]
    own = ratios[candidates.index(chosen)]
    finite = [r for r in ratios if np.isfinite(r)]
    pooled = float(np.median(finite)) if finite else np.nan
    widest = max((r for r in (own, pooled) if np.isfinite(r)), default=1.0)
    return min(max(widest, 1.0), MAX_WIDENING)


def _last_year_grown(values: np.ndarray, horizon: int) -> np.ndarray | None:
    """For a short series: last year's same months times the growth over the months both
    years have; None for a series long enough for a seasonal model (or too short)."""
    overlap = min(len(values) - SEASON, SEASON)
    if len(values) >= SEASONAL_MIN_OBS or overlap < SHORT_OVERLAP or horizon > SEASON:
        return None
    before, now = values[-overlap - SEASON : -SEASON].sum(), values[-overlap:].sum()
    if before <= 0 or now <= 0:
        return None
    start = len(values) - SEASON
    return values[start : start + horizon] * (now / before)


def _finish(
    choice: _Choice,
    values: np.ndarray,
    index: pd.DatetimeIndex,
    extra_se: np.ndarray,
    counter: _Warnings,
) -> Forecast:
    candidate = choice.candidate
    prediction = counter.run(lambda: candidate.predict(len(index)))
    model_sd = prediction.sd * choice.widening
    sd = np.sqrt(model_sd**2 + _exog_variance(candidate.exog_mode, extra_se, len(index)))
    mean, name = prediction.mean, candidate.name
    grown = _last_year_grown(values, len(index)) if choice.selected_by == "backtest" else None
    if grown is not None:
        mean, name = (mean + grown) / 2, f"{name} + vorig jaar × groei"
    own_score = choice.scores.get(candidate.name)
    return Forecast(
        model=name,
        index=index,
        mean=mean,
        lo80=mean - Z80 * sd,
        hi80=mean + Z80 * sd,
        lo95=mean - Z95 * sd,
        hi95=mean + Z95 * sd,
        mase=own_score,
        candidates=choice.scores,
        selected_by=choice.selected_by,
        reason=choice.reason,
        variant=candidate.variant,
        interval_widening=choice.widening,
        n_warnings=counter.count,
        samenhang=_error_correlation(candidate, counter),
    )


__all__ = ["MODEL_NAMES", "Forecast", "ModelUnavailable", "forecast_series"]
