"""What Demodorp buys: providers, products, tariffs, indexation and care streams.

Everything here is static and fictional. The figures are calibrated to the
"Scale" section of DOMAIN.md (a municipality of ≈23.000 inhabitants), so that the
generated messages add up to the totals, client counts and mixes that real
reports show. Tariffs are stated at their 2024 level and indexed every January
with the *werkelijk* percentages below, the same ones written to the
municipality's config, so a controller comparing budgeted and actual indexation
sees exactly what the data contain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

DEMO_GEMEENTE = "9999"
DEMO_NAAM = "Demodorp"
ONBEKENDE_GEMEENTE = "9998"

BASE_YEAR = 2024
"""Tariffs and inflow rates below are stated at their 2024 level."""

Wet = Literal["jw", "wmo"]
Channel = Literal["xml", "csv"]
VolumeKind = Literal["tijd", "etmaal", "dagdeel", "stuks", "huur", "euro"]
"""How a product's monthly volume arises: hours or minutes of contact (`tijd`),
days of stay (`etmaal`), four-hour day parts (`dagdeel`), counted rides
(`stuks`), a monthly rental (`huur`), or a one-off amount in euros (`euro`)."""


@dataclass(frozen=True)
class Provider:
    """A contracted care provider and how it behaves administratively."""

    agb: str
    naam: str
    wet: Wet
    declaration_day: int
    """Day of the month on which it usually sends last month's declaration."""
    waiting_median_days: float
    """Median days from allocation (301) to start of care (305)."""
    channel: Channel = "xml"


@dataclass(frozen=True)
class Product:
    """A product from the regional contract: category, unit and 2024 tariff."""

    code: str
    wet: Wet
    categorie: str
    eenheid: str
    tarief_2024: int
    """Cents per unit at the 2024 price level."""
    volume_kind: VolumeKind
    perceel: str
    omschrijving: str


# Percent per year: (begroot, werkelijk). `standaard` applies where a perceel has no
# own entry. Mirrors `indexatie` in config/gemeenten/9999-demodorp.yaml; a year
# without an entry is 0 % both ways, as the forecast assumes for a year without
# configured indexation, so the data do not rise in price then either.
INDEXATIE: dict[int, dict[str, tuple[float, float]]] = {
    2023: {"standaard": (5.02, 6.82)},
    2024: {
        "standaard": (3.5, 5.0),
        "wmo-begeleiding-zin": (6.4, 6.4),
        "wmo-hh-zin": (9.0, 9.0),
    },
    2025: {"standaard": (3.0, 4.5), "wmo-regiotaxi": (3.0, 15.0)},
    2026: {"standaard": (3.2, 3.8)},
}


def _indexatie(year: int, perceel: str) -> tuple[float, float]:
    """(begroot, werkelijk) percent for a perceel: its own entry, else `standaard`, else 0."""
    per_year = INDEXATIE.get(year, {})
    return per_year.get(perceel, per_year.get("standaard", (0.0, 0.0)))


def actual_index(year: int, perceel: str) -> float:
    """The tariff increase (fraction) that took effect on 1 January of `year`."""
    return _indexatie(year, perceel)[1] / 100


def budgeted_index(year: int, perceel: str) -> float:
    """The increase (fraction) the budget for `year` assumed when it was drawn up."""
    return _indexatie(year, perceel)[0] / 100


@cache
def tariff_cents(product: Product, year: int) -> int:
    """The product's tariff in a year, indexed from its 2024 level and rounded once."""
    if product.volume_kind == "euro":
        return product.tarief_2024  # one cent per cent: the volume is the amount itself
    level = float(product.tarief_2024)
    if year < BASE_YEAR:
        for indexed in range(year + 1, BASE_YEAR + 1):
            level /= 1 + actual_index(indexed, product.perceel)
    for indexed in range(BASE_YEAR + 1, year + 1):
        level *= 1 + actual_index(indexed, product.perceel)
    return round(level)


