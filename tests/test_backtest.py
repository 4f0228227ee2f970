"""The backtest replays the demo's history on vintage data and beats the naive extrapolation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitorbot.config import load_config
from monitorbot.forecast.backtest import BacktestResult, Replay, oracle, run_backtest
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.store import db

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)  # same SQL on both
def test_mid_year_prognosis_beats_the_naive_extrapolation(demo_database, config_dir):
    config = load_config(config_dir)
    with db.transaction(demo_database.engine) as session:
        result = run_backtest(
            session,
            config,
            load_forecast_spec(REPO / "forecasts"),
            "9999",
            [2025],
            today=date(2026, 11, 10),
        )
    june = next(row for row in result.by_month() if row["maand"] == 6)
    assert june["n"] >= 5
    assert june["ratio"] <= 0.7  # the goal: at most 0.7× the naive error at m = 6
    january = next(row for row in result.by_month() if row["maand"] == 1)
    assert january["mape_naief"] > 0.5  # January is barely declared on 1 February
    assert 0.6 <= result.coverage_80 <= 0.97
    # The oracle (months known complete, scaled by last year's share) is the floor.
    for row in result.by_month():
        assert row["mape_orakel"] is not None
        assert row["dekking_80"] <= row["dekking_95"]
    december = next(row for row in result.by_month() if row["maand"] == 12)
    assert december["mape_orakel"] < 1e-9 and december["ratio_orakel"] is None
    covered_80, covered_95, count = result.coverage(range(1, 7))
    assert count == sum(row["n"] for row in result.by_month() if row["maand"] <= 6)
    assert covered_80 <= covered_95


def test_an_open_year_cannot_be_scored(engine, config_dir):
    config = load_config(config_dir)
    with db.transaction(engine) as session, pytest.raises(ValueError, match="niet afgesloten"):
        run_backtest(
            session,
            config,
            load_forecast_spec(REPO / "forecasts"),
            "9999",
            [2026],
            today=date(2026, 11, 10),
        )


def test_the_oracle_scales_the_complete_months_by_their_share_last_year():
    last_year = [100.0] * 6 + [200.0] * 6  # the first half was a third of the year
    this_year = [110.0] * 12
    # End of March: 330 known complete; last year's January–March were 300 of 1.800.
    assert oracle(this_year, last_year, 3) == pytest.approx(330 * 1800 / 300)
    assert oracle(this_year, last_year, 12) == pytest.approx(sum(this_year))
    assert oracle(this_year, None, 3) is None  # no year before
    assert oracle(this_year, [0.0] * 12, 3) is None


def _replay(month: int, final: float, lo80: float, hi80: float, lo95: float, hi95: float):
    return Replay(2025, month, "p", final, final, final, lo80, hi80, lo95, hi95, orakel=None)


def test_coverage_is_pooled_over_half_years():
    result = BacktestResult(
        [
            _replay(1, 100, 90, 110, 80, 120),  # inside both
            _replay(2, 100, 101, 110, 80, 120),  # inside 95 % only
            _replay(3, 100, 101, 110, 101, 120),  # inside neither
            _replay(7, 100, 90, 110, 80, 120),
        ]
    )
    assert result.coverage(range(1, 7)) == (pytest.approx(1 / 3), pytest.approx(2 / 3), 3)
    assert result.coverage(range(7, 13)) == (1.0, 1.0, 1)
    rows = {row["maand"]: row for row in result.by_month()}
    assert rows[2]["dekking_80"] == 0.0 and rows[2]["dekking_95"] == 1.0
    assert rows[1]["mape_orakel"] is None and rows[1]["ratio_orakel"] is None
