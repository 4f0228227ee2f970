"""Forecast speed: one municipality's full run, and a national-scale run against two references.

Usage:  python bench/forecast_bench.py [--series 5000] [--workers 2] [--skip-municipality]

1. One municipality (the demo's Demodorp, as known on 10-11-2026): the budget
   report (every perceel), every provider and every perceel × provider series
   with declarations, each completed for late declarations (nowcast per
   provider) and forecast with model selection, in one process, as a report
   runs. Target: under 15 s. Generating and ingesting the demo is not timed.
2. National scale: N synthetic series on `--workers` processes through
   `forecast_many` (with the progress bar when stdout is a terminal), and the
   same series through two references: a plain single-model statsmodels loop
   (one ETS fit + forecast per series, no selection, same pool) and, when
   installed, statsforecast's AutoETS (`pip install statsforecast`, for this
   benchmark only; not a dependency). All three times include starting the
   pool; statsforecast's warm-up run is excluded. Every process runs one
   BLAS/OpenMP thread.

Prints series/second and the ratios in wall-clock and in CPU seconds (parent plus
pool workers): CPU time is the fairer comparison when other work shares the
machine, so the load average is printed before and after. The figures go in
the issue notes.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# One thread per process for every contender; parallelism comes from the processes.
# statsforecast's compiled ETS starts OpenMP threads: two processes × two threads
# on two cores made its run ~2× slower than with OMP_NUM_THREADS=1.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
MONTHS = 48
HORIZON = 14
GEMEENTE, YEAR, AS_OF = "9999", 2026, date(2026, 11, 10)


def synthetic_series(count: int, seed: int = 7) -> list[pd.Series]:
    """Monthly cost-like series: level, trend, yearly season and noise."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2022-01-01", periods=MONTHS, freq="MS")
    season = np.sin(np.arange(MONTHS) * 2 * np.pi / 12)
    out = []
    for _ in range(count):
        level = rng.uniform(1e5, 5e6)
        values = level * (
            1
            + rng.normal(0.01, 0.01) * np.arange(MONTHS)
            + rng.uniform(0, 0.15) * season
            + rng.normal(0, 0.05, MONTHS)
        )
        out.append(pd.Series(np.maximum(values, 0), index=index))
    return out


# --------------------------------------------------------------------------- one municipality


@dataclass
class Part:
    """One kind of series in the municipality run: how many were forecast, in how long."""

    label: str
    series: int = 0
    seconds: float = 0.0


def municipality_run() -> list[Part]:
    """Generate and ingest the demo, then time every series one municipality forecasts."""
    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.demo.generate import generate_demo
    from monitorbot.ingest.pipeline import Ingestor
    from monitorbot.store import db

    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        generate_demo(demo, vandaag=AS_OF)
        engine = db.make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        db.upgrade(engine)
        config = load_config(REPO / "config")
        Ingestor(engine, config, pseudonymize=Pseudonymizer(DEMO_KEY)).run(
            [demo / "berichten", demo / "exports", demo / "pgb"]
        )
        with db.transaction(engine) as session:
            parts = _forecast_municipality(session, config)
        engine.dispose()
    return parts


def _forecast_municipality(session, config) -> list[Part]:  # type: ignore[no-untyped-def]
    """Time each kind of series; the providers' time includes finding the pairs (one query).

    Every (perceel, provider) pair with declarations counts, however small: a
    real run has to forecast them all. (In the demo each provider works in one
    perceel, so a pair series has the same months as its provider's.)
    """
    from monitorbot.forecast import series
    from monitorbot.forecast.prognosis import build_budget_report, slice_prognosis
    from monitorbot.forecast.spec import load_forecast_spec

    spec = load_forecast_spec(REPO / "forecasts")
    percelen, providers, pairs = (
        Part("percelen (budget report)"),
        Part("providers"),
        Part("perceel × provider"),
    )

    started = time.perf_counter()
    report = build_budget_report(session, config, spec, GEMEENTE, YEAR, AS_OF)
    percelen.seconds = time.perf_counter() - started
    # Rows with a model of their own; a parent that only adds up its parts has none.
    percelen.series = sum(
        1
        for row in report.rows
        if row.niveau in {"perceel", "onderdeel"}
        and row.modelnaam not in {"", "som van onderdelen"}
    )

    started = time.perf_counter()
    known = {p.id for p in config.percelen.percelen}
    cost = series.monthly_cost(
        session, GEMEENTE, by=("perceel_id", "aanbieder_agb"), known_before=AS_OF
    )
    cost = cost[cost["perceel_id"].isin(known) & cost["aanbieder_agb"].notna()]
    combinations = sorted(set(zip(cost["perceel_id"], cost["aanbieder_agb"], strict=True)))
    for agb in sorted({agb for _, agb in combinations}):
        outcome = slice_prognosis(
            session, config, spec, GEMEENTE, YEAR, AS_OF, key=f"aanbieder:{agb}", aanbieders=[agb]
        )
        if outcome is not None:
            providers.series += 1
    providers.seconds = time.perf_counter() - started

    started = time.perf_counter()
    for perceel, agb in combinations:
        outcome = slice_prognosis(
            session,
            config,
            spec,
            GEMEENTE,
            YEAR,
            AS_OF,
            key=f"{perceel}/aanbieder:{agb}",
            percelen=[perceel],
            aanbieders=[agb],
        )
        if outcome is not None:
            pairs.series += 1
    pairs.seconds = time.perf_counter() - started
    return [percelen, providers, pairs]