PROVIDERS: tuple[Provider, ...] = (
    Provider("98990101", "Jeugdzorg De Vliegeraar", "jw", 6, 24),
    Provider("98990102", "Jeugdhulp De Knikkerbaan", "jw", 12, 90),
    Provider("98990103", "Stichting Het Speelkwartier", "jw", 9, 21),
    Provider("98990104", "GGZ Jong Demoland", "jw", 15, 35),
    Provider("98990105", "Behandelcentrum De Boomhut", "jw", 4, 30),
    Provider("98990106", "Pleegzorg en Gezinshuizen De Kastanje", "jw", 8, 26),
    Provider("98990107", "Crisisdienst Het Baken", "jw", 10, 0),
    Provider("98990108", "Jeugdbescherming Demoland", "jw", 5, 1),
    Provider("98990201", "Zorgcoöperatie De Huiskamer", "wmo", 7, 18),
    Provider("98990202", "Begeleiding Op Maat Demodorp", "wmo", 11, 24),
    Provider("98990203", "Thuishulp De Stofdoek", "wmo", 5, 12),
    Provider("98990204", "Huishoudelijke Hulp Schoon en Fris", "wmo", 3, 14, channel="csv"),
    Provider("98990205", "Regiotaxi Demoland", "wmo", 9, 8),
    Provider("98990206", "Hulpmiddelencentrum Rolmaat", "wmo", 13, 20),
    Provider("98990207", "Woonaanpassingen Drempelvrij", "wmo", 14, 38),
)
PROVIDER_BY_AGB: dict[str, Provider] = {p.agb: p for p in PROVIDERS}

WAITING_NORM_BREAKER = "98990102"
"""The youth provider whose waiting times clearly exceed the 56-day norm."""
CSV_PROVIDER = "98990204"
"""The household-help provider that delivers a backoffice CSV export, not 323s."""
LATE_PROVIDER = "98990101"
"""The big youth provider that falls behind in the `late-aanbieder` scenario."""

PRODUCTS: tuple[Product, ...] = (
    Product("45A01", "jw", "45", "04", 8900, "tijd", "jeugd-ambulant", "Ambulant individueel"),
    Product("45A02", "jw", "45", "04", 9800, "tijd", "jeugd-ambulant", "Gezinsbehandeling"),
    Product("45A11", "jw", "45", "01", 148, "tijd", "jeugd-ambulant", "Ambulant (minuten)"),
    Product("54G01", "jw", "54", "01", 195, "tijd", "jeugd-ggz", "Jeugd-ggz (minuten)"),
    Product("43V01", "jw", "43", "14", 31500, "etmaal", "jeugd-verblijf", "Verblijf + behandeling"),
    Product("43V03", "jw", "43", "14", 76000, "etmaal", "jeugd-verblijf", "Verblijf intensief"),
    Product("44V01", "jw", "44", "14", 22200, "etmaal", "jeugd-verblijf", "Gezinshuis"),
    Product("44P01", "jw", "44", "14", 6800, "etmaal", "jeugd-pleegzorg", "Pleegzorg"),
    Product("46C01", "jw", "46", "14", 56000, "etmaal", "jeugd-crisis", "Crisisopvang"),
    Product("48B01", "jw", "48", "14", 4200, "etmaal", "jeugd-bescherming", "Toezicht (OTS)"),
    Product("01H01", "wmo", "01", "04", 2640, "tijd", "wmo-hh-zin", "Huishoudelijke hulp"),
    Product("02B01", "wmo", "02", "04", 6400, "tijd", "wmo-begeleiding-zin", "Begeleiding"),
    Product("07D01", "wmo", "07", "16", 4800, "dagdeel", "wmo-begeleiding-zin", "Dagbesteding"),
    Product("08T01", "wmo", "08", "82", 1550, "stuks", "wmo-regiotaxi", "Regiotaxi rit"),
    Product("11R01", "wmo", "11", "82", 4800, "huur", "wmo-hulpmiddelen", "Rolstoel (huur)"),
    Product("12S01", "wmo", "12", "82", 6200, "huur", "wmo-hulpmiddelen", "Scootmobiel (huur)"),
    Product("13W01", "wmo", "13", "83", 100, "euro", "wmo-hulpmiddelen", "Woonvoorziening"),
    Product("14H01", "wmo", "14", "83", 100, "euro", "wmo-hulpmiddelen", "Overige hulpmiddelen"),
)
PRODUCT_BY_CODE: dict[str, Product] = {p.code: p for p in PRODUCTS}

