"""The backtest replays the demo's history on vintage data and beats the naive extrapolation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitorbot.config import load_config
from monitorbot.forecast.backtest import run_backtest
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
