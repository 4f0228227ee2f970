"""How good is the prognosis? Replay history on the data as it was known then.

For year Y and each month m = 1..12 the prognosis is made from declarations
dated before the first day of month m+1 (vintage data, not today's complete
data) and compared with Y's final total as known today. The benchmark is what
municipalities do by hand: realised so far × 12 / m, on the as-declared figures.

The oracle says what could at best be known: months 1..m of Y as they turned out
(complete, as known today), scaled by the share those months had in Y-1. No
prognosis made at the end of month m can know those months complete, so the
oracle's error is the floor to judge the early months by; it needs Y-1's data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.forecast.prognosis import build_budget_report
from monitorbot.forecast.results import BudgetReport, PerceelPrognose
from monitorbot.forecast.spec import ForecastSpec

#: Rows scored: top-level percelen with at least this final total (tiny ones make % noise).
MIN_FINAL_CENTS = 10_000_000  # € 100.000


@dataclass(frozen=True)
class Replay:
    """One prognosis in the past, against what the year turned out to be."""

    jaar: int
    maand: int
    perceel: str
    finaal: float
    model: float
    naief: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    orakel: float | None = None  # None: no year before to take the months' share from

    @property
    def model_fout(self) -> float:
        return abs(self.model - self.finaal) / abs(self.finaal)

    @property
    def naief_fout(self) -> float:
        return abs(self.naief - self.finaal) / abs(self.finaal)

    @property
    def orakel_fout(self) -> float | None:
        return None if self.orakel is None else abs(self.orakel - self.finaal) / abs(self.finaal)

    @property
    def gedekt(self) -> bool:
        return self.lo80 <= self.finaal <= self.hi80

    @property
    def gedekt_95(self) -> bool:
        return self.lo95 <= self.finaal <= self.hi95


@dataclass
class BacktestResult:
    replays: list[Replay] = field(default_factory=list)

    def by_month(self) -> list[dict[str, float | int | None]]:
        """Per month of the year: MAPE of the model, the naive extrapolation and the
        oracle (over the replays that have one), and the 80 % and 95 % coverage."""
        rows = []
        for month in range(1, 13):
            chosen = [r for r in self.replays if r.maand == month]
            if not chosen:
                continue
            model = float(np.mean([r.model_fout for r in chosen]))
            naive = float(np.mean([r.naief_fout for r in chosen]))
            oracle_errors = [r.orakel_fout for r in chosen if r.orakel_fout is not None]
            oracle = float(np.mean(oracle_errors)) if oracle_errors else None
            rows.append(
                {
                    "maand": month,
                    "n": len(chosen),
                    "mape_model": model,
                    "mape_naief": naive,
                    "mape_orakel": oracle,
                    "ratio": model / naive if naive else None,
                    # In December the oracle knows the whole year: no ratio to speak of.
                    "ratio_orakel": model / oracle if oracle and oracle > 1e-9 else None,
                    "dekking_80": float(np.mean([r.gedekt for r in chosen])),
                    "dekking_95": float(np.mean([r.gedekt_95 for r in chosen])),
                }
            )
        return rows

    def coverage(self, months: range) -> tuple[float, float, int]:
        """80 % and 95 % coverage pooled over `months` (a dozen replays per month are too
        few to judge one month), and how many replays that is."""
        chosen = [r for r in self.replays if r.maand in months]
        if not chosen:
            return float("nan"), float("nan"), 0
        return (
            float(np.mean([r.gedekt for r in chosen])),
            float(np.mean([r.gedekt_95 for r in chosen])),
            len(chosen),
        )

    @property
    def coverage_80(self) -> float:
        return float(np.mean([r.gedekt for r in self.replays])) if self.replays else float("nan")


def _complete_months(report: BudgetReport, row: PerceelPrognose) -> list[float] | None:
    """A perceel's twelve months as expected complete (a parent: the sum of its parts);
    None when the report has no monthly path for it."""
    paths = [report.months_of(row.perceel)]
    if paths[0] is None:
        paths = [report.months_of(child) for child in row.children]
    if not paths or any(path is None for path in paths):
        return None
    months = [0.0] * 12
    for path in paths:
        for figure in path.maanden:  # type: ignore[union-attr]
            months[figure.maand.month - 1] += figure.verwacht_compleet_cents or 0.0
    return months


def oracle(this_year: list[float], last_year: list[float] | None, month: int) -> float | None:
    """Months 1..`month` of this year complete, scaled by their share of last year."""
    if last_year is None:
        return None
    last_total, last_share = sum(last_year), sum(last_year[:month])
    if last_total <= 0 or last_share <= 0:
        return None
    return sum(this_year[:month]) * last_total / last_share


def run_backtest(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    years: Sequence[int],
    *,
    today: date,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """Replay every month of `years`; `today` fixes what "final" means (data known now).

    Only closed years can be scored: a year's final total needs all twelve care
    months, so a year that has not ended before `today` is refused.
    """
    open_years = [year for year in years if date(year + 1, 1, 1) > today]
    if open_years:
        raise ValueError(
            f"jaar {', '.join(map(str, open_years))} is nog niet afgesloten op {today:%d-%m-%Y}: "
            "er is geen definitieve jaaruitkomst om de prognoses mee te vergelijken"
        )
    result = BacktestResult()
    steps = len(years) * 12
    done = 0
    for year in years:
        final = build_budget_report(session, config, spec, gemeente, year, today)
        before = build_budget_report(session, config, spec, gemeente, year - 1, today)
        rows_before = {row.perceel: row for row in before.rows}
        scored = {
            row.perceel: row
            for row in final.rows
            if row.niveau == "perceel"
            and row.verwacht_compleet_cents
            and abs(row.verwacht_compleet_cents) >= MIN_FINAL_CENTS
            and not config.percelen.get(row.perceel).inkomsten
        }
        complete = {key: _complete_months(final, row) for key, row in scored.items()}
        complete_before = {
            key: _complete_months(before, rows_before[key]) if key in rows_before else None
            for key in scored
        }
        for month in range(1, 13):
            as_of = date(year + month // 12, month % 12 + 1, 1)
            report = build_budget_report(session, config, spec, gemeente, year, as_of)
            rows = {row.perceel: row for row in report.rows}
            for key, truth in scored.items():
                row = rows[key]
                if row.model is None:
                    continue
                naive = row.gedeclareerd_cents * 12 / month
                months = complete[key]
                result.replays.append(
                    Replay(
                        jaar=year,
                        maand=month,
                        perceel=key,
                        finaal=truth.verwacht_compleet_cents,
                        model=row.model.mid,
                        naief=naive,
                        lo80=row.model.lo80,
                        hi80=row.model.hi80,
                        lo95=row.model.lo95,
                        hi95=row.model.hi95,
                        orakel=None
                        if months is None
                        else oracle(months, complete_before[key], month),
                    )
                )
            done += 1
            if progress:
                progress(done, steps)
    return result
