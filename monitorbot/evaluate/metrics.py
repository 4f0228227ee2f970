"""Computing the catalogue's metrics for one municipality as known on one day.

Every function returns `Measurement`s: the value per row (a perceel, a
provider, ...), the references a rule may compare with, the impact in cents
that a rule's `minimale_impact` tests, and the inputs that explain the figure.
Inputs are aggregates only (amounts, counts, percentages): no pseudonym or
client row ever leaves this module, because the inputs are stored with every
evaluation and shown in messages.

Expensive shared work (the budget report, provider prognoses) is computed once
per evaluation and only when a rule needs it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cached_property
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.config.codes import NIET_INGEDEELD
from monitorbot.config.models import Perceel
from monitorbot.core.calendar import Peildatum, same_day, shift_months
from monitorbot.core.privacy import redact
from monitorbot.evaluate.catalogue import MIN_CLIENTS, MIN_STARTS, WAIT_WINDOW
from monitorbot.evaluate.snapshot import Measurement, metric_key
from monitorbot.forecast.models import forecast_series
from monitorbot.forecast.prognosis import build_budget_report, completed_series, provider_prognoses
from monitorbot.forecast.results import AanbiederPrognose, BudgetReport, PerceelPrognose
from monitorbot.forecast.spec import ForecastSpec
from monitorbot.forecast.why import period_figures
from monitorbot.store import models
from monitorbot.store.queries import quality
from monitorbot.store.queries.allocations import (
    allocations_known,
    duration_months,
    ended_trajectories,
)
from monitorbot.store.queries.known import moment_of, totals_month_known
from monitorbot.store.queries.quality import WINDOW

LINE = models.Declaratieregel
LOCAL_TEAM_CATEGORY = "31"


class MetricContext:
    """One municipality as known at a peildatum.

    `as_of` is the peildatum's grens (everything dated before it counts); the
    sources that count by when they arrived (quarantined files, findings) are cut
    at the same grens, at midnight in the deployment's time zone.
    """

    def __init__(
        self,
        session: Session,
        config: Config,
        spec: ForecastSpec,
        gemeente: str,
        peildatum: Peildatum,
    ):
        self.session = session
        self.config = config
        self.spec = spec
        self.gemeente = gemeente
        self.peildatum = peildatum
        self.as_of = peildatum.grens
        self.window_end = moment_of(peildatum.grens, config.deployment.tijdzone)
        self.settings = config.gemeente(gemeente)
        self.year = peildatum.jaar
        self._memo: dict[Any, Any] = {}
        self.measured: dict[str, tuple[Measurement, ...]] = {}  # what the snapshot keeps

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Compute once per evaluation: several rules share a metric's rows."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @cached_property
    def budget(self) -> BudgetReport:
        return build_budget_report(
            self.session, self.config, self.spec, self.gemeente, self.year, self.as_of
        )

    @cached_property
    def providers(self) -> list[AanbiederPrognose]:
        return provider_prognoses(
            self.session, self.config, self.spec, self.gemeente, self.year, self.as_of
        )

    @property
    def top_level(self) -> list[Perceel]:
        """Percelen that stand on their own (sub-percelen are counted in their parent)."""
        return [p for p in self.config.percelen.percelen if p.onderdeel_van is None]

    def members(self, perceel: Perceel) -> list[str]:
        return self.config.percelen.members(perceel.id)

    def top_level_of(self, perceel_id: str) -> str:
        known = self.config.percelen.get(perceel_id) is not None
        return self.config.percelen.top_level(perceel_id) if known else perceel_id

    def perceel_naam(self, perceel_id: str) -> str:
        perceel = self.config.percelen.get(perceel_id)
        return perceel.naam if perceel else perceel_id


# --------------------------------------------------------------------------- budget


def _budget_rows(ctx: MetricContext, scope: str) -> list[PerceelPrognose]:
    niveau = {"perceel": "perceel", "domein": "domein", "totaal": "totaal"}[scope]
    return [r for r in ctx.budget.rows if r.niveau == niveau and r.has_content]


def _row_labels(row: PerceelPrognose, year: int) -> dict[str, str]:
    """A budget row's identity, with its year: a new budget year is a new alert."""
    jaar = {"jaar": str(year)}
    if row.niveau == "domein":
        return {"domein": row.domein} | jaar
    if row.niveau == "totaal":
        return {"totaal": "totaal"} | jaar
    return {"perceel": row.perceel, "domein": row.domein} | jaar


def _prognosis_inputs(row: PerceelPrognose) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "jaar": None,
        "begroting_cents": row.begroting_cents,
        "prognose_cents": _round(row.prognose_cents),
        "restant_cents": _round(row.restant_cents),
        "v_n": row.v_n,
        # restant / |begroting|: negative is nadeel for income rows too, like the metric.
        "afwijking_pct": _pct(
            row.restant_cents / abs(row.begroting_cents)
            if row.begroting_cents and row.restant_cents is not None
            else None
        ),
        "gedeclareerd_cents": _round(row.gedeclareerd_cents),
        "verwacht_compleet_cents": _round(row.verwacht_compleet_cents),
        "bron": row.bron,
        "model": row.modelnaam,
    }
    if row.model is not None:
        inputs |= {
            "model_prognose_cents": _round(row.model.mid),
            "lo80_cents": _round(row.model.lo80),
            "hi80_cents": _round(row.model.hi80),
            "lo95_cents": _round(row.model.lo95),
            "hi95_cents": _round(row.model.hi95),
        }
    if row.correctie is not None:
        inputs["correctie"] = {
            "reden": row.correctie.reden,
            "door": row.correctie.door,
            "datum": row.correctie.datum.isoformat(),
        }
    return inputs


