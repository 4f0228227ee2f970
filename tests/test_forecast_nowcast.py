"""Nowcast: late declarations completed with known answers, pooling, and silent providers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitorbot.forecast.nowcast import (
    DevelopmentPattern,
    StopDeclaringRule,
    complete,
    estimate_group_patterns,
    estimate_pattern,
)

AS_OF = pd.Timestamp("2025-01-01")
SHARES = (0.5, 0.3, 0.2)


def months_before(as_of: pd.Timestamp, count: int) -> pd.DatetimeIndex:
    return pd.date_range(end=as_of - pd.offsets.MonthBegin(1), periods=count, freq="MS")


def triangle(
    count: int,
    increments: tuple[float, ...] = SHARES,
    final: float = 100.0,
    *,
    as_of: pd.Timestamp = AS_OF,
    group: str | None = None,
    silent_months: int = 0,
) -> pd.DataFrame:
    """Every care month ends at `final`, arriving as `increments` at lags 0, 1, 2...

    Only cells declared before `as_of` are kept (minus the last `silent_months`
    declaration months, for a provider that stopped declaring).
    """
    last_visible = as_of - pd.DateOffset(months=silent_months)
    rows = []
    for month in months_before(as_of, count):
        for lag, share in enumerate(increments):
            if month + pd.DateOffset(months=lag) < last_visible:
                rows.append({"zorgmaand": month, "lag": lag, "bedrag": final * share})
    frame = pd.DataFrame(rows)
    if group is not None:
        frame["groep"] = group
    return frame


# --------------------------------------------------------------------------- known answers


def test_pattern_of_a_clean_triangle_is_exact():
    pattern = estimate_pattern(triangle(24), AS_OF, max_lag=2)
    np.testing.assert_allclose(pattern.factors, [1.6, 1.25])
    np.testing.assert_allclose(pattern.cumulative_share, [0.5, 0.8, 1.0])
    assert pattern.n_months_used == 23
    assert not pattern.pooled


def test_lags_without_declarations_get_factor_one_up_to_max_lag():
    pattern = estimate_pattern(triangle(24), AS_OF, max_lag=12)
    np.testing.assert_allclose(pattern.factors, [1.6, 1.25] + [1.0] * 10)
    np.testing.assert_allclose(pattern.cumulative_share[:3], [0.5, 0.8, 1.0])
    assert pattern.cumulative_share[-1] == 1.0


def test_completion_of_a_clean_triangle_is_exact():
    lags = triangle(24)
    result = complete(lags, AS_OF, estimate_pattern(lags, AS_OF, max_lag=2))
    assert len(result) == 24
    assert result["zorgmaand"].iloc[-1] == pd.Timestamp("2024-12-01")
    np.testing.assert_allclose(result["verwacht_compleet"], 100.0)
    tail = result.tail(3)
    np.testing.assert_allclose(tail["gedeclareerd"], [100.0, 80.0, 50.0])
    np.testing.assert_allclose(tail["nog_te_verwachten"], [0.0, 20.0, 50.0])
    np.testing.assert_allclose(tail["volledigheid"], [1.0, 0.8, 0.5])
    assert list(tail["leeftijd"]) == [2, 1, 0]
    assert list(tail["methode"]) == ["ontwikkeld", "chain_ladder", "chain_ladder"]
    np.testing.assert_allclose(result["se"], 0.0, atol=1e-9)  # no noise, no uncertainty
    assert not result["achterstand"].any()


def test_credits_that_reverse_part_of_a_month_are_completed_exactly():
    lags = triangle(24, increments=(0.6, 0.5, -0.1))
    pattern = estimate_pattern(lags, AS_OF, max_lag=2)
    np.testing.assert_allclose(pattern.factors, [1.1 / 0.6, 1.0 / 1.1])
    result = complete(lags, AS_OF, pattern)
    np.testing.assert_allclose(result["verwacht_compleet"], 100.0)
    assert result["nog_te_verwachten"].iloc[-2] == pytest.approx(-10.0)  # a credit to come


def test_cells_declared_on_or_after_as_of_are_ignored():
    lags = triangle(24)
    future = pd.DataFrame(
        {
            "zorgmaand": [pd.Timestamp("2024-12-01"), pd.Timestamp("2025-01-01")],
            "lag": [1, 0],
            "bedrag": [1e9, 1e9],
        }
    )
    with_future = pd.concat([lags, future], ignore_index=True)
    pattern = estimate_pattern(with_future, AS_OF, max_lag=2)
    np.testing.assert_allclose(pattern.factors, [1.6, 1.25])
    result = complete(with_future, AS_OF, pattern)
    assert result["zorgmaand"].max() == pd.Timestamp("2024-12-01")
    np.testing.assert_allclose(result["verwacht_compleet"], 100.0)


def test_pattern_from_shares_round_trips():
    pattern = DevelopmentPattern.from_shares([0.5, 0.8, 1.0])
    np.testing.assert_allclose(pattern.factors, [1.6, 1.25])
    assert pattern.share_at(7) == 1.0


def test_as_of_must_be_a_month_start():
    with pytest.raises(ValueError, match="first day"):
        estimate_pattern(triangle(24), pd.Timestamp("2025-01-15"))


# --------------------------------------------------------------------------- uncertainty


def noisy_triangle(count: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for month in months_before(AS_OF, count):
        shares = rng.dirichlet([20, 12, 8, 4])
        for lag, share in enumerate(shares):
            if month + pd.DateOffset(months=lag) < AS_OF:
                rows.append({"zorgmaand": month, "lag": lag, "bedrag": 1000.0 * share})
    return pd.DataFrame(rows)


def test_standard_error_grows_with_how_open_the_month_is():
    lags = noisy_triangle(36, seed=3)
    result = complete(lags, AS_OF, estimate_pattern(lags, AS_OF, max_lag=3))
    by_age = result.set_index("leeftijd")["se"]
    assert by_age[0] > by_age[1] > by_age[2] > 0
    assert (result.loc[result["leeftijd"] >= 3, "se"] == 0).all()


def test_immature_months_are_completed_from_the_run_rate():
    """A provider that declares a month late: nothing at lag 0, chain-ladder cannot work."""
    lags = triangle(24, increments=(0.0, 0.7, 0.3))
    pattern = estimate_pattern(lags, AS_OF, max_lag=2)
    assert pattern.cumulative_share[0] == 0.0
    result = complete(lags, AS_OF, pattern)
    last = result.iloc[-1]
    assert last["methode"] == "bornhuetter_ferguson"
    assert last["verwacht_compleet"] == pytest.approx(100.0)


def priced_triangle(as_of: pd.Timestamp, levels: dict[int, float]) -> pd.DataFrame:
    """A provider declaring a month late (0 %, 70 %, 30 %) with constant volume: each
    care month costs 100 at its year's price level."""
    rows = []
    for month in months_before(as_of, 24):
        for lag, share in enumerate((0.0, 0.7, 0.3)):
            if month + pd.DateOffset(months=lag) < as_of:
                rows.append(
                    {"zorgmaand": month, "lag": lag, "bedrag": 100 * levels[month.year] * share}
                )
    return pd.DataFrame(rows)


