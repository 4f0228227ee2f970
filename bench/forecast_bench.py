"""Forecast speed: a national-scale run of N series on 2 cores, against two references.

Usage:  python bench/forecast_bench.py [--series 5000] [--workers 2]

Prints series/second for monitorbot's full model selection (rolling-origin
backtest over five candidates, 80/95 % intervals) in a process pool, and two
ratios over the same series: to a plain single-model statsmodels loop (one ETS
fit + forecast per series, no selection) and, when installed, to statsforecast's
AutoETS (`pip install statsforecast`, for this benchmark only). Also times one
municipality's full budget report on the demo data (all percelen, nowcast per
provider, model selection), whose target is under 15 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
MONTHS = 48
HORIZON = 14


def synthetic_series(count: int, seed: int = 7) -> list[pd.Series]:
    """Monthly cost-like series: level, trend, yearly season, noise; some short or sparse."""
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


def _ours(y: pd.Series) -> float:
    from monitorbot.forecast.models import forecast_series

    return float(forecast_series(y, HORIZON).mean.sum())


def _plain_ets(y: pd.Series) -> float:
    import warnings

    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(y, error="add", trend="add", seasonal="add", seasonal_periods=12).fit(
            disp=False
        )
    return float(fit.forecast(HORIZON).sum())


def timed_pool(function, series: list[pd.Series], workers: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(function, series, chunksize=16))
    return time.perf_counter() - started


def timed_statsforecast(series: list[pd.Series], workers: int) -> float | None:
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS
    except ImportError:
        return None
    frame = pd.concat(
        [pd.DataFrame({"unique_id": i, "ds": y.index, "y": y.values}) for i, y in enumerate(series)]
    )
    started = time.perf_counter()
    StatsForecast(models=[AutoETS(season_length=12)], freq="MS", n_jobs=workers).forecast(
        df=frame, h=HORIZON
    )
    return time.perf_counter() - started


def municipality_run() -> tuple[float, int]:
    """Generate and ingest the demo, then time one full budget report (seconds, percelen)."""
    from monitorbot.config import load_config
    from monitorbot.demo import generate_demo
    from monitorbot.forecast.prognosis import build_budget_report, provider_prognoses
    from monitorbot.forecast.spec import load_forecast_spec
    from monitorbot.ingest.pipeline import Ingestor
    from monitorbot.ingest.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.store import db

    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        generate_demo(demo)
        engine = db.make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        db.upgrade(engine)
        config = load_config(REPO / "config")
        Ingestor(engine, config, pseudonymize=Pseudonymizer(DEMO_KEY)).run(
            [demo / "berichten", demo / "exports", demo / "pgb"]
        )
        spec = load_forecast_spec(REPO / "forecasts")
        started = time.perf_counter()
        with db.transaction(engine) as session:
            report = build_budget_report(session, config, spec, "9999", 2026, date(2026, 11, 10))
            providers = provider_prognoses(session, config, spec, "9999", 2026, date(2026, 11, 10))
        seconds = time.perf_counter() - started
        engine.dispose()
    return seconds, len([r for r in report.rows if r.model is not None]) + len(providers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-municipality", action="store_true")
    options = parser.parse_args()

    if not options.skip_municipality:
        seconds, count = municipality_run()
        print(
            f"Eén gemeente (demo): begrotingsrapport + aanbieders, {count} reeksen met "
            f"nowcast en modelkeuze: {seconds:.1f} s (doel < 15 s)"
        )

    series = synthetic_series(options.series)
    ours = timed_pool(_ours, series, options.workers)
    plain = timed_pool(_plain_ets, series, options.workers)
    print(
        f"{options.series} reeksen × {MONTHS} maanden, horizon {HORIZON}, "
        f"{options.workers} processen:"
    )
    print(
        f"  monitorbot (5 kandidaten, backtest, intervallen): {ours:7.1f} s  "
        f"{options.series / ours:8.1f} reeksen/s"
    )
    print(
        f"  kale statsmodels ETS-lus (1 model, geen keuze):   {plain:7.1f} s  "
        f"{options.series / plain:8.1f} reeksen/s  → monitorbot is {ours / plain:.2f}× zo traag"
    )
    reference = timed_statsforecast(series, options.workers)
    if reference is None:
        print(
            "  statsforecast AutoETS: niet geïnstalleerd (pip install statsforecast), "
            "geen vergelijking"
        )
    else:
        print(
            f"  statsforecast AutoETS:                            {reference:7.1f} s  "
            f"{options.series / reference:8.1f} reeksen/s  → verhouding {ours / reference:.2f}×"
        )


if __name__ == "__main__":
    main()
