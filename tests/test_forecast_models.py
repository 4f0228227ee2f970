"""Forecast models: exact answers, selection, fallbacks, intervals, and the YAML spec."""

from __future__ import annotations

import dataclasses
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitorbot.config import ConfigError
from monitorbot.forecast.models import (
    _ets_point_forecasts,
    _ets_variants,
    _fit_theta,
    _theta_point_forecasts,
    _Warnings,
    forecast_series,
)
from monitorbot.forecast.spec import (
    MODEL_NAMES,
    ForecastSpec,
    SeriesSpec,
    load_forecast_spec,
)

REPO = Path(__file__).resolve().parents[1]
START = pd.Timestamp("2021-01-01")
PATTERN = np.array([5, 3, 8, 1, 9, 2, 7, 4, 6, 10, 11, 0], dtype=float) * 30 + 1000


def monthly(values: np.ndarray, start: pd.Timestamp = START) -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"))


def ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    noise = rng.normal(0, sd, n)
    out = np.zeros(n)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + noise[t]
    return out


def assert_nested(forecast) -> None:
    frame = forecast.to_frame()
    assert list(frame.columns) == ["mean", "lo80", "hi80", "lo95", "hi95"]
    assert (frame["lo95"] <= frame["lo80"]).all()
    assert (frame["lo80"] <= frame["mean"]).all()
    assert (frame["mean"] <= frame["hi80"]).all()
    assert (frame["hi80"] <= frame["hi95"]).all()


# --------------------------------------------------------------------------- exact answers


def test_seasonal_naive_reproduces_a_pure_seasonal_series():
    y = monthly(np.tile(PATTERN, 4))
    forecast = forecast_series(y, 14)
    assert forecast.model == "seasonal_naive"
    assert forecast.candidates["seasonal_naive"] == 0.0
    np.testing.assert_allclose(forecast.mean, np.concatenate([PATTERN, PATTERN[:2]]))
    assert forecast.index[0] == pd.Timestamp("2025-01-01")
    assert len(forecast.index) == 14


def test_drift_extrapolates_a_straight_line():
    y = monthly(200.0 + 7.5 * np.arange(36))
    forecast = forecast_series(y, 6, spec=SeriesSpec(model="drift"))
    np.testing.assert_allclose(forecast.mean, 200.0 + 7.5 * np.arange(36, 42))
    assert forecast.selected_by == "override"
    chosen = forecast_series(y, 6)
    assert chosen.model in {"drift", "ets"}
    np.testing.assert_allclose(chosen.mean, 200.0 + 7.5 * np.arange(36, 42), rtol=1e-6)


def test_fast_backtest_forecasts_match_statsmodels():
    """The backtest shortcut (fixed parameters, filtered states) reproduces the real models."""
    rng = np.random.default_rng(5)
    values = np.tile(PATTERN, 4) + 4.0 * np.arange(48) + rng.normal(0, 20, 48)
    for variant in _ets_variants(48):
        result = variant.model(values).fit(disp=False)
        np.testing.assert_allclose(
            _ets_point_forecasts(result, np.array([48]), 14)[0],
            np.asarray(result.forecast(14)),
            rtol=1e-9,
            err_msg=variant.label,
        )
        shorter = variant.model(values[:40]).smooth(result.params)
        np.testing.assert_allclose(
            _ets_point_forecasts(shorter, np.array([40]), 8)[0],
            np.asarray(shorter.forecast(8)),
            rtol=1e-9,
            err_msg=variant.label,
        )
    theta_fit, theta_result = _fit_theta(values, _Warnings())
    np.testing.assert_allclose(
        _theta_point_forecasts(values, theta_fit, np.array([48]), 14)[0],
        np.asarray(theta_result.forecast(14)),
        rtol=1e-9,
    )


# --------------------------------------------------------------------------- selection


def test_selection_prefers_seasonal_naive_on_a_strongly_seasonal_series():
    """A seasonal random walk: each month is the same month last year plus a shock."""
    picks = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        values = np.empty(48)
        values[:12] = PATTERN
        for t in range(12, 48):
            values[t] = values[t - 12] + rng.normal(0, 5)
        picks.append(forecast_series(monthly(values), 14).model)
    assert picks.count("seasonal_naive") >= 4, picks


