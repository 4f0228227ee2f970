"""Many series at once: `forecast_series` over a process pool, reporting every finished series.

A national run is thousands of independent series and the fits are CPU-bound
Python and scipy, so they run in worker processes, in chunks: one pickled round
trip per chunk instead of per series. Workers are forked, so they inherit the
one-thread OpenBLAS setting `monitorbot/__init__.py` makes before numpy loads
(see `models`: BLAS worker threads cost more than the fits themselves).

Progress goes through one callback, `on_series_done`, called in the calling
process once per finished series; a terminal bar (`cli.runtime.progress_bar`),
a log line or a test counter all hook in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import pandas as pd

from monitorbot.forecast.models import Forecast, forecast_series
from monitorbot.forecast.spec import SeriesSpec

DEFAULT_CHUNKSIZE = 16


@dataclass(frozen=True)
class SeriesJob:
    """One series to forecast: what `forecast_series` takes, plus the caller's key."""

    key: str
    y: pd.Series
    horizon: int
    spec: SeriesSpec | None = None
    exog_uncertainty: pd.Series | None = None


SeriesDone = Callable[[SeriesJob, Forecast], None]


def forecast_many(
    jobs: Iterable[SeriesJob],
    *,
    workers: int = 2,
    chunksize: int = DEFAULT_CHUNKSIZE,
    on_series_done: SeriesDone | None = None,
) -> list[Forecast]:
    """Forecast every job; the result is in the order of `jobs`.

    `on_series_done(job, forecast)` runs here, once per series, in the order
    the series finish. With `workers=1`, or no more than one chunk of jobs, the
    series run in this process: a pool's start-up would cost more than it saves.
    An exception in any series ends the run (`forecast_series` only raises on
    invalid input).
    """
    if workers < 1 or chunksize < 1:
        raise ValueError("workers and chunksize must be >= 1")
    todo = list(jobs)
    results: list[Forecast | None] = [None] * len(todo)

    def finished(position: int, forecast: Forecast) -> None:
        results[position] = forecast
        if on_series_done is not None:
            on_series_done(todo[position], forecast)

    if workers == 1 or len(todo) <= chunksize:
        for position, job in enumerate(todo):
            finished(position, _forecast(job))
    else:
        starts = range(0, len(todo), chunksize)
        with ProcessPoolExecutor(max_workers=min(workers, max(len(starts), 1))) as pool:
            futures = {pool.submit(_forecast_chunk, todo[s : s + chunksize]): s for s in starts}
            try:
                for future in as_completed(futures):
                    for offset, forecast in enumerate(future.result()):
                        finished(futures[future] + offset, forecast)
            except BaseException:
                # Do not wait for thousands of queued series after a failure or Ctrl-C.
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return [forecast for forecast in results if forecast is not None]


def _forecast(job: SeriesJob) -> Forecast:
    return forecast_series(job.y, job.horizon, spec=job.spec, exog_uncertainty=job.exog_uncertainty)


def _forecast_chunk(chunk: list[SeriesJob]) -> list[Forecast]:
    return [_forecast(job) for job in chunk]


__all__ = ["SeriesDone", "SeriesJob", "forecast_many"]
