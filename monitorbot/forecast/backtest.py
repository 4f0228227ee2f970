"""How good is the prognosis? Replay history on the data as it was known then.

For year Y and each month m = 1..12 the prognosis is made from declarations
dated before the first day of month m+1 (vintage data, not today's complete
data) and compared with Y's final total as known today. The benchmark is what
municipalities do by hand: realised so far × 12 / m, on the as-declared figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.forecast.prognosis import build_budget_report
from monitorbot.forecast.results import PerceelPrognose
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

    @property
    def model_fout(self) -> float:
        return abs(self.model - self.finaal) / abs(self.finaal)

    @property
    def naief_fout(self) -> float:
        return abs(self.naief - self.finaal) / abs(self.finaal)

    @property
    def gedekt(self) -> bool:
        return self.lo80 <= self.finaal <= self.hi80


@dataclass
class BacktestResult:
    replays: list[Replay] = field(default_factory=list)

    def by_month(self) -> list[dict[str, float | int | None]]:
        """MAPE of model and naive extrapolation per month of the year, and 80 % coverage."""
        rows = []
        for month in range(1, 13):
            chosen = [r for r in self.replays if r.maand == month]
            if not chosen:
                continue
            model = float(np.mean([r.model_fout for r in chosen]))
            naive = float(np.mean([r.naief_fout for r in chosen]))
            rows.append(
                {
                    "maand": month,
                    "n": len(chosen),
                    "mape_model": model,
                    "mape_naief": naive,
                    "ratio": model / naive if naive else None,
                    "dekking_80": float(np.mean([r.gedekt for r in chosen])),
                }
            )
        return rows

    @property
    def coverage_80(self) -> float:
        return float(np.mean([r.gedekt for r in self.replays])) if self.replays else float("nan")


def _final_totals(
    session: Session, config: Config, spec: ForecastSpec, gemeente: str, year: int, today: date
) -> dict[str, PerceelPrognose]:
    report = build_budget_report(session, config, spec, gemeente, year, today)
    return {row.perceel: row for row in report.rows if row.niveau == "perceel"}


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
        final = _final_totals(session, config, spec, gemeente, year, today)
        scored = {
            key: row
            for key, row in final.items()
            if row.verwacht_compleet_cents
            and abs(row.verwacht_compleet_cents) >= MIN_FINAL_CENTS
            and not config.percelen.get(key).inkomsten
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
                    )
                )
            done += 1
            if progress:
                progress(done, steps)
    return result