def test_selection_prefers_a_trend_model_on_a_trending_series():
    rng = np.random.default_rng(11)
    values = 1000 + 20.0 * np.arange(48) + rng.normal(0, 10, 48)
    forecast = forecast_series(monthly(values), 14)
    assert forecast.model in {"drift", "ets"}
    assert forecast.mase is not None and forecast.mase < 1.0
    assert set(forecast.candidates) == set(MODEL_NAMES)
    assert forecast.mean[-1] > values[-1]


def test_only_allowed_candidates_are_tried():
    spec = SeriesSpec(kandidaten=("seasonal_naive", "mean"))
    forecast = forecast_series(monthly(np.tile(PATTERN, 3)), 12, spec=spec)
    assert set(forecast.candidates) == {"seasonal_naive", "mean"}


# --------------------------------------------------------------------------- fallbacks


def test_six_months_fall_back_to_the_recent_mean():
    values = np.array([100.0, 110, 90, 105, 95, 100])
    forecast = forecast_series(monthly(values), 5)
    assert forecast.model == "mean"
    assert forecast.selected_by == "fallback"
    assert "te korte historie" in forecast.reason
    assert forecast.mase is None
    np.testing.assert_allclose(forecast.mean, values.mean())
    spread = values.std(ddof=1) * np.sqrt(1 + 1 / 6)
    np.testing.assert_allclose(forecast.hi80 - forecast.mean, 1.2815515655446004 * spread)
    assert_nested(forecast)


def test_zero_heavy_series_falls_back_to_the_mean():
    values = np.zeros(36)
    values[::3] = 300.0  # two thirds of the months are empty
    forecast = forecast_series(monthly(values), 14)
    assert forecast.selected_by == "fallback"
    assert forecast.model == "mean"
    assert "0" in forecast.reason
    np.testing.assert_allclose(forecast.mean, 100.0)


# --------------------------------------------------------------------------- exclusions


def test_excluded_month_is_replaced_before_fitting():
    values = np.tile(PATTERN, 3)
    spiked = values.copy()
    spiked[28] += 5000  # 2023-05: a one-off back-payment
    spec = SeriesSpec(model="seasonal_naive", uitsluiten=("2023-05",))
    cleaned = forecast_series(monthly(spiked), 12, spec=spec)
    expected_may = (values[27] + values[29]) / 2  # the line between April and June
    assert cleaned.mean[4] == pytest.approx(expected_may)
    unexcluded = forecast_series(monthly(spiked), 12, spec=SeriesSpec(model="seasonal_naive"))
    assert unexcluded.mean[4] == pytest.approx(values[28] + 5000)


# --------------------------------------------------------------------------- intervals


def test_intervals_are_nested_for_every_model():
    rng = np.random.default_rng(2)
    values = np.tile(PATTERN, 4) + ar1(rng, 48, 0.5, 30)
    for name in MODEL_NAMES:
        forecast = forecast_series(monthly(values), 14, spec=SeriesSpec(model=name))
        assert forecast.model == name
        assert_nested(forecast)
        assert (forecast.hi95 - forecast.lo95 > 0).all()


def test_nowcast_uncertainty_widens_the_intervals_but_not_the_mean():
    rng = np.random.default_rng(4)
    y = monthly(np.tile(PATTERN, 4) + rng.normal(0, 20, 48))
    se = pd.Series([80.0, 150.0], index=y.index[-2:])
    for name in ("seasonal_naive", "ets", "mean"):
        spec = SeriesSpec(model=name)
        plain = forecast_series(y, 14, spec=spec)
        wider = forecast_series(y, 14, spec=spec, exog_uncertainty=se)
        np.testing.assert_allclose(wider.mean, plain.mean)
        assert (wider.hi80 - wider.lo80 >= plain.hi80 - plain.lo80 - 1e-9).all()
        assert (wider.hi95 - wider.lo95 > plain.hi95 - plain.lo95).any()
        assert_nested(wider)