Referrers = tuple[tuple[str, float], ...]
YOUTH_AMBULANT_REFERRERS: Referrers = (
    ("01", 0.38),
    ("02", 0.35),
    ("03", 0.09),
    ("05", 0.11),
    ("04", 0.05),
    ("08", 0.02),
)
YOUTH_GGZ_REFERRERS: Referrers = (("01", 0.20), ("02", 0.50), ("05", 0.25), ("03", 0.05))
YOUTH_STAY_REFERRERS: Referrers = (("01", 0.30), ("04", 0.50), ("08", 0.20))
YOUTH_CRISIS_REFERRERS: Referrers = (("01", 0.40), ("04", 0.30), ("08", 0.30))
YOUTH_PROTECTION_REFERRERS: Referrers = (("04", 0.20), ("08", 0.80))
WMO_REFERRERS: Referrers = (("01", 1.0),)
WMO_SUPPORT_REFERRERS: Referrers = (("01", 0.90), ("02", 0.10))

StopReasons = tuple[tuple[str, float], ...]
YOUTH_STOP_REASONS: StopReasons = (
    ("31", 0.68),
    ("32", 0.08),
    ("33", 0.04),
    ("34", 0.08),
    ("35", 0.04),
    ("38", 0.05),
    ("39", 0.03),
)
WMO_STOP_REASONS: StopReasons = (("31", 0.55), ("02", 0.20), ("38", 0.10), ("39", 0.15))
HH_STOP_REASONS: StopReasons = (("31", 0.35), ("02", 0.35), ("38", 0.10), ("39", 0.20))


@dataclass(frozen=True)
class Stream:
    """A flow of new care trajectories of one kind: how many, how long, how intense.

    Rates are per month at the 2024 level; `inflow_growth` and `intensity_growth`
    are yearly factors around that level (1.07 = +7 % a year).
    """

    key: str
    wet: Wet
    providers: tuple[tuple[str, float, str], ...]
    """(agb, share, product code): who delivers it and under which product."""
    inflow_per_month: float
    mean_duration_months: float
    intensity: float
    """Units per full month of care (hours, day parts, rides); for one-off
    products the median amount in euros; unused for stays and rentals."""
    referrers: Referrers
    stop_reasons: StopReasons
    age_range: tuple[int, int]
    inflow_growth: float = 1.0
    intensity_growth: float = 1.0
    duration_sigma: float = 0.7
    intensity_sigma: float = 0.5
    client_reuse: float = 0.0
    """Chance that a new trajectory belongs to a client already in care (e.g. a
    child in ambulant care who also gets youth mental health care)."""
    seasonal: bool = True
    one_off: bool = False


