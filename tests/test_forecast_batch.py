"""Many series at once: the pool runner's results and callbacks, and the terminal progress bar."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from monitorbot.cli import runtime
from monitorbot.forecast.batch import SeriesJob, forecast_many
from monitorbot.forecast.models import forecast_series


def jobs(count: int) -> list[SeriesJob]:
    """Seasonal series with a trend, of different lengths (so some skip seasonal models)."""
    rng = np.random.default_rng(3)
    out = []
    for i in range(count):
        months = 18 + 6 * i
        t = np.arange(months)
        values = 1000 + 5 * t + 80 * np.sin(t * 2 * np.pi / 12) + rng.normal(0, 10, months)
        index = pd.date_range("2022-01-01", periods=months, freq="MS")
        out.append(SeriesJob(f"reeks-{i}", pd.Series(values, index=index), horizon=6))
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_results_follow_the_jobs_and_every_series_is_reported_once(workers):
    todo = jobs(5)
    seen: list[str] = []

    results = forecast_many(
        todo,
        workers=workers,
        chunksize=2,
        on_series_done=lambda job, forecast: seen.append(job.key),
    )

    assert sorted(seen) == sorted(job.key for job in todo)
    assert len(results) == len(todo)
    for job, result in zip(todo, results, strict=True):
        alone = forecast_series(job.y, job.horizon)
        assert result.model == alone.model
        np.testing.assert_allclose(result.mean, alone.mean)
        assert result.index[0] == job.y.index[-1] + pd.offsets.MonthBegin(1)


def test_a_series_that_cannot_be_forecast_ends_the_run():
    broken = SeriesJob("leeg", pd.Series([], dtype=float, index=pd.DatetimeIndex([])), 3)
    with pytest.raises(ValueError, match="empty"):
        forecast_many([*jobs(2), broken], workers=2, chunksize=1)


def test_bad_pool_settings_are_refused():
    with pytest.raises(ValueError):
        forecast_many(jobs(1), workers=0)


def test_progress_bar_is_silent_off_a_terminal(capsys):
    with runtime.progress_bar("Voorspellen", 3, "reeksen") as advance:
        for _ in range(3):
            advance()
    assert capsys.readouterr().out == ""


def test_progress_bar_shows_done_rate_and_time_left_on_a_terminal(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(runtime, "console", Console(file=screen, force_terminal=True, width=120))
    with runtime.progress_bar("Voorspellen", 3, "reeksen") as advance:
        for _ in range(3):
            advance()
    shown = screen.getvalue()
    assert "Voorspellen" in shown
    assert "3/3" in shown
    assert "reeksen/s" in shown
