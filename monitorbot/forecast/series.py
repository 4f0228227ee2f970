"""Monthly series straight from SQL: the forecast never loops over declaration rows.

Every query is scoped by gemeente and can be cut at a *vintage*: `known_before`
keeps only lines whose declaration date lies before it, which is what the data
looked like on that day (for the nowcast, the backtest and `rules test`).
Amounts stay integer cents until the models take over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from monitorbot.store import models
from monitorbot.store.queries.known import totals_known

LINE = models.Declaratieregel


def vintage(query, known_before: date | None):  # type: ignore[no-untyped-def]
    """The query as the data looked on `known_before`: lines declared before that day."""
    return query if known_before is None else query.where(LINE.declaratiedatum < known_before)


def monthly_cost(
    session: Session,
    gemeente: str,
    *,
    by: Sequence[str] = ("perceel_id",),
    known_before: date | None = None,
    percelen: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cost per care month, grouped by `by` (columns of declaratieregel), in cents.

    Returns columns `zorgmaand` (Timestamp), the `by` columns and `bedrag` (int).
    """
    keys = [getattr(LINE, column) for column in by]
    query = select(LINE.zorgmaand, *keys, func.sum(LINE.bedrag_cents).label("bedrag")).where(
        LINE.gemeente_code == gemeente
    )
    if percelen is not None:
        query = query.where(LINE.perceel_id.in_(list(percelen)))
    query = vintage(query, known_before).group_by(LINE.zorgmaand, *keys)
    frame = pd.DataFrame(session.execute(query).all(), columns=["zorgmaand", *by, "bedrag"])
    return _typed(frame)


def declaration_lags(
    session: Session,
    gemeente: str,
    *,
    group: str | None = None,
    known_before: date | None = None,
    percelen: Sequence[str] | None = None,
    aanbieders: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cost per care month and declaration lag in months (the development triangle).

    `lag` = months between the care month and the month of the declaration date.
    With `group` (e.g. `aanbieder_agb` or `perceel_id`) the triangle is per group.
    """
    lag = (extract("year", LINE.declaratiedatum) - extract("year", LINE.zorgmaand)) * 12 + (
        extract("month", LINE.declaratiedatum) - extract("month", LINE.zorgmaand)
    )
    lag = lag.label("lag")
    keys = [getattr(LINE, group).label("groep")] if group else []
    query = select(LINE.zorgmaand, lag, *keys, func.sum(LINE.bedrag_cents).label("bedrag")).where(
        LINE.gemeente_code == gemeente
    )
    if percelen is not None:
        query = query.where(LINE.perceel_id.in_(list(percelen)))
    if aanbieders is not None:
        query = query.where(LINE.aanbieder_agb.in_(list(aanbieders)))
    query = vintage(query, known_before).group_by(LINE.zorgmaand, lag, *keys)
    columns = ["zorgmaand", "lag", *(["groep"] if group else []), "bedrag"]
    frame = _typed(pd.DataFrame(session.execute(query).all(), columns=columns))
    frame["lag"] = frame["lag"].astype(int).clip(lower=0)
    return frame


def unique_clients(
    session: Session,
    gemeente: str,
    percelen: Sequence[str],
    *,
    known_before: date | None = None,
    per: str = "month",
) -> pd.DataFrame:
    """Distinct clients with cost in the given percelen, per care month or per year.

    A client counts where their net cost in the period is positive: a line that was
    credited or rejected (a 325) does not make someone a client."""
    period = LINE.zorgmaand if per == "month" else extract("year", LINE.zorgmaand)
    per_client = select(period.label("periode"), LINE.client_pseudoniem).where(
        LINE.gemeente_code == gemeente, LINE.perceel_id.in_(list(percelen))
    )
    per_client = (
        vintage(per_client, known_before)
        .group_by(period, LINE.client_pseudoniem)
        .having(func.sum(LINE.bedrag_cents) > 0)
        .subquery()
    )
    query = select(per_client.c.periode, func.count()).group_by(per_client.c.periode)
    frame = pd.DataFrame(session.execute(query).all(), columns=["periode", "clienten"])
    if per == "month":
        frame["periode"] = pd.to_datetime(frame["periode"])
    else:
        frame["periode"] = frame["periode"].astype(int)
    return frame


def monthly_totals(
    session: Session,
    gemeente: str,
    *,
    known_before: date | None = None,
    tijdzone: str = "Europe/Amsterdam",
) -> pd.DataFrame:
    """PGB and other monthly totals (`pgb_maand`) as `zorgmaand, perceel_id, bedrag`.

    Totals carry no declaration date: at a peildatum a month is known when its
    file had arrived, or (a file loaded as history) when its end plus the source's
    usual delay had passed (`store.queries.known`). Only ended months count.
    """
    pgb, file = models.PgbMaand, models.Bronbestand
    query = select(pgb.maand, pgb.perceel_id, pgb.bedrag_cents).where(pgb.gemeente_code == gemeente)
    if known_before is not None:
        query = query.join(file, file.id == pgb.bestand_id).where(
            totals_known(known_before, tijdzone)
        )
    frame = pd.DataFrame(
        session.execute(query).all(), columns=["zorgmaand", "perceel_id", "bedrag"]
    )
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["zorgmaand"] = pd.to_datetime(frame["zorgmaand"])
    frame["bedrag"] = frame["bedrag"].astype("int64")
    return frame


def dense_monthly(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """One value per month from `start` to `end` inclusive; months without cost are 0."""
    index = pd.date_range(start, end, freq="MS")
    series = frame.groupby("zorgmaand")["bedrag"].sum() if len(frame) else pd.Series(dtype=float)
    return series.reindex(index, fill_value=0).astype(float)


__all__ = [
    "declaration_lags",
    "dense_monthly",
    "monthly_cost",
    "monthly_totals",
    "unique_clients",
    "vintage",
]
