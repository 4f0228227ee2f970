"""Mix per perceel: where the money goes, to how many clients, through which providers.

The users' reports say "70 % of cost is ambulant, 23 % stay; 97 % of clients get
ambulant care (478), 5 % stay (24)" and ask per perceel which providers carry the
cost. This module computes those figures for the care months January..`through_month`
of a year, as known before a day, with GROUP BY in SQL. Only aggregates leave the
database: clients are counted there and never returned, not even as pseudonyms.

Conventions:
- only declaration lines (zorg in natura); PGB and eigen bijdrage arrive as monthly
  totals without clients and are in the budget report;
- a client counts for a perceel, domain or the total when their net cost there is
  positive (as in `why.client_figures`): a fully credited declaration is no client;
- a sub-perceel (`onderdeel_van`) also counts in its parent's line, and domains and
  the total add up the top-level lines only, so nothing is counted twice;
- client shares do not add up to 100 %: one client can have care in several percelen.
Cents stay integers; shares are floats, None when the whole is zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.config.codes import NIET_INGEDEELD
from monitorbot.config.models import PercelenConfig
from monitorbot.forecast.series import vintage
from monitorbot.store import models

LINE = models.Declaratieregel
TOTAL = "totaal"


@dataclass(frozen=True)
class MixLine:
    """One line of the mix: a perceel, a sub-perceel (onderdeel), a domain or the total."""

    perceel: str  # perceel id, "domein:<domein>" or "totaal"
    naam: str
    domein: str
    niveau: str  # perceel, onderdeel, domein, totaal (as in the budget table)
    kosten_cents: int
    clienten: int
    kosten_aandeel_domein: float | None
    kosten_aandeel_totaal: float | None
    clienten_aandeel_domein: float | None
    clienten_aandeel_totaal: float | None


@dataclass(frozen=True)
class ProviderShare:
    """A provider's cost in a perceel; `agb` None is the rest ("overige") of `aantal`."""

    agb: str | None
    naam: str
    kosten_cents: int
    aandeel: float | None  # of the perceel line's cost
    aantal: int = 1


@dataclass(frozen=True)
class ProviderMix:
    """The providers of one perceel line: the top N by cost, then the rest together."""

    perceel: str
    naam: str
    niveau: str  # perceel or onderdeel
    kosten_cents: int
    aanbieders: tuple[ProviderShare, ...]


@dataclass(frozen=True)
class _Group:
    perceel: str
    naam: str
    domein: str
    niveau: str
    members: tuple[str, ...]


def perceel_mix(
    session: Session,
    percelen: PercelenConfig,
    gemeente: str,
    year: int,
    *,
    through_month: int = 12,
    known_before: date | None = None,
) -> tuple[MixLine, ...]:
    """Cost and unique clients per perceel, with their shares of the domain and the total.

    Lines in config order (a parent, then its sub-percelen), then percelen the
    config does not know (e.g. "niet ingedeeld"), then a line per domain and the total.
    """
    per_client = _scoped(
        select(
            LINE.perceel_id.label("perceel"),
            func.sum(LINE.bedrag_cents).label("kosten"),
        ),
        gemeente,
        year,
        through_month,
        known_before,
    ).group_by(LINE.perceel_id, LINE.client_pseudoniem)
    inner = per_client.subquery()
    own = {
        perceel: (int(cost), int(clients))
        for perceel, cost, clients in session.execute(
            select(
                inner.c.perceel, func.sum(inner.c.kosten), func.count().filter(inner.c.kosten > 0)
            ).group_by(inner.c.perceel)
        )
    }
    groups = _groups(percelen, own)
    top = [g for g in groups if g.niveau == "perceel"]
    domains = list(dict.fromkeys(g.domein for g in top))
    # Clients of lines that combine percelen are counted again in SQL: one client in
    # two sub-percelen is one client of the parent.
    combined = {g.perceel: g.members for g in top if len(g.members) > 1}
    combined |= {
        f"domein:{d}": tuple(m for g in top if g.domein == d for m in g.members) for d in domains
    }
    combined[TOTAL] = tuple(m for g in top for m in g.members)
    clients = _clients_per_group(session, gemeente, year, through_month, known_before, combined)

    cost = {g.perceel: sum(own.get(m, (0, 0))[0] for m in g.members) for g in groups}
    domain_cost = {d: sum(cost[g.perceel] for g in top if g.domein == d) for d in domains}
    total_cost = sum(domain_cost.values())
    lines = []
    for group in groups:
        count = clients[group.perceel] if group.perceel in combined else own[group.perceel][1]
        lines.append(
            MixLine(
                group.perceel,
                group.naam,
                group.domein,
                group.niveau,
                cost[group.perceel],
                count,
                _share(cost[group.perceel], domain_cost[group.domein]),
                _share(cost[group.perceel], total_cost),
                _share(count, clients[f"domein:{group.domein}"]),
                _share(count, clients[TOTAL]),
            )
        )
    for domain in domains:
        key = f"domein:{domain}"
        lines.append(
            MixLine(
                key,
                f"Subtotaal {domain.capitalize()}",
                domain,
                "domein",
                domain_cost[domain],
                clients[key],
                _share(domain_cost[domain], domain_cost[domain]),
                _share(domain_cost[domain], total_cost),
                _share(clients[key], clients[key]),
                _share(clients[key], clients[TOTAL]),
            )
        )
    lines.append(
        MixLine(
            TOTAL,
            "Totaal",
            "",
            "totaal",
            total_cost,
            clients[TOTAL],
            None,
            _share(total_cost, total_cost),
            None,
            _share(clients[TOTAL], clients[TOTAL]),
        )
    )
    return tuple(lines)


