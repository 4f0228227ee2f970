"""How strongly the members of a region move together: the correlation behind a
regional interval.

A region's prognosis is the sum of its members'. Its uncertainty is not the sum of
theirs (members do not all miss in the same direction), nor their sum in quadrature
(a tariff, an indexation or a new regional contract moves them all). What lies in
between is measured here, per row of the budget table: the average pairwise
correlation of the members' year-on-year monthly cost growth over the last two
complete years, as known at the peildatum, shrunk toward one half where the
history is short. One number per row keeps the combined variance valid (a constant
correlation matrix is positive semidefinite) where a full matrix estimated from a
couple of dozen months would not be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from monitorbot.forecast.series import monthly_cost, monthly_totals

GROWTH_MONTHS = 24
"""Year-on-year growth points used (two years, so every calendar month counts twice)."""
SETTLE_MONTHS = 4
"""The last months before the peildatum are left out: late declarations still change them."""
PRIOR = 0.5
"""Where the history says nothing, members are taken to be half-way between independent
and moving as one."""
PRIOR_WEIGHT = 12
"""The prior counts as this many months of history."""


def member_costs(
    session: Session, gemeenten: Sequence[str], *, known_before: date, tijdzone: str
) -> dict[str, pd.DataFrame]:
    """Per member its cost per care month and perceel (declarations and monthly totals),
    as known before `known_before`: aggregates from SQL, scoped per gemeente."""
    costs = {}
    for gemeente in gemeenten:
        declared = monthly_cost(session, gemeente, known_before=known_before)
        totals = monthly_totals(session, gemeente, known_before=known_before, tijdzone=tijdzone)
        costs[gemeente] = pd.concat([declared, totals], ignore_index=True)
    return costs


def row_samenhang(
    costs: Mapping[str, pd.DataFrame], percelen: Sequence[str], *, peilmaand: date
) -> float:
    """The correlation of the members' monthly growth on the cost of `percelen`."""
    last = pd.Timestamp(peilmaand) - pd.DateOffset(months=SETTLE_MONTHS)
    first = last - pd.DateOffset(months=GROWTH_MONTHS + 12 - 1)
    growth = {}
    for gemeente, frame in costs.items():
        series = _monthly(frame[frame["perceel_id"].isin(percelen)], first, last)
        growth[gemeente] = _yearly_growth(series)
    return shrunk_mean_correlation(pd.DataFrame(growth))


MIN_MONTHS = 6
"""Two members need this many months in common for their correlation to count."""


def shrunk_mean_correlation(growth: pd.DataFrame) -> float:
    """Mean pairwise correlation of the columns, each pair over the months both have (a
    member without cost in one month does not take that month from the others), shrunk
    toward `PRIOR` by `PRIOR_WEIGHT` months, clipped to 0–1."""
    usable = growth.loc[:, (growth.notna().sum() >= MIN_MONTHS) & (growth.std() > 0)]
    if usable.shape[1] < 2:
        return PRIOR
    matrix = usable.corr(min_periods=MIN_MONTHS).to_numpy()
    upper = np.triu_indices_from(matrix, k=1)
    pairs = matrix[upper]
    overlap = usable.notna().astype(int)
    counts = (overlap.T @ overlap).to_numpy()[upper]
    known = np.isfinite(pairs)
    if not known.any():
        return PRIOR
    observed = float(pairs[known].mean())
    months = float(counts[known].mean())
    shrunk = (months * observed + PRIOR_WEIGHT * PRIOR) / (months + PRIOR_WEIGHT)
    return min(max(shrunk, 0.0), 1.0)


def _monthly(frame: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    index = pd.date_range(first, last, freq="MS")
    if frame.empty:
        return pd.Series(0.0, index=index)
    return frame.groupby("zorgmaand")["bedrag"].sum().reindex(index, fill_value=0).astype(float)


def _yearly_growth(series: pd.Series) -> pd.Series:
    """log(month / same month a year before); undefined where either is not positive."""
    earlier = series.shift(12)
    valid = (series > 0) & (earlier > 0)
    return np.log(series.where(valid) / earlier.where(valid)).iloc[12:]