STREAMS: tuple[Stream, ...] = (
    Stream(
        "jeugd-ambulant-individueel",
        "jw",
        (("98990101", 0.42, "45A01"), ("98990102", 0.24, "45A01"), ("98990103", 0.34, "45A11")),
        inflow_per_month=14.0,
        mean_duration_months=10.0,
        intensity=13.9,
        referrers=YOUTH_AMBULANT_REFERRERS,
        stop_reasons=YOUTH_STOP_REASONS,
        age_range=(4, 17),
        inflow_growth=1.12,
        intensity_growth=1.05,
        intensity_sigma=0.55,
    ),
    Stream(
        "jeugd-ambulant-gezin",
        "jw",
        (("98990101", 0.6, "45A02"), ("98990102", 0.4, "45A02")),
        inflow_per_month=4.5,
        mean_duration_months=8.0,
        intensity=15.0,
        referrers=YOUTH_AMBULANT_REFERRERS,
        stop_reasons=YOUTH_STOP_REASONS,
        age_range=(2, 15),
        inflow_growth=1.12,
        intensity_growth=1.05,
        client_reuse=0.05,
    ),
    Stream(
        "jeugd-ggz",
        "jw",
        (("98990104", 1.0, "54G01"),),
        inflow_per_month=6.0,
        mean_duration_months=9.0,
        intensity=8.0,
        referrers=YOUTH_GGZ_REFERRERS,
        stop_reasons=YOUTH_STOP_REASONS,
        age_range=(6, 17),
        inflow_growth=1.12,
        intensity_growth=1.05,
        client_reuse=0.3,
    ),
    Stream(
        "jeugd-verblijf-behandeling",
        "jw",
        (("98990105", 1.0, "43V01"),),
        inflow_per_month=0.55,
        mean_duration_months=10.0,
        intensity=0.0,
        referrers=YOUTH_STAY_REFERRERS,
        stop_reasons=YOUTH_STOP_REASONS,
        age_range=(8, 17),
        inflow_growth=1.08,
        duration_sigma=0.5,
        client_reuse=0.3,
        seasonal=False,
    ),
    Stream(
        "jeugd-gezinshuis",
        "jw",
        (("98990106", 1.0, "44V01"),),
        inflow_per_month=0.2,
        mean_duration_months=24.0,
        intensity=0.0,
        referrers=YOUTH_STAY_REFERRERS,
        stop_reasons=YOUTH_STOP_REASONS,
        age_range=(4, 16),
        inflow_growth=1.08,
        duration_sigma=0.5,
        client_reuse=0.2,
        seasonal=False,
    ),
    Stream(
        "jeugd-pleegzorg",
        "jw",
        (("98990106", 1.0, "44P01"),),
        inflow_per_month=0.25,
        mean_duration_months=24.0,
        intensity=0.0,
        referrers=YOUTH_STAY_REFERRERS,
        stop_reasons=YOUTH_STOP_REASONS,
        age_range=(0, 15),
        inflow_growth=1.03,
        duration_sigma=0.5,
        client_reuse=0.2,
        seasonal=False,
    ),
    Stream(
        "jeugd-crisis",
        "jw",
        (("98990107", 1.0, "46C01"),),
        inflow_per_month=1.2,
        mean_duration_months=1.0,
        intensity=0.0,
        referrers=YOUTH_CRISIS_REFERRERS,
        stop_reasons=YOUTH_STOP_REASONS,
        age_range=(10, 17),
        inflow_growth=1.10,
        duration_sigma=0.6,
        client_reuse=0.5,
        seasonal=False,
    ),
    Stream(
        "jeugd-bescherming",
        "jw",
        (("98990108", 1.0, "48B01"),),
        inflow_per_month=1.3,
        mean_duration_months=12.0,
        intensity=0.0,
        referrers=YOUTH_PROTECTION_REFERRERS,
        stop_reasons=YOUTH_STOP_REASONS,
        age_range=(0, 17),
        inflow_growth=1.04,
        duration_sigma=0.5,
        client_reuse=0.6,
        seasonal=False,
    ),
    Stream(
        "wmo-hh",
        "wmo",
        (("98990203", 0.55, "01H01"), ("98990204", 0.45, "01H01")),
        inflow_per_month=40.0,
        mean_duration_months=16.5,
        intensity=10.8,
        referrers=WMO_REFERRERS,
        stop_reasons=HH_STOP_REASONS,
        age_range=(67, 95),
        inflow_growth=1.02,
        intensity_sigma=0.35,
        duration_sigma=0.9,
    ),
    Stream(
        "wmo-begeleiding",
        "wmo",
        (("98990201", 0.6, "02B01"), ("98990202", 0.4, "02B01")),
        inflow_per_month=8.0,
        mean_duration_months=16.0,
        intensity=14.5,
        referrers=WMO_SUPPORT_REFERRERS,
        stop_reasons=WMO_STOP_REASONS,
        age_range=(19, 75),
        inflow_growth=0.93,
    ),
    Stream(
        "wmo-dagbesteding",
        "wmo",
        (("98990201", 1.0, "07D01"),),
        inflow_per_month=2.0,
        mean_duration_months=24.0,
        intensity=14.0,
        referrers=WMO_REFERRERS,
        stop_reasons=WMO_STOP_REASONS,
        age_range=(25, 85),
        inflow_growth=0.95,
        intensity_sigma=0.3,
        client_reuse=0.15,
    ),
    Stream(
        "wmo-regiotaxi",
        "wmo",
        (("98990205", 1.0, "08T01"),),
        inflow_per_month=8.0,
        mean_duration_months=30.0,
        intensity=7.0,
        referrers=WMO_REFERRERS,
        stop_reasons=WMO_STOP_REASONS,
        age_range=(60, 95),
        inflow_growth=1.01,
        intensity_sigma=0.6,
        client_reuse=0.2,
    ),
    Stream(
        "wmo-rolstoel",
        "wmo",
        (("98990206", 1.0, "11R01"),),
        inflow_per_month=7.0,
        mean_duration_months=30.0,
        intensity=0.0,
        referrers=WMO_REFERRERS,
        stop_reasons=WMO_STOP_REASONS,
        age_range=(55, 95),
        inflow_growth=1.02,
        client_reuse=0.2,
        seasonal=False,
    ),
    Stream(
        "wmo-scootmobiel",
        "wmo",
        (("98990206", 1.0, "12S01"),),
        inflow_per_month=5.0,
        mean_duration_months=36.0,
        intensity=0.0,
        referrers=WMO_REFERRERS,
        stop_reasons=WMO_STOP_REASONS,
        age_range=(60, 95),
        inflow_growth=1.02,
        client_reuse=0.2,
        seasonal=False,
    ),
    Stream(
        "wmo-woonvoorziening",
        "wmo",
        (("98990207", 1.0, "13W01"),),
        inflow_per_month=5.0,
        mean_duration_months=0.0,
        intensity=2600.0,
        referrers=WMO_REFERRERS,
        stop_reasons=WMO_STOP_REASONS,
        age_range=(50, 95),
        inflow_growth=1.02,
        intensity_sigma=0.7,
        client_reuse=0.3,
        seasonal=False,
        one_off=True,
    ),
    Stream(
        "wmo-hulpmiddel",
        "wmo",
        (("98990206", 1.0, "14H01"),),
        inflow_per_month=23.0,
        mean_duration_months=0.0,
        intensity=460.0,
        referrers=WMO_REFERRERS,
        stop_reasons=WMO_STOP_REASONS,
        age_range=(40, 95),
        inflow_growth=1.02,
        intensity_sigma=0.6,
        client_reuse=0.3,
        seasonal=False,
        one_off=True,
    ),
)
STREAM_BY_KEY: dict[str, Stream] = {s.key: s for s in STREAMS}

