"""The members of a region side by side: per 1.000 inhabitants or youths, per client.

Every figure is a ratio of counts from the members' snapshots (their `kengetallen`,
budget table, waiting times and growth) and the population in their config, so a
member's figure here rests on the same counts as its own reports. A member's figure
that rests on fewer than 10 clients is left out; where the region's own figure (the
sum of the counts) would then let it be worked out by subtraction, more members are
left out (the smallest that are left), or else the region's figure (`suppressed`).
The members that stand out from the others are named: outside the middle half of the
members and well away from their median (a quarter of it, or 5 percentage points for
a percentage).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from monitorbot.config import Config
from monitorbot.evaluate.catalogue import MIN_CLIENTS
from monitorbot.evaluate.regio_snapshot import Kengetal
from monitorbot.evaluate.snapshot import Snapshot

#: A member stands out when it lies outside the members' middle half and at least this
#: share away from their median (a percentage: this many percentage points).
STANDS_OUT_SHARE = 0.25
STANDS_OUT_POINTS = 5.0


@dataclass(frozen=True)
class Part:
    """One member's numerator and denominator of a figure, and the clients it rests on."""

    teller: float
    noemer: float
    clienten: int | None  # None: a total over the whole population, no small cell


@dataclass(frozen=True)
class Definition:
    naam: str
    titel: str
    eenheid: str
    part: Callable[[Snapshot, Config], Part | None]
    percentage: bool = False  # the value is a fraction shown in %


def _population(snapshot: Snapshot, config: Config):  # type: ignore[no-untyped-def]
    return config.gemeente(snapshot.gemeente).bevolking_in(snapshot.jaar)


def _youth_clients(snapshot: Snapshot, config: Config) -> Part | None:
    figures, people = snapshot.kengetallen, _population(snapshot, config)
    if figures is None or people is None:
        return None
    return Part(figures.jeugd_clienten, people.jeugdigen / 1000, figures.jeugd_clienten)


def _cost_per_youth_client(snapshot: Snapshot, _config: Config) -> Part | None:
    figures = snapshot.kengetallen
    if figures is None:
        return None
    return Part(figures.jeugd_kosten_cents / 100, figures.jeugd_clienten, figures.jeugd_clienten)


def _cost_per_inhabitant(snapshot: Snapshot, config: Config) -> Part | None:
    people = _population(snapshot, config)
    total = snapshot.budget_row("totaal")
    if people is None or total is None or total.prognose_cents is None:
        return None
    return Part(total.prognose_cents / 100, people.inwoners, None)


def _hours_per_client(snapshot: Snapshot, _config: Config) -> Part | None:
    figures = snapshot.kengetallen
    if figures is None:
        return None
    return Part(figures.hh_uren, figures.hh_clienten, figures.hh_clienten)


def _per_thousand(
    count: Callable[[Snapshot], int | None],
) -> Callable[[Snapshot, Config], Part | None]:
    def part(snapshot: Snapshot, config: Config) -> Part | None:
        people, found = _population(snapshot, config), count(snapshot)
        if people is None or found is None:
            return None
        return Part(found, people.inwoners / 1000, found)

    return part


def _above_norm(snapshot: Snapshot, _config: Config) -> Part | None:
    normed = [
        w for w in snapshot.wachttijden if w.norm_dagen is not None and w.boven_norm is not None
    ]
    if not normed:
        return None
    started = sum(w.gestart for w in normed)
    return Part(sum(w.boven_norm or 0 for w in normed), started, started)