# --------------------------------------------------------------------------- national scale


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds (this process and its finished pool workers).

    CPU seconds barely move when other work shares the machine; wall seconds do.
    """

    wall: float
    cpu: float


class _Stopwatch:
    def __enter__(self) -> _Stopwatch:
        self.started, self.cpu_started = time.perf_counter(), _cpu_seconds()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.timing = Timing(time.perf_counter() - self.started, _cpu_seconds() - self.cpu_started)


def _cpu_seconds() -> float:
    """User + system time of this process and of the children it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_ours(series: list[pd.Series], workers: int) -> Timing:
    """monitorbot's selection over the pool, with the terminal progress bar."""
    from monitorbot.cli.runtime import progress_bar
    from monitorbot.forecast.batch import SeriesJob, forecast_many

    jobs = [SeriesJob(str(i), y, HORIZON) for i, y in enumerate(series)]
    with _Stopwatch() as watch, progress_bar("Forecasting", len(jobs), "series") as advance:
        forecast_many(jobs, workers=workers, on_series_done=lambda job, forecast: advance())
    return watch.timing


def _plain_ets(y: pd.Series) -> float:
    import warnings

    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(y, error="add", trend="add", seasonal="add", seasonal_periods=12).fit(
            disp=False
        )
    return float(fit.forecast(HORIZON).sum())


def timed_plain_loop(series: list[pd.Series], workers: int) -> Timing:
    with _Stopwatch() as watch, ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_plain_ets, series, chunksize=16))
    return watch.timing


def timed_statsforecast(series: list[pd.Series], workers: int) -> Timing | None:
    """AutoETS over the same series; None when statsforecast is not installed."""
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS
    except ImportError:
        return None
    frame = pd.concat(
        [pd.DataFrame({"unique_id": i, "ds": y.index, "y": y.values}) for i, y in enumerate(series)]
    )
    # Warm-up, not timed: statsforecast 1.x compiles its ETS with numba's JIT on
    # first use (2.x ships compiled code; the run still loads and caches it).
    warm = frame[frame["unique_id"] < 2]
    StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=1).forecast(
        df=warm, h=HORIZON
    )
    with _Stopwatch() as watch:
        StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=workers).forecast(
            df=frame, h=HORIZON
        )
    return watch.timing


def _line(label: str, timing: Timing, count: int, ours: Timing | None = None) -> str:
    text = (
        f"  {label:46s} {timing.wall:7.1f} s  {count / timing.wall:7.1f} series/s  "
        f"CPU {timing.cpu:6.1f} s"
    )
    if ours is not None:
        text += (
            f"  → monitorbot takes {ours.wall / timing.wall:.2f}× its time "
            f"({ours.cpu / timing.cpu:.2f}× its CPU)"
        )
    return text


def _load() -> str:
    """1-minute load average: other work on the machine skews every figure above."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-municipality", action="store_true")
    options = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average before the run: {_load()}")

    if not options.skip_municipality:
        parts = municipality_run()
        total = sum(p.series for p in parts)
        seconds = sum(p.seconds for p in parts)
        print(
            f"One municipality (demo {GEMEENTE}, as of {AS_OF:%d-%m-%Y}), one process, "
            "nowcast + model selection per series:"
        )
        for part in parts:
            print(f"  {part.label:28s} {part.series:4d} series  {part.seconds:6.1f} s")
        verdict = "met" if seconds < 15 else "MISSED"
        print(f"  {'total':28s} {total:4d} series  {seconds:6.1f} s  (target < 15 s: {verdict})")

    series = synthetic_series(options.series)
    print(
        f"National scale: {options.series} series × {MONTHS} months, horizon {HORIZON}, "
        f"{options.workers} processes (times include pool start-up):"
    )
    ours = timed_ours(series, options.workers)
    print(_line("monitorbot (5 candidates, backtest, intervals)", ours, options.series))
    plain = timed_plain_loop(series, options.workers)
    print(_line("plain statsmodels ETS loop (1 model)", plain, options.series, ours))
    reference = timed_statsforecast(series, options.workers)
    if reference is None:
        print("  statsforecast not installed: pip install statsforecast to compare")
    else:
        version = importlib.metadata.version("statsforecast")
        print(_line(f"statsforecast {version} AutoETS", reference, options.series, ours))
        print("    (statsforecast warm-up run excluded: numba JIT in 1.x, code loading in 2.x)")
    print(
        f"Load average after the run: {_load()} (this run accounts for ~{options.workers}; "
        "more means other work shared the CPUs)"
    )


if __name__ == "__main__":
    main()