SEASON_CARE: dict[int, float] = {7: 0.84, 8: 0.74, 12: 0.86}
"""Delivered contact hours dip in the summer holidays and around Christmas."""
SEASON_REQUESTS: dict[int, float] = {7: 0.85, 8: 0.75, 12: 0.85}
"""Fewer help requests in the same months."""


@dataclass(frozen=True)
class PgbSeries:
    """Monthly PGB (or income) totals as reported by the SVB/CAK, in cents in the
    period's first month (whatever year that is: the trend runs from there)."""

    perceel: str
    start_cents: int
    yearly_growth: float
    noise: float = 0.06


PGB_SERIES: tuple[PgbSeries, ...] = (
    PgbSeries("jeugd-pgb", 260_000, 0.72),
    PgbSeries("wmo-begeleiding-pgb", 1_300_000, 0.98),
    PgbSeries("wmo-hh-pgb", 480_000, 1.03),
)
EIGEN_BIJDRAGE = PgbSeries("wmo-eigen-bijdrage", -850_000, 1.02, noise=0.04)


BUDGET_PERCELEN: tuple[str, ...] = (
    "jeugd-zin",
    "jeugd-pgb",
    "wmo-begeleiding-zin",
    "wmo-begeleiding-pgb",
    "wmo-hh-zin",
    "wmo-hh-pgb",
    "wmo-hulpmiddelen",
    "wmo-regiotaxi",
    "wmo-eigen-bijdrage",
)
"""The rows of Demodorp's budget (config/begroting/9999-*.yaml), in that order."""
ROLLED_UP: dict[str, str] = {
    "jeugd-ambulant": "jeugd-zin",
    "jeugd-verblijf": "jeugd-zin",
    "jeugd-pleegzorg": "jeugd-zin",
    "jeugd-ggz": "jeugd-zin",
    "jeugd-crisis": "jeugd-zin",
    "jeugd-bescherming": "jeugd-zin",
    "jeugd-landelijk": "jeugd-zin",
}
"""Finer percelen the data carry and the budget row they count for (`onderdeel_van`
in config/percelen.yaml): youth care is budgeted as one ZIN row."""
VERWACHTE_GROEI: dict[str, float] = {"jeugd-zin": 0.04, "wmo-begeleiding-zin": -0.03}
"""Growth per year (excluding indexation) the controller expects when budgeting,
as noted in config/begroting/9999-2026.yaml; rows not named are expected flat."""