def test_80_percent_interval_covers_roughly_80_percent():
    rng = np.random.default_rng(7)
    n, horizon, hits = 48, 12, []
    for _ in range(24):
        amplitude = rng.uniform(20, 80)
        phase = rng.uniform(0, 6)
        total = 1000 + amplitude * np.sin(2 * np.pi * np.arange(n + horizon) / 12 + phase)
        total += ar1(rng, n + horizon, 0.5, 20)
        forecast = forecast_series(monthly(total[:n]), horizon)
        future = total[n:]
        hits.extend((future >= forecast.lo80) & (future <= forecast.hi80))
    coverage = float(np.mean(hits))
    assert 0.70 <= coverage <= 0.90, coverage


# --------------------------------------------------------------------------- robustness


def test_statsmodels_warnings_are_counted_not_shown():
    y = monthly(np.full(36, 500.0))  # a flat line makes ETS complain
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forecast = forecast_series(y, 6)
    np.testing.assert_allclose(forecast.mean, 500.0)
    assert forecast.n_warnings >= 0


def test_forecasts_are_deterministic():
    rng = np.random.default_rng(9)
    y = monthly(np.tile(PATTERN, 4) + rng.normal(0, 25, 48))
    first, second = forecast_series(y, 14), forecast_series(y, 14)
    assert first.model == second.model
    np.testing.assert_array_equal(first.mean, second.mean)
    np.testing.assert_array_equal(first.hi95, second.hi95)


def test_selection_on_48_months_is_fast_enough():
    rng = np.random.default_rng(1)
    y = monthly(np.tile(PATTERN, 4) + 3.0 * np.arange(48) + rng.normal(0, 25, 48))
    forecast_series(y, 14)  # warm-up: imports and first-call caches
    started = time.perf_counter()
    forecast_series(y, 14)
    assert time.perf_counter() - started < 3.0  # target 0.5 s; loose for busy CI machines