def _growth_without_indexation(snapshot: Snapshot, _config: Config) -> Part | None:
    """This year's cost deflated by each perceel's indexation, against last year's over the
    same months; the ratio minus one is the growth. Percelen under 10 clients are not in
    the snapshot's growth figures at all."""
    if not snapshot.groei:
        return None
    deflated = sum(g.huidig.kosten_cents / (1 + g.indexatie_pct / 100) for g in snapshot.groei)
    previous = sum(g.vorig.kosten_cents for g in snapshot.groei)
    clients = min(min(g.vorig.clienten, g.huidig.clienten) for g in snapshot.groei)
    return Part(deflated - previous, previous, clients)


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "jeugd_clienten_per_1000",
        "Cliënten jeugdhulp (in natura) per 1.000 jeugdigen",
        "per 1.000 jeugdigen",
        _youth_clients,
    ),
    Definition(
        "kosten_per_jeugdclient", "Kosten per cliënt jeugdhulp", "€", _cost_per_youth_client
    ),
    Definition(
        "kosten_per_inwoner", "Prognose van het jaar per inwoner", "€", _cost_per_inhabitant
    ),
    Definition(
        "hh_uren_per_client", "Uren huishoudelijke hulp per cliënt", "uur", _hours_per_client
    ),
    Definition(
        "hulpvragen_per_1000",
        "Hulpvragen (315) per 1.000 inwoners",
        "per 1.000 inwoners",
        _per_thousand(lambda s: s.kengetallen.hulpvragen if s.kengetallen else None),
    ),
    Definition(
        "toewijzingen_per_1000",
        "Toewijzingen (301) per 1.000 inwoners",
        "per 1.000 inwoners",
        _per_thousand(lambda s: s.kengetallen.toewijzingen if s.kengetallen else None),
    ),
    Definition(
        "wachttijd_boven_norm",
        "Gestart na de wachttijdnorm",
        "%",
        _above_norm,
        percentage=True,
    ),
    Definition(
        "groei_zonder_indexatie",
        "Groei zonder indexatie (jeugd en Wmo in natura)",
        "%",
        _growth_without_indexation,
        percentage=True,
    ),
)


def benchmark(snapshots: Mapping[str, Snapshot], config: Config) -> tuple[Kengetal, ...]:
    """Every figure of `DEFINITIONS` for the members, in the members' order."""
    return tuple(_figure(definition, snapshots, config) for definition in DEFINITIONS)


def _figure(definition: Definition, snapshots: Mapping[str, Snapshot], config: Config) -> Kengetal:
    parts = {code: definition.part(snapshot, config) for code, snapshot in snapshots.items()}
    hidden, region_shown = suppressed(
        {code: part.clienten if part else None for code, part in parts.items()}
    )
    shown = {
        code: (part.teller / part.noemer if part and part.noemer and code not in hidden else None)
        for code, part in parts.items()
    }
    known = [p for p in parts.values() if p is not None]
    noemer = sum(p.noemer for p in known)
    regio = sum(p.teller for p in known) / noemer if known and noemer and region_shown else None
    values = sorted(v for v in shown.values() if v is not None)
    median = statistics.median(values) if values else None
    low, high = _middle_half(values)
    return Kengetal(
        naam=definition.naam,
        titel=definition.titel,
        eenheid=definition.eenheid,
        waarden=tuple(shown.items()),
        regio=regio,
        mediaan=median,
        kwartiel_laag=low,
        kwartiel_hoog=high,
        afwijkers=tuple(
            code
            for code, value in shown.items()
            if value is not None and _stands_out(value, median, low, high, definition.percentage)
        ),
    )


def suppressed(clients: Mapping[str, int | None]) -> tuple[set[str], bool]:
    """Which members' figures are left out, and whether the region's own figure may show.

    A member under 10 clients is left out. The region's figure is the sum of every
    member's counts, so the members left out must together be at least two and at
    least 10 clients, or the region minus the members shown gives one away: the
    smallest other members are left out too until they are. Where that is not
    possible, or the region itself has fewer than 10 clients, the region's figure is
    left out as well. A figure without a client count (a total over all
    inhabitants) is never left out.
    """
    counted = {code: count for code, count in clients.items() if count is not None}
    hidden = {code for code, count in counted.items() if count < MIN_CLIENTS}
    if not counted:
        return hidden, True
    if hidden:
        others = sorted((count, code) for code, count in counted.items() if code not in hidden)
        while (len(hidden) < 2 or sum(counted[c] for c in hidden) < MIN_CLIENTS) and others:
            hidden.add(others.pop(0)[1])
    protected = not hidden or (len(hidden) >= 2 and sum(counted[c] for c in hidden) >= MIN_CLIENTS)
    return hidden, protected and sum(counted.values()) >= MIN_CLIENTS


def _middle_half(values: list[float]) -> tuple[float | None, float | None]:
    """The first and third quartile; fewer than four members have no middle half."""
    if len(values) < 4:
        return None, None
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    return quartiles[0], quartiles[2]


def _stands_out(
    value: float, median: float | None, low: float | None, high: float | None, percentage: bool
) -> bool:
    if median is None or low is None or high is None or low <= value <= high:
        return False
    if percentage:
        return abs(value - median) * 100 >= STANDS_OUT_POINTS
    return median != 0 and abs(value / median - 1) >= STANDS_OUT_SHARE