def test_a_january_completed_from_the_run_rate_pays_the_new_year_price():
    """January's tariffs rose 5 %: the run-rate of the months before (at last year's
    prices) would make January look 5 % cheaper than it will be."""
    as_of = pd.Timestamp("2025-02-01")
    levels = {2023: 1.0, 2024: 1.0, 2025: 1.05}
    lags = priced_triangle(as_of, levels)
    pattern = estimate_pattern(lags, as_of, max_lag=2)
    january = complete(lags, as_of, pattern, price_level=levels).iloc[-1]
    assert january["methode"] == "bornhuetter_ferguson"
    assert january["verwacht_compleet"] == pytest.approx(105.0)
    unpriced = complete(lags, as_of, pattern).iloc[-1]
    assert unpriced["verwacht_compleet"] == pytest.approx(100.0)


def test_a_silent_provider_is_carried_at_the_new_year_price():
    as_of = pd.Timestamp("2025-03-01")
    levels = {2023: 1.0, 2024: 1.0, 2025: 1.04}
    steady = priced_triangle(as_of, levels).assign(groep="11111111")
    silent = priced_triangle(as_of, levels).assign(groep="22222222")
    silent = silent[silent["zorgmaand"] + pd.to_timedelta(silent["lag"] * 31, "D") < "2024-11-01"]
    lags = pd.concat([steady, silent], ignore_index=True)
    patterns = estimate_group_patterns(lags, as_of, max_lag=2)
    result = complete(lags, as_of, patterns, by_group=True, price_level=levels)
    carried = result[(result["groep"] == "22222222") & result["achterstand"]]
    by_month = carried.set_index("zorgmaand")["verwacht_compleet"]
    assert by_month[pd.Timestamp("2024-12-01")] == pytest.approx(100.0)
    assert by_month[pd.Timestamp("2025-01-01")] == pytest.approx(104.0)