@pytest.mark.parametrize(
    ("series", "message"),
    [
        (pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-03-01"])), "gaps"),
        (
            pd.Series([1.0, np.nan], index=pd.date_range("2024-01-01", periods=2, freq="MS")),
            "missing",
        ),
        (pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-31", "2024-02-29"])), "month starts"),
    ],
)
def test_invalid_series_are_refused(series, message):
    with pytest.raises(ValueError, match=message):
        forecast_series(series, 3)


# --------------------------------------------------------------------------- specification


def test_shipped_specification_loads_with_the_agreed_defaults():
    spec = load_forecast_spec(REPO)
    assert spec.kandidaten == list(MODEL_NAMES)
    assert (spec.min_historie, spec.horizon, spec.backtest_origins) == (12, 14, 8)
    assert spec.overrides == {}
    assert spec.for_series("jeugd-ggz") == SeriesSpec(key="jeugd-ggz")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_later_files_override_per_key(tmp_path):
    folder = tmp_path / "forecasts"
    write(
        folder,
        "standaard.yaml",
        "horizon: 14\nmin_historie: 12\noverrides:\n"
        "  jeugd-ggz:\n    model: ets\n  wmo-regiotaxi:\n    min_historie: 24\n",
    )
    write(
        folder,
        "0384-gemeente.yaml",
        "horizon: 12\noverrides:\n  jeugd-ggz:\n    uitsluiten: ['2024-12']\n",
    )
    spec = load_forecast_spec(tmp_path)
    assert spec.horizon == 12
    assert spec.min_historie == 12
    ggz = spec.for_series("jeugd-ggz")
    assert ggz.model is None  # the later override replaced the earlier one as a whole
    assert ggz.uitsluiten == ("2024-12",)
    assert spec.for_series("wmo-regiotaxi").min_historie == 24


def test_spec_errors_name_file_line_and_key(tmp_path):
    folder = tmp_path / "forecasts"
    bad = write(
        folder,
        "standaard.yaml",
        "kandidaten:\n  - ets\n  - arima\nhorizont: 12\noverrides:\n"
        "  jeugd-ggz:\n    uitsluiten: ['2024-13']\n",
    )
    other = write(folder, "zz.yaml", "backtest_origins: 0\n")
    with pytest.raises(ConfigError) as caught:
        load_forecast_spec(folder)
    problems = {(p.file, p.line, p.key): p for p in caught.value.problems}
    assert (bad, 3, "kandidaten[1]") in problems
    assert (bad, 4, "horizont") in problems
    assert "onbekende sleutel" in problems[(bad, 4, "horizont")].message
    assert (bad, 7, "overrides.jeugd-ggz.uitsluiten[0]") in problems
    assert "JJJJ-MM" in problems[(bad, 7, "overrides.jeugd-ggz.uitsluiten[0]")].message
    assert (other, 1, "backtest_origins") in problems


def test_missing_specification_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="geen voorspelspecificatie"):
        load_forecast_spec(tmp_path)


def test_duplicate_candidates_are_refused():
    with pytest.raises(ValueError, match="dubbel"):
        ForecastSpec(kandidaten=["ets", "ets"])


# --------------------------------------------------------------------------- short series, sums


def test_a_short_series_blends_in_last_years_months_times_their_growth():
    """15 months: a year with a season, then three months 10 % above the same months a
    year earlier. No candidate can learn the season from this: the chosen model's
    forecast is averaged with last year's months × 1,1."""
    first_year = PATTERN.copy()
    y = monthly(np.concatenate([first_year, first_year[:3] * 1.1]))
    blended = forecast_series(y, 9)
    model, _, extra = blended.model.partition(" + ")
    assert extra == "vorig jaar × groei"
    alone = forecast_series(y, 9, spec=SeriesSpec(model=model))
    assert alone.model == model
    np.testing.assert_allclose(blended.mean, (alone.mean + first_year[3:12] * 1.1) / 2)
    # the interval moves with the mean, its width stays the model's
    np.testing.assert_allclose(blended.hi80 - blended.mean, alone.hi80 - alone.mean)


def test_two_years_of_history_need_no_blend_and_two_months_are_too_few_to_compare():
    assert " + " not in forecast_series(monthly(np.tile(PATTERN, 2)), 12).model
    fourteen = monthly(np.concatenate([PATTERN, PATTERN[:2] * 1.1]))
    assert " + " not in forecast_series(fourteen, 10).model


def test_a_sum_of_months_adds_their_bands_by_how_their_errors_moved_together():
    forecast = forecast_series(monthly(np.tile(PATTERN, 3)), 2)
    one = {"mean": 100.0, "lo80": 90.0, "hi80": 110.0, "lo95": 80.0, "hi95": 120.0}
    two = {"mean": 200.0, "lo80": 170.0, "hi80": 230.0, "lo95": 150.0, "hi95": 250.0}
    months = {k: np.array([one[k], two[k]]) for k in one}

    def summed(samenhang: float) -> dict[str, float]:
        return dataclasses.replace(forecast, samenhang=samenhang, **months).summed()

    assert summed(1.0) == pytest.approx(
        {"mean": 300, "lo80": 260, "hi80": 340, "lo95": 230, "hi95": 370}
    )
    assert summed(0.0)["hi80"] == pytest.approx(300 + np.hypot(10, 30))
    assert summed(0.5)["lo95"] == pytest.approx(300 - np.sqrt(0.5 * (20**2 + 50**2) + 0.5 * 70**2))
    assert forecast.summed(np.array([False, True]))["mean"] == pytest.approx(forecast.mean[1])


def test_level_shifts_move_months_together_and_noise_does_not():
    rng = np.random.default_rng(11)
    walk = monthly(1000 + np.cumsum(rng.normal(0, 30, 48)))
    noise = monthly(1000 + rng.normal(0, 30, 48))
    drifting = forecast_series(walk, 12, spec=SeriesSpec(model="drift"))
    assert drifting.samenhang > 0.3
    assert forecast_series(noise, 12, spec=SeriesSpec(model="mean")).samenhang < 0.2
    mean_only = forecast_series(monthly(np.full(8, 100.0)), 4)  # no backtest: add them up
    assert mean_only.selected_by == "fallback"
    assert mean_only.samenhang == 1.0