def prognose_afwijking_pct(ctx: MetricContext, scope: str) -> list[Measurement]:
    result = []
    for row in _budget_rows(ctx, scope):
        if not row.begroting_cents or row.restant_cents is None:
            continue
        inputs = _prognosis_inputs(row) | {"jaar": ctx.year}
        result.append(
            Measurement(
                _row_labels(row, ctx.year),
                row.naam,
                # Divided by |begroting| so that negative means nadeel for income rows too.
                row.restant_cents / abs(row.begroting_cents) * 100,
                impact_cents=abs(row.restant_cents),
                invoer=inputs,
            )
        )
    return result


def prognose(ctx: MetricContext, scope: str) -> list[Measurement]:
    result = []
    for row in _budget_rows(ctx, scope):
        if row.prognose_cents is None:
            continue
        impact = abs(row.restant_cents) if row.restant_cents is not None else None
        result.append(
            Measurement(
                _row_labels(row, ctx.year),
                row.naam,
                row.prognose_cents,
                {"begroting": row.begroting_cents},
                impact,
                _prognosis_inputs(row) | {"jaar": ctx.year},
            )
        )
    return result


def _provider_inputs(ctx: MetricContext, row: AanbiederPrognose) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "jaar": ctx.year,
        "budgetindicatie_cents": row.budgetindicatie_cents,
        "gedeclareerd_cents": _round(row.gedeclareerd_cents),
        "model": row.modelnaam,
        "overschrijding_maand": (
            row.overschrijding_maand.isoformat() if row.overschrijding_maand else None
        ),
    }
    if row.model is not None:
        inputs |= {
            "prognose_cents": _round(row.model.mid),
            "lo80_cents": _round(row.model.lo80),
            "hi80_cents": _round(row.model.hi80),
            "restant_cents": _round(row.restant_cents),
            "afwijking_pct": _pct(row.afwijking),
        }
    return inputs


def aanbieder_afwijking_pct(ctx: MetricContext, scope: str) -> list[Measurement]:
    return [
        Measurement(
            {"aanbieder": row.agb, "jaar": str(ctx.year)},
            row.naam,
            row.afwijking * 100,
            impact_cents=abs(row.restant_cents or 0.0),
            invoer=_provider_inputs(ctx, row),
        )
        for row in ctx.providers
        if row.afwijking is not None
    ]


def aanbieder_prognose(ctx: MetricContext, scope: str) -> list[Measurement]:
    return [
        Measurement(
            {"aanbieder": row.agb, "jaar": str(ctx.year)},
            row.naam,
            row.model.mid,
            {"budgetindicatie": row.budgetindicatie_cents},
            abs(row.restant_cents or 0.0),
            _provider_inputs(ctx, row),
        )
        for row in ctx.providers
        if row.model is not None
    ]


# --------------------------------------------------------------------------- anomaly, growth


def maandkosten(ctx: MetricContext, scope: str) -> list[Measurement]:
    """The month two before the peilmaand against a forecast made without it.

    By then most of the month has been declared, so a value outside the 95 %
    band is a change in the care itself rather than in the declaring. The month
    is a label: every unusual month is its own alert.
    """
    month = pd.Timestamp(shift_months(ctx.as_of, -3))
    result = []
    for perceel in ctx.top_level:
        if not perceel.regels and not any(
            p.onderdeel_van == perceel.id for p in ctx.config.percelen.percelen
        ):
            continue
        completed = completed_series(ctx.session, ctx.gemeente, ctx.members(perceel), ctx.as_of)
        if completed is None or month not in completed.verwacht.index:
            continue
        history = completed.verwacht[completed.verwacht.index < month]
        if len(history) < 12:
            continue
        forecast = forecast_series(
            history,
            1,
            spec=ctx.spec.for_series(perceel.id),
            exog_uncertainty=completed.se[completed.se.index < month],
        ).to_frame()
        lo95, hi95 = float(forecast["lo95"].iloc[0]), float(forecast["hi95"].iloc[0])
        value = float(completed.verwacht[month])
        expected = float(forecast["mean"].iloc[0])
        result.append(
            Measurement(
                {"perceel": perceel.id, "domein": perceel.domein, "zorgmaand": f"{month:%Y-%m}"},
                f"{perceel.naam}, {month:%m-%Y}",
                value,
                {"interval_95": (lo95, hi95)},
                abs(value - expected),
                {
                    "zorgmaand": month.date().isoformat(),
                    "verwacht_compleet_cents": _round(value),
                    "gedeclareerd_cents": _round(float(completed.gedeclareerd[month])),
                    "voorspeld_cents": _round(expected),
                    "lo95_cents": _round(lo95),
                    "hi95_cents": _round(hi95),
                },
            )
        )
    return result


def _completed_year(ctx: MetricContext, perceel: Perceel, year: int) -> float:
    """A year's cost as expected when complete: early in a year, last year is still arriving."""
    completed = completed_series(ctx.session, ctx.gemeente, ctx.members(perceel), ctx.as_of)
    if completed is None:
        return 0.0
    return float(completed.verwacht[completed.verwacht.index.year == year].sum())