def seasonal_triangle(as_of: pd.Timestamp, season: dict[int, float]) -> pd.DataFrame:
    """Declared a month late, as priced_triangle, with a quieter summer: 100 × season."""
    rows = []
    for month in months_before(as_of, 30):
        for lag, share in enumerate((0.0, 0.7, 0.3)):
            if month + pd.DateOffset(months=lag) < as_of:
                amount = 100 * season.get(month.month, 1.0) * share
                rows.append({"zorgmaand": month, "lag": lag, "bedrag": amount})
    return pd.DataFrame(rows)


def test_an_open_summer_month_gets_last_years_summer_dip():
    """July was 20 % quieter last year: this July is completed at 80 of the run-rate of
    100, not at 100 (the run-rate months' own season is taken out first)."""
    as_of = pd.Timestamp("2025-08-01")
    lags = seasonal_triangle(as_of, {7: 0.8, 8: 0.7, 12: 0.9})
    pattern = estimate_pattern(lags, as_of, max_lag=2)
    july = complete(lags, as_of, pattern).iloc[-1]
    assert july["zorgmaand"] == pd.Timestamp("2025-07-01")
    assert july["methode"] == "bornhuetter_ferguson"
    assert july["verwacht_compleet"] == pytest.approx(80.0)


def test_without_a_year_of_history_the_run_rate_has_no_season():
    as_of = pd.Timestamp("2025-08-01")
    lags = seasonal_triangle(as_of, {7: 0.8})
    young = lags[lags["zorgmaand"] >= "2024-11-01"]
    pattern = estimate_pattern(young, as_of, max_lag=2)
    july = complete(young, as_of, pattern).iloc[-1]
    assert july["verwacht_compleet"] == pytest.approx(100.0)


# --------------------------------------------------------------------------- pooling


def test_group_with_little_history_leans_on_the_prior():
    prior = DevelopmentPattern.from_shares([0.4, 0.8, 1.0])  # factors 2.0, 1.25
    young = triangle(4)  # ages 0..3: three months inform factor 0, two factor 1
    pattern = estimate_pattern(young, AS_OF, max_lag=2, min_months=12, prior=prior)
    assert pattern.pooled
    weight = 3 / 12
    assert pattern.factors[0] == pytest.approx(weight * 1.6 + (1 - weight) * 2.0)
    assert pattern.factors[1] == pytest.approx(1.25)


def test_group_without_history_takes_the_prior_and_long_history_its_own():
    prior = DevelopmentPattern.from_shares([0.4, 0.8, 1.0])
    newcomer = estimate_pattern(triangle(1), AS_OF, max_lag=2, prior=prior)
    np.testing.assert_allclose(newcomer.factors, prior.factors)
    veteran = estimate_pattern(triangle(30), AS_OF, max_lag=2, min_months=12, prior=prior)
    np.testing.assert_allclose(veteran.factors, [1.6, 1.25])
    assert not veteran.pooled


def test_prior_must_have_the_same_max_lag():
    with pytest.raises(ValueError, match="max_lag"):
        estimate_pattern(
            triangle(24), AS_OF, max_lag=3, prior=DevelopmentPattern.from_shares([1.0])
        )


# --------------------------------------------------------------------------- stop declaring


def providers(silent_months: int) -> pd.DataFrame:
    steady = triangle(24, group="11111111")
    silent = triangle(24, group="22222222", final=200.0, silent_months=silent_months)
    return pd.concat([steady, silent], ignore_index=True)