def provider_mix(
    session: Session,
    config: Config,
    gemeente: str,
    year: int,
    *,
    top: int = 5,
    through_month: int = 12,
    known_before: date | None = None,
) -> tuple[ProviderMix, ...]:
    """Per perceel line, the `top` providers by cost and their shares; the rest as "overige"."""
    settings = config.gemeente(gemeente)
    query = _scoped(
        select(LINE.perceel_id, LINE.aanbieder_agb, func.sum(LINE.bedrag_cents)),
        gemeente,
        year,
        through_month,
        known_before,
    ).group_by(LINE.perceel_id, LINE.aanbieder_agb)
    per_perceel: dict[str, Counter[str]] = {}
    for perceel, agb, cents in session.execute(query):
        per_perceel.setdefault(perceel, Counter())[agb] += int(cents)
    result = []
    for group in _groups(config.percelen, per_perceel):
        costs: Counter[str] = Counter()
        for member in group.members:
            costs.update(per_perceel.get(member, Counter()))
        ranked = sorted(costs.items(), key=lambda item: (-item[1], item[0]))
        whole = sum(costs.values())
        shares = [
            ProviderShare(agb, settings.aanbieder_naam(agb), cents, _share(cents, whole))
            for agb, cents in ranked[:top]
        ]
        rest = ranked[top:]
        if rest:
            cents = sum(c for _, c in rest)
            shares.append(
                ProviderShare(None, "overige", cents, _share(cents, whole), aantal=len(rest))
            )
        result.append(ProviderMix(group.perceel, group.naam, group.niveau, whole, tuple(shares)))
    return tuple(result)


def _scoped(
    query: Select, gemeente: str, year: int, through_month: int, known_before: date | None
) -> Select:
    """One municipality, care months January..`through_month` of `year`, as known then.

    A range on `zorgmaand` (not EXTRACT) so the (gemeente_code, zorgmaand, ...) indexes apply.
    """
    end = date(year + 1, 1, 1) if through_month >= 12 else date(year, through_month + 1, 1)
    query = query.where(
        LINE.gemeente_code == gemeente,
        LINE.zorgmaand >= date(year, 1, 1),
        LINE.zorgmaand < end,
    )
    return vintage(query, known_before)


def _clients_per_group(
    session: Session,
    gemeente: str,
    year: int,
    through_month: int,
    known_before: date | None,
    groups: dict[str, tuple[str, ...]],
) -> dict[str, int]:
    """Unique clients with positive net cost in each group of percelen, in one query."""
    keys = list(groups)
    per_client = (
        _scoped(
            select(
                *(
                    func.sum(
                        case((LINE.perceel_id.in_(groups[key]), LINE.bedrag_cents), else_=0)
                    ).label(f"g{i}")
                    for i, key in enumerate(keys)
                )
            ),
            gemeente,
            year,
            through_month,
            known_before,
        )
        .group_by(LINE.client_pseudoniem)
        .subquery()
    )
    counts = session.execute(
        select(*(func.count().filter(per_client.c[f"g{i}"] > 0) for i in range(len(keys))))
    ).one()
    return {key: int(count) for key, count in zip(keys, counts, strict=True)}


def _groups(percelen: PercelenConfig, present: Iterable[str]) -> list[_Group]:
    """The lines to show for the percelen with data: parents with their members first."""
    present = set(present)
    groups = []
    for perceel in percelen.percelen:
        if perceel.onderdeel_van is not None:
            continue
        members = percelen.members(perceel.id)
        if not present.intersection(members):
            continue
        groups.append(_Group(perceel.id, perceel.naam, perceel.domein, "perceel", tuple(members)))
        for child in members[1:]:
            if child in present:
                naam = percelen.get(child).naam
                # A sub-perceel counts in its parent's domain, where its cost is added up.
                groups.append(_Group(child, naam, perceel.domein, "onderdeel", (child,)))
    for other in sorted(present - set(percelen.ids)):
        naam = "Niet ingedeeld" if other == NIET_INGEDEELD else other
        groups.append(_Group(other, naam, "overig", "perceel", (other,)))
    return groups


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