def groei_boven_begroting_pct(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Growth excluding indexation against the growth the budget assumed, in %-points."""
    result = []
    for row in _budget_rows(ctx, "perceel"):
        perceel = ctx.config.percelen.get(row.perceel)
        if perceel is None or row.begroting_cents is None or row.prognose_cents is None:
            continue
        previous = _completed_year(ctx, perceel, ctx.year - 1)
        if previous <= 0 or row.begroting_cents <= 0:
            continue
        index = ctx.settings.indexatie_voor(ctx.year, perceel.id)
        budgeted = (index.begroot if index else 0.0) / 100
        actual = ctx.settings.indexatie_pct(ctx.year, perceel.id) / 100
        growth = row.prognose_cents / previous / (1 + actual) - 1
        assumed = row.begroting_cents / previous / (1 + budgeted) - 1
        result.append(
            Measurement(
                _row_labels(row, ctx.year),
                row.naam,
                (growth - assumed) * 100,
                impact_cents=abs(row.restant_cents or 0.0),
                invoer={
                    "jaar": ctx.year,
                    "realisatie_vorig_jaar_cents": round(previous),
                    "prognose_cents": _round(row.prognose_cents),
                    "begroting_cents": row.begroting_cents,
                    "groei_excl_indexatie_pct": round(growth * 100, 2),
                    "groei_incl_indexatie_pct": round((row.prognose_cents / previous - 1) * 100, 2),
                    "begrote_groei_excl_indexatie_pct": round(assumed * 100, 2),
                    "indexatie_begroot_pct": budgeted * 100,
                    "indexatie_werkelijk_pct": actual * 100,
                },
            )
        )
    return result


# --------------------------------------------------------------------------- clients


def _client_rows(ctx: MetricContext) -> list[tuple[Perceel, Any, Any]]:
    """Client figures per top-level ZIN perceel: the last 12 care months against the 12 before.

    Rolling twelve months rather than the year so far: in January a year-to-date
    share of the top 10 or a client count compares one month with one month and
    swings wildly. The last care month counted is two before the peilmaand (mostly
    declared), and the earlier period is taken as it was known a year earlier, so
    both are equally complete.
    """
    return ctx.memo("client_rows", lambda: _compute_client_rows(ctx))


def _compute_client_rows(ctx: MetricContext) -> list[tuple[Perceel, Any, Any]]:
    last = shift_months(ctx.as_of, -2)
    periods = [(shift_months(last, -23), shift_months(last, -12)), (shift_months(last, -11), last)]
    vintages = [same_day(ctx.as_of, -1), ctx.as_of]
    threshold = ctx.config.deployment.hoge_kosten_grens
    rows = []
    for perceel in ctx.top_level:
        if perceel.soort != "zin":
            continue
        previous, current = (
            period_figures(
                ctx.session,
                ctx.gemeente,
                ctx.members(perceel),
                first,
                end,
                high_cost_cents=threshold,
                known_before=known,
            )
            for (first, end), known in zip(periods, vintages, strict=True)
        )
        # Small cells describe persons, not a perceel: with few clients the top 10 is everyone.
        if current.kosten_cents > 0 and current.clienten >= MIN_CLIENTS:
            rows.append((perceel, previous, current))
    return rows


def _client_inputs(ctx: MetricContext, perceel: Perceel, previous: Any, current: Any) -> dict:
    last = shift_months(ctx.as_of, -2)
    return {
        "periode": f"{shift_months(last, -11):%Y-%m} t/m {last:%Y-%m}",
        "kosten_cents": current.kosten_cents,
        "kosten_vorig_jaar_cents": previous.kosten_cents,
        "unieke_clienten": current.clienten,
        "unieke_clienten_vorig_jaar": previous.clienten,
        "kosten_per_client_cents": round(current.kosten_per_client),
        "kosten_per_client_vorig_jaar_cents": round(previous.kosten_per_client),
        "top10_aandeel_pct": round(current.top10_aandeel * 100, 1),
        "boven_hoge_kosten_grens": current.boven_grens,
    }


def unieke_clienten_groei_pct(ctx: MetricContext, scope: str) -> list[Measurement]:
    return [
        Measurement(
            {"perceel": p.id, "domein": p.domein},
            p.naam,
            (cur.clienten / prev.clienten - 1) * 100,
            impact_cents=abs(cur.kosten_cents - prev.kosten_cents),
            invoer=_client_inputs(ctx, p, prev, cur),
        )
        for p, prev, cur in _client_rows(ctx)
        if prev.clienten
    ]


def kosten_per_client_groei_pct(ctx: MetricContext, scope: str) -> list[Measurement]:
    result = []
    for p, prev, cur in _client_rows(ctx):
        if not prev.clienten or not cur.clienten:
            continue
        pct = ctx.settings.indexatie_pct(ctx.year, p.id)
        growth = cur.kosten_per_client / (1 + pct / 100) / prev.kosten_per_client - 1
        result.append(
            Measurement(
                {"perceel": p.id, "domein": p.domein},
                p.naam,
                growth * 100,
                impact_cents=abs(cur.kosten_cents - prev.kosten_cents),
                invoer=_client_inputs(ctx, p, prev, cur) | {"indexatie_pct": pct},
            )
        )
    return result


def top10_aandeel_pct(ctx: MetricContext, scope: str) -> list[Measurement]:
    return [
        Measurement(
            {"perceel": p.id, "domein": p.domein},
            p.naam,
            cur.top10_aandeel * 100,
            impact_cents=float(cur.top10_cents),
            invoer=_client_inputs(ctx, p, prev, cur),
        )
        for p, prev, cur in _client_rows(ctx)
    ]


def hoge_kosten_gevallen(ctx: MetricContext, scope: str) -> list[Measurement]:
    return [
        Measurement(
            {"perceel": p.id, "domein": p.domein},
            p.naam,
            float(cur.boven_grens),
            invoer=_client_inputs(ctx, p, prev, cur)
            | {"grens_cents": ctx.config.deployment.hoge_kosten_grens},
        )
        for p, prev, cur in _client_rows(ctx)
    ]


# --------------------------------------------------------------------------- waiting


def norm_for(ctx: MetricContext, perceel_id: str, aanbieder: str | None) -> int | None:
    """The most specific waiting-time norm: provider+perceel, perceel, then the parent's."""
    norms = ctx.settings.wachttijdnormen
    chain = [perceel_id]
    parent = ctx.config.percelen.get(perceel_id)
    if parent is not None and parent.onderdeel_van:
        chain.append(parent.onderdeel_van)
    for candidate in chain:
        for norm in norms:
            if norm.perceel == candidate and aanbieder and norm.aanbieder == aanbieder:
                return norm.dagen
        for norm in norms:
            if norm.perceel == candidate and norm.aanbieder is None:
                return norm.dagen
    return None


def _waits(ctx: MetricContext) -> list[tuple[str, str, int]]:
    """(perceel, aanbieder, days) of allocations started in the 12 months before as_of.

    Fetches only two dates per started allocation; the days are computed here
    because date arithmetic differs between SQLite and PostgreSQL.
    """
    return ctx.memo("wait_rows", lambda: _compute_waits(ctx))


def _compute_waits(ctx: MetricContext) -> list[tuple[str, str, int]]:
    known = allocations_known(ctx.gemeente, ctx.as_of, ctx.config.deployment.tijdzone)
    rows = ctx.session.execute(
        select(known.c.perceel_id, known.c.aanbieder_agb, known.c.toegewezen, known.c.gestart)
        .where(
            known.c.gestart.is_not(None),
            known.c.toegewezen.is_not(None),
            known.c.gestart < ctx.as_of,
            known.c.gestart >= ctx.as_of - WAIT_WINDOW,
        )
        .execution_options(yield_per=10_000)
    )
    return [
        (perceel or NIET_INGEDEELD, agb or "", max((start - allocated).days, 0))
        for perceel, agb, allocated, start in rows
    ]


def _wait_metric(ctx: MetricContext, scope: str, figure: Callable[[list[int]], float]):
    groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for perceel, agb, days in _waits(ctx):
        if scope == "perceel":
            groups[(ctx.top_level_of(perceel), None)].append(days)
        else:
            groups[(perceel, agb)].append(days)
    start = ctx.as_of - WAIT_WINDOW
    result = []
    for (perceel, agb), days in sorted(
        groups.items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        if len(days) < MIN_STARTS:
            continue  # a median of two starts is an anecdote, not a waiting time
        labels = {"perceel": perceel}
        titel = ctx.perceel_naam(perceel)
        if agb is not None:
            labels["aanbieder"] = agb
            titel = f"{ctx.settings.aanbieder_naam(agb)} — {titel}"
        norm = norm_for(ctx, perceel, agb)
        result.append(
            Measurement(
                labels,
                titel,
                figure(days),
                {"norm": norm},
                None,
                {
                    "gestart": len(days),
                    "mediaan_dagen": statistics.median(days),
                    "p90_dagen": _p90(days),
                    "norm_dagen": norm,
                    "boven_norm": sum(d > norm for d in days) if norm else None,
                    "periode": f"{start:%Y-%m-%d} t/m {ctx.as_of - timedelta(days=1):%Y-%m-%d}",
                },
            )
        )
    return result


def _p90(days: list[int]) -> float:
    return float(np.percentile(days, 90, method="nearest")) if days else 0.0


def wachttijd_mediaan_dagen(ctx: MetricContext, scope: str) -> list[Measurement]:
    return _wait_metric(ctx, scope, lambda d: float(statistics.median(d)))


def wachttijd_p90_dagen(ctx: MetricContext, scope: str) -> list[Measurement]:
    return _wait_metric(ctx, scope, _p90)


def waiting_list(ctx: MetricContext, on: date) -> dict[str, int]:
    """Allocations of the 12 months before `on` not started and not ended, as known then."""
    known = allocations_known(ctx.gemeente, on, ctx.config.deployment.tijdzone)
    rows = ctx.session.execute(
        select(known.c.perceel_id, func.count())
        .where(
            known.c.toegewezen < on,
            known.c.toegewezen >= on - WAIT_WINDOW,
            (known.c.gestart.is_(None)) | (known.c.gestart >= on),
            (known.c.gestopt.is_(None)) | (known.c.gestopt >= on),
            (known.c.einde.is_(None)) | (known.c.einde >= on),
        )
        .group_by(known.c.perceel_id)
    ).all()
    counts: dict[str, int] = defaultdict(int)
    for perceel, count in rows:
        counts[ctx.top_level_of(perceel or NIET_INGEDEELD)] += int(count)
    return dict(counts)


def _waiting_list_rows(ctx: MetricContext, scope: str) -> list[tuple[dict, str, int, int]]:
    now = waiting_list(ctx, ctx.as_of)
    before = waiting_list(ctx, ctx.as_of - timedelta(days=91))
    if scope == "gemeente":
        return [({}, "Wachtlijst (alle percelen)", sum(now.values()), sum(before.values()))]
    return [
        ({"perceel": p}, ctx.perceel_naam(p), now.get(p, 0), before.get(p, 0))
        for p in sorted(set(now) | set(before))
    ]


def wachtlijst(ctx: MetricContext, scope: str) -> list[Measurement]:
    return [
        Measurement(
            labels, titel, float(now), invoer={"wachtlijst": now, "drie_maanden_eerder": was}
        )
        for labels, titel, now, was in _waiting_list_rows(ctx, scope)
    ]


def wachtlijst_groei_pct(ctx: MetricContext, scope: str) -> list[Measurement]:
    return [
        Measurement(
            labels,
            titel,
            (now / was - 1) * 100,
            invoer={"wachtlijst": now, "drie_maanden_eerder": was},
        )
        for labels, titel, now, was in _waiting_list_rows(ctx, scope)
        if was > 0
    ]


# --------------------------------------------------------------------------- requests

#: The legal term for a decision on a request for youth care or Wmo support: eight weeks.
BESLISTERMIJN_DAGEN = 56


def _requests(ctx: MetricContext) -> list[tuple[date, date | None, date | None]]:
    """(requested, allocated, refused) of the requests (315) of the last 12 months, as known."""

    def compute() -> list[tuple[date, date | None, date | None]]:
        known = allocations_known(ctx.gemeente, ctx.as_of, ctx.config.deployment.tijdzone)
        rows = ctx.session.execute(
            select(known.c.aangevraagd, known.c.toegewezen, known.c.afgewezen).where(
                known.c.aangevraagd.is_not(None),
                known.c.aangevraagd >= ctx.as_of - WAIT_WINDOW,
            )
        ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    return ctx.memo("requests", compute)


def aanvragen_in_behandeling(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Requests neither allocated nor refused yet: the stock before the waiting list."""
    rows = _requests(ctx)
    open_ = [asked for asked, allocated, refused in rows if allocated is None and refused is None]
    overdue = sum((ctx.as_of - asked).days > BESLISTERMIJN_DAGEN for asked in open_)
    return [
        Measurement(
            {},
            "Aanvragen in behandeling",
            float(len(open_)),
            invoer={"in_behandeling": len(open_), "langer_dan_acht_weken": overdue},
        )
    ]


def afgewezen_aanvragen(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Requests refused by a 319 in the 12 months before the peildatum."""
    rows = _requests(ctx)
    refused = sum(r is not None and a is None for _, a, r in rows)
    decided = sum(a is not None or r is not None for _, a, r in rows)
    return [
        Measurement(
            {},
            "Afgewezen aanvragen",
            float(refused),
            invoer={"afgewezen": refused, "besluiten": decided},
        )
    ]


def beslistermijn_dagen(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Median days from request (315) to decision (301 or refusing 319), decided this year."""
    days = [
        ((allocated or refused) - asked).days
        for asked, allocated, refused in _requests(ctx)
        if (allocated or refused) is not None
    ]
    if len(days) < MIN_STARTS:
        return []
    return [
        Measurement(
            {},
            "Doorlooptijd van aanvraag tot besluit",
            float(statistics.median(days)),
            invoer={
                "besluiten": len(days),
                "p90_dagen": _p90([max(d, 0) for d in days]),
                "wettelijke_termijn_dagen": BESLISTERMIJN_DAGEN,
                "boven_termijn": sum(d > BESLISTERMIJN_DAGEN for d in days),
            },
        )
    ]


# --------------------------------------------------------------------------- KPI


def kpi(ctx: MetricContext, scope: str) -> list[Measurement]:
    """The configured KPIs that the data can compute; the others are listed as not computed."""
    last = shift_months(ctx.as_of, -2)
    first = shift_months(last, -11)
    threshold = ctx.config.deployment.hoge_kosten_grens
    result = []
    for doel in ctx.settings.kpi_doelen:
        labels = {"kpi": doel.kpi} | ({"perceel": doel.perceel} if doel.perceel else {})
        references = {"kpi_doel": doel.doel, "kpi_richting": doel.richting}
        inputs: dict[str, Any] = {
            "periode": f"{first:%Y-%m} t/m {last:%Y-%m}",
            "doel": doel.doel,
            "richting": doel.richting,
        }
        if doel.kpi == "kosten_per_client" and doel.perceel:
            perceel = ctx.config.percelen.get(doel.perceel)
            figures = period_figures(
                ctx.session,
                ctx.gemeente,
                ctx.members(perceel) if perceel else [doel.perceel],
                first,
                last,
                high_cost_cents=threshold,
                known_before=ctx.as_of,
            )
            if not figures.clienten:
                continue
            value = figures.kosten_per_client / 100
            inputs |= {
                "kosten_cents": figures.kosten_cents,
                "unieke_clienten": figures.clienten,
                "eenheid": "euro",
            }
            titel = f"Kosten per cliënt {ctx.perceel_naam(doel.perceel)}"
        elif doel.kpi == "aandeel_lokaal_team":
            value_or_none = _local_team_share(ctx, first, last)
            if value_or_none is None:
                continue
            value, inputs["toelichting"] = value_or_none, "cliënten met alleen categorie 31"
            inputs["eenheid"] = "procent"
            titel = "Aandeel jeugdcliënten geholpen door het lokale team"
        elif doel.kpi == "verblijf_vs_pleegzorg":
            counts = (
                _clients_in(ctx, doel.verblijf, first, last),
                _clients_in(ctx, doel.pleegzorg, first, last),
            )
            if min(counts) < MIN_CLIENTS:
                continue  # small numbers describe persons: suppressed, not computed
            value = counts[0] / counts[1] * 100
            inputs |= {
                "clienten_verblijf": counts[0],
                "clienten_pleegzorg": counts[1],
                "eenheid": "procent",
            }
            titel = "Cliënten in groepsverblijf per 100 in pleegzorg"
        elif doel.kpi == "doorlooptijd":
            months, clients = _trajectory_months(ctx, doel.perceel)
            if clients < MIN_CLIENTS:
                continue  # ten trajectories of three clients still describe three persons
            value = statistics.fmean(months)
            since = shift_months(ctx.as_of, -12)
            inputs |= {
                "trajecten": len(months),
                "periode": f"beëindigd {since:%Y-%m} t/m {ctx.peildatum.laatste_dag:%Y-%m}",
                "eenheid": "maanden",
            }
            where = f" {ctx.perceel_naam(doel.perceel)}" if doel.perceel else ""
            titel = f"Gemiddelde doorlooptijd van trajecten{where} (maanden)"
        else:
            continue
        result.append(Measurement(labels, titel, value, references, None, inputs))
    return result


def _clients_in(ctx: MetricContext, percelen: list[str], first: date, last: date) -> int:
    """Unique clients (with cost) in these percelen and their sub-percelen in the months."""
    members = [m for p in percelen for m in ctx.config.percelen.members(p)]
    return period_figures(
        ctx.session,
        ctx.gemeente,
        members,
        first,
        last,
        high_cost_cents=ctx.config.deployment.hoge_kosten_grens,
        known_before=ctx.as_of,
    ).clienten


def _trajectory_months(ctx: MetricContext, perceel: str | None) -> tuple[list[float], int]:
    """Durations of the trajectories that ended in the 12 months before the peildatum,
    and how many clients they are about (the figure is suppressed below 10 clients)."""
    members = ctx.config.percelen.members(perceel) if perceel else None
    query = ended_trajectories(
        ctx.gemeente,
        ctx.as_of,
        ctx.config.deployment.tijdzone,
        shift_months(ctx.as_of, -12),
        members,
    )
    rows = ctx.session.execute(query).all()
    clients = len({client for _, _, client, _, _ in rows if client is not None})
    return [duration_months(start, stop) for _, _, _, start, stop in rows], clients


def _local_team_share(ctx: MetricContext, first: date, last: date) -> float | None:
    youth = [p.id for p in ctx.config.percelen.percelen if p.domein == "jeugd"]
    per_client = (
        select(
            LINE.client_pseudoniem,
            func.min(LINE.productcategorie).label("low"),
            func.max(LINE.productcategorie).label("high"),
        )
        .where(
            LINE.gemeente_code == ctx.gemeente,
            LINE.perceel_id.in_(youth),
            LINE.zorgmaand >= first,
            LINE.zorgmaand <= last,
            LINE.declaratiedatum < ctx.as_of,
        )
        .group_by(LINE.client_pseudoniem)
        .having(func.sum(LINE.bedrag_cents) > 0)  # a client as `unique_clients` counts one
        .subquery()
    )
    local_only = (per_client.c.low == LOCAL_TEAM_CATEGORY) & (
        per_client.c.high == LOCAL_TEAM_CATEGORY
    )
    total, local = ctx.session.execute(select(func.count(), func.count().filter(local_only))).one()
    if not total or not local:
        return None  # no local-team care is declared here: the KPI cannot be computed
    return local / total * 100


# --------------------------------------------------------------------------- data quality


def ontbrekende_declaraties(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Providers that declared every one of four earlier months but not the recent ones."""
    checked = [shift_months(ctx.as_of, -3), shift_months(ctx.as_of, -2)]
    baseline = [shift_months(ctx.as_of, k) for k in range(-7, -3)]
    rows = ctx.session.execute(
        select(LINE.aanbieder_agb, LINE.zorgmaand, func.sum(LINE.bedrag_cents))
        .where(
            LINE.gemeente_code == ctx.gemeente,
            LINE.zorgmaand >= baseline[0],
            LINE.zorgmaand <= checked[-1],
            LINE.declaratiedatum < ctx.as_of,
        )
        .group_by(LINE.aanbieder_agb, LINE.zorgmaand)
    ).all()
    by_provider: dict[str, dict[date, int]] = defaultdict(dict)
    for agb, month, total in rows:
        by_provider[agb][month] = int(total)
    result = []
    for agb, months in sorted(by_provider.items()):
        if not all(months.get(m, 0) > 0 for m in baseline):
            continue
        missing = [m for m in checked if months.get(m, 0) <= 0]
        average = sum(months[m] for m in baseline) / len(baseline)
        result.append(
            Measurement(
                {"aanbieder": agb},
                ctx.settings.aanbieder_naam(agb),
                float(len(missing)),
                impact_cents=average * max(len(missing), 1),
                invoer={
                    "ontbrekende_zorgmaanden": [f"{m:%Y-%m}" for m in missing],
                    "gemiddeld_per_maand_cents": round(average),
                    "vergeleken_met": f"{baseline[0]:%Y-%m} t/m {baseline[-1]:%Y-%m}",
                },
            )
        )
    return result


def ontbrekende_maandtotalen(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Sources that delivered regularly and stopped: monthly totals (PGB, eigen bijdrage)
    per perceel, and waiting-list exports. The same signal `ontbrekende_declaraties` gives
    for providers, so a silence is never read as "no cost" or "no waiting list"."""
    tijdzone = ctx.config.deployment.tijdzone
    due = totals_month_known(ctx.as_of)  # the first month not due yet
    checked = [shift_months(due, -2), shift_months(due, -1)]
    baseline = [shift_months(due, k) for k in range(-6, -2)]
    delivered = quality.delivered_totals(
        ctx.session, ctx.gemeente, grens=ctx.as_of, tijdzone=tijdzone, since=baseline[0]
    )
    amounts = _monthly_totals(ctx, baseline)
    result = []
    for perceel, months in sorted(delivered.items()):
        if not all(m in months for m in baseline):
            continue  # not a regular source (yet): nothing to miss
        missing = [m for m in checked if m not in months]
        average = sum(abs(amounts.get((perceel, m), 0)) for m in baseline) / len(baseline)
        result.append(
            Measurement(
                {"bron": perceel},
                f"Maandtotalen {ctx.perceel_naam(perceel)}",
                float(len(missing)),
                impact_cents=average * max(len(missing), 1),
                invoer={
                    "ontbrekende_maanden": [f"{m:%Y-%m}" for m in missing],
                    "gemiddeld_per_maand_cents": round(average),
                    "vergeleken_met": f"{baseline[0]:%Y-%m} t/m {baseline[-1]:%Y-%m}",
                },
            )
        )
    exports = quality.waiting_list_exports(
        ctx.session, ctx.gemeente, grens=ctx.as_of, tijdzone=tijdzone
    )
    if len(exports) >= 3:
        gaps = [(b - a).days for a, b in pairwise(exports)]
        usual = max(statistics.median(gaps), 1)
        silent = (ctx.as_of - exports[-1]).days
        overdue = int(silent // usual) - 1 if silent > max(2 * usual, 45) else 0
        result.append(
            Measurement(
                {"bron": "wachtlijst-export"},
                "Wachtlijst-export",
                float(max(overdue, 0)),
                invoer={
                    "laatste_export": f"{exports[-1]:%Y-%m-%d}",
                    "gebruikelijk_om_de_dagen": usual,
                    "dagen_stil": silent,
                },
            )
        )
    return result


def _monthly_totals(ctx: MetricContext, months: list[date]) -> dict[tuple[str, date], int]:
    pgb = models.PgbMaand
    rows = ctx.session.execute(
        select(pgb.perceel_id, pgb.maand, pgb.bedrag_cents).where(
            pgb.gemeente_code == ctx.gemeente, pgb.maand.in_(months)
        )
    ).all()
    return {(perceel, month): int(cents) for perceel, month, cents in rows}


def _window(ctx: MetricContext) -> tuple[datetime, datetime]:
    """The month before the peildatum, for what arrived wrong "lately"."""
    return ctx.window_end - WINDOW, ctx.window_end


def geweigerde_bestanden(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Files rejected in the last month and not yet offered again in corrected form."""
    since, before = _window(ctx)
    rejected = [
        f
        for f in quality.rejected_files(ctx.session, ctx.gemeente, before=before, since=since)
        if not f.hersteld
    ]
    per_soort: dict[str, int] = defaultdict(int)
    for file in rejected:
        per_soort[file.soort] += 1
    return [
        Measurement(
            {},
            "Geweigerde bestanden",
            float(len(rejected)),
            invoer={
                "per_soort": dict(sorted(per_soort.items())),
                "bestanden": [redact(f.bestand) for f in rejected[:5]],
                "venster_dagen": WINDOW.days,
            },
        )
    ]


def totaalverschillen(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Declarations whose total is not the sum of their lines: which file, how much."""
    since, before = _window(ctx)
    rows = quality.finding_counts(
        ctx.session, ctx.gemeente, before=before, since=since, soort="totaal_mismatch"
    )
    cases = quality.totals_mismatches(ctx.session, ctx.gemeente, since=since, before=before)

    def detail(case: quality.TotalsMismatch) -> dict[str, Any]:
        return {
            "bestand": redact(case.bestand),
            "aanbieder": ctx.settings.aanbieder_naam(case.aanbieder) if case.aanbieder else "",
            "totaal_cents": case.totaal_cents,
            "som_cents": case.som_cents,
            "verschil_cents": case.verschil_cents,
        }

    if scope == "gemeente":
        count = sum(r.aantal for r in rows)
        amount = sum(r.bedrag_cents for r in rows)
        return [
            Measurement(
                {},
                "Totaalverschillen in declaraties",
                float(count),
                {},
                float(abs(amount)),
                {"aantal": count, "verschillen": [detail(c) for c in cases[:5]]},
            )
        ]
    per_provider: dict[str, int] = defaultdict(int)
    for row in rows:
        per_provider[row.agb or "onbekend"] += row.aantal
    return [
        Measurement(
            {"aanbieder": agb},
            ctx.settings.aanbieder_naam(agb),
            float(n),
            invoer={
                "aantal": n,
                "verschillen": [detail(c) for c in cases if (c.aanbieder or "onbekend") == agb][:5],
            },
        )
        for agb, n in sorted(per_provider.items())
    ]


def bevindingen(ctx: MetricContext, scope: str) -> list[Measurement]:
    since, before = _window(ctx)
    per_kind: dict[str, int] = defaultdict(int)
    for row in quality.finding_counts(ctx.session, ctx.gemeente, before=before, since=since):
        per_kind[row.soort] += row.aantal
    return [
        Measurement(
            {},
            "Datakwaliteit bij het inlezen",
            float(sum(per_kind.values())),
            invoer={"per_soort": dict(sorted(per_kind.items())), "venster_dagen": WINDOW.days},
        )
    ]


def niet_ingedeeld_bedrag(ctx: MetricContext, scope: str) -> list[Measurement]:
    amount, lines = ctx.session.execute(
        select(func.coalesce(func.sum(LINE.bedrag_cents), 0), func.count()).where(
            LINE.gemeente_code == ctx.gemeente,
            LINE.perceel_id == NIET_INGEDEELD,
            LINE.zorgmaand >= date(ctx.year, 1, 1),
            LINE.zorgmaand <= date(ctx.year, 12, 1),
            LINE.declaratiedatum < ctx.as_of,
        )
    ).one()
    return [
        Measurement(
            {},
            "Niet-ingedeelde kosten",
            float(amount),
            impact_cents=float(abs(amount)),
            invoer={"jaar": ctx.year, "regels": int(lines), "bedrag_cents": int(amount)},
        )
    ]


def afgekeurde_berichten(ctx: MetricContext, scope: str) -> list[Measurement]:
    """Providers whose messages keep bouncing: counted from the municipality's return messages."""
    since = ctx.as_of - WINDOW
    bounced = quality.bounced_messages(ctx.session, ctx.gemeente, since=since, before=ctx.as_of)
    return [
        Measurement(
            {"aanbieder": agb},
            f"Afgekeurde berichten van {ctx.settings.aanbieder_naam(agb)}",
            float(count),
            invoer={"berichten": count, "venster_dagen": WINDOW.days},
        )
        for agb, count in sorted(bounced.items(), key=lambda item: item[0] or "")
        if agb is not None
    ]


def afgewezen_declaraties_pct(ctx: MetricContext, scope: str) -> list[Measurement]:
    """The share of a provider's declared amount the municipality rejected (325), over the
    answers known in the quarter before the peildatum; the rejected amount is the impact."""
    window = quality.ANSWER_WINDOW
    shares = quality.rejected_declarations(
        ctx.session, ctx.gemeente, since=ctx.as_of - window, before=ctx.as_of
    )
    return [
        Measurement(
            {"aanbieder": share.agb},
            ctx.settings.aanbieder_naam(share.agb),
            round(share.aandeel * 100, 2),
            impact_cents=float(share.afgewezen_cents),
            invoer={
                "antwoorden": share.antwoorden,
                "ingediend_cents": share.ingediend_cents,
                "afgewezen_cents": share.afgewezen_cents,
                "retourcodes": [f"{code} ({n}×)" for code, n in share.retourcodes[:3]],
                "venster_dagen": window.days,
            },
        )
        for share in shares
        if share.aandeel is not None
    ]


def begroting_ontbreekt(ctx: MetricContext, scope: str) -> list[Measurement]:
    """A year without an adopted budget is a configuration problem, not a table of zeros."""
    begroting = ctx.config.begroting(ctx.gemeente, ctx.year)
    versie = begroting.versie_op(ctx.peildatum) if begroting else None
    return [
        Measurement(
            {},
            f"Begroting {ctx.year}",
            0.0 if versie else 1.0,
            invoer={
                "jaar": ctx.year,
                "bestand": f"config/begroting/{ctx.gemeente}-{ctx.year}.yaml",
                "versie": versie.versie if versie else None,
                "in_config": begroting is not None,
            },
        )
    ]


# --------------------------------------------------------------------------- registry

COMPUTE: dict[str, Callable[[MetricContext, str], list[Measurement]]] = {
    "prognose_afwijking_pct": prognose_afwijking_pct,
    "prognose": prognose,
    "aanbieder_afwijking_pct": aanbieder_afwijking_pct,
    "aanbieder_prognose": aanbieder_prognose,
    "maandkosten": maandkosten,
    "groei_boven_begroting_pct": groei_boven_begroting_pct,
    "unieke_clienten_groei_pct": unieke_clienten_groei_pct,
    "kosten_per_client_groei_pct": kosten_per_client_groei_pct,
    "top10_aandeel_pct": top10_aandeel_pct,
    "hoge_kosten_gevallen": hoge_kosten_gevallen,
    "wachttijd_mediaan_dagen": wachttijd_mediaan_dagen,
    "wachttijd_p90_dagen": wachttijd_p90_dagen,
    "wachtlijst": wachtlijst,
    "wachtlijst_groei_pct": wachtlijst_groei_pct,
    "kpi": kpi,
    "ontbrekende_declaraties": ontbrekende_declaraties,
    "geweigerde_bestanden": geweigerde_bestanden,
    "totaalverschillen": totaalverschillen,
    "bevindingen": bevindingen,
    "niet_ingedeeld_bedrag": niet_ingedeeld_bedrag,
    "afgekeurde_berichten": afgekeurde_berichten,
    "afgewezen_declaraties_pct": afgewezen_declaraties_pct,
    "aanvragen_in_behandeling": aanvragen_in_behandeling,
    "afgewezen_aanvragen": afgewezen_aanvragen,
    "beslistermijn_dagen": beslistermijn_dagen,
    "ontbrekende_maandtotalen": ontbrekende_maandtotalen,
    "begroting_ontbreekt": begroting_ontbreekt,
}


def measure(ctx: MetricContext, metric: str, scope: str) -> list[Measurement]:
    """Every row of `metric` at `scope`, computed once per evaluation; the snapshot keeps it."""
    rows = ctx.memo(("metric", metric, scope), lambda: COMPUTE[metric](ctx, scope))
    ctx.measured[metric_key(metric, scope)] = tuple(rows)
    return rows


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 2)