def test_provider_that_stops_declaring_keeps_its_run_rate_and_is_flagged():
    lags = providers(silent_months=3)
    patterns = estimate_group_patterns(lags, AS_OF, max_lag=2)
    result = complete(lags, AS_OF, patterns, by_group=True)
    silent = result[result["groep"] == "22222222"].set_index("leeftijd")
    assert silent.loc[[0, 1, 2], "achterstand"].all()
    assert (silent.loc[[0, 1, 2], "methode"] == "run_rate").all()
    assert (silent.loc[[0, 1, 2], "gedeclareerd"] == 0).all()
    # no cost drop anywhere, also not in the months whose late lags went missing
    np.testing.assert_allclose(silent["verwacht_compleet"], 200.0)
    assert not silent.loc[silent.index >= 3, "achterstand"].any()
    steady = result[result["groep"] == "11111111"]
    np.testing.assert_allclose(steady["verwacht_compleet"], 100.0)
    assert not steady["achterstand"].any()


def test_one_quiet_month_is_not_yet_a_backlog():
    lags = providers(silent_months=1)
    patterns = estimate_group_patterns(lags, AS_OF, max_lag=2)
    result = complete(lags, AS_OF, patterns, by_group=True)
    assert not result["achterstand"].any()  # only 50 % of the last month was due


def test_provider_without_steady_history_is_not_flagged():
    lags = triangle(4, group="33333333", silent_months=3)  # one month of data, then silence
    pattern = DevelopmentPattern.from_shares([0.5, 0.8, 1.0])
    result = complete(lags, AS_OF, pattern, by_group=True)
    assert not result["achterstand"].any()


def test_stop_rule_thresholds_are_configurable():
    lags = providers(silent_months=3)
    patterns = estimate_group_patterns(lags, AS_OF, max_lag=2)
    strict = StopDeclaringRule(steady_months=30)
    result = complete(lags, AS_OF, patterns, by_group=True, stop_rule=strict)
    assert not result["achterstand"].any()


def test_missing_group_pattern_is_an_error():
    with pytest.raises(ValueError, match="22222222"):
        complete(
            providers(0), AS_OF, {"11111111": DevelopmentPattern.from_shares([1.0])}, by_group=True
        )


# --------------------------------------------------------------------------- properties


amounts = st.integers(min_value=0, max_value=10**8).map(float)  # whole cents, as stored


@st.composite
def positive_triangles(draw: st.DrawFn) -> pd.DataFrame:
    count = draw(st.integers(min_value=1, max_value=18))
    rows = []
    for month in months_before(AS_OF, count):
        for lag in range(draw(st.integers(min_value=1, max_value=5))):
            rows.append({"zorgmaand": month, "lag": lag, "bedrag": draw(amounts)})
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None)
@given(lags=positive_triangles(), max_lag=st.integers(min_value=0, max_value=4))
def test_with_non_negative_amounts_shares_are_monotone_and_completion_adds(lags, max_lag):
    pattern = estimate_pattern(lags, AS_OF, max_lag=max_lag)
    shares = pattern.cumulative_share
    assert shares[-1] == 1.0
    assert np.all(np.diff(shares) >= -1e-12)
    assert np.all((shares >= 0) & (shares <= 1 + 1e-12))
    result = complete(lags, AS_OF, pattern)
    assert np.all(result["verwacht_compleet"] >= result["gedeclareerd"] - 1e-6)
    assert np.all(result["se"] >= 0)


@st.composite
def provider_triangles_with_credits(draw: st.DrawFn) -> pd.DataFrame:
    rows = []
    for group in ("11111111", "22222222")[: draw(st.integers(min_value=1, max_value=2))]:
        for month in months_before(AS_OF, draw(st.integers(min_value=1, max_value=15))):
            for lag in range(draw(st.integers(min_value=0, max_value=4))):
                amount = float(draw(st.integers(min_value=-(10**8), max_value=10**8)))
                rows.append({"zorgmaand": month, "lag": lag, "bedrag": amount, "groep": group})
    return pd.DataFrame(rows, columns=["zorgmaand", "lag", "bedrag", "groep"])


@settings(max_examples=60, deadline=None)
@given(lags=provider_triangles_with_credits(), max_lag=st.integers(min_value=0, max_value=3))
def test_credits_never_break_the_completion(lags, max_lag):
    if lags.empty:
        return
    patterns = estimate_group_patterns(lags, AS_OF, max_lag=max_lag, min_months=3)
    result = complete(lags, AS_OF, patterns, by_group=True)
    numbers = result[["gedeclareerd", "verwacht_compleet", "nog_te_verwachten", "se"]]
    assert np.isfinite(numbers.to_numpy()).all()
    assert (result["se"] >= 0).all()
