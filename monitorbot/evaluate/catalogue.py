"""The metric catalogue: every number a rule may test, with its exact meaning.

A controller writing `alerts/*.yaml` picks a metric from here. Each entry says
what the number is, in which unit a threshold must be written, for which
scopes it exists, which references (`begroting`, `norm`, ...) it can be
compared with, and where the figure comes from. `monitorbot rules metrics`
prints this table; `rules check` uses it to refuse a rule that mixes units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from monitorbot.core.money import format_change, format_euros

#: Waiting times and the waiting list look back a year from the peildatum.
WAIT_WINDOW = timedelta(days=365)
#: A median of fewer starts is an anecdote, not a waiting time.
MIN_STARTS = 5
#: Cells describing fewer clients are suppressed: they describe persons, not a perceel.
MIN_CLIENTS = 10

Unit = Literal["procent", "euro", "dagen", "aantal"]
Scope = Literal["perceel", "aanbieder", "perceel_aanbieder", "domein", "totaal", "gemeente"]
Reference = Literal["begroting", "budgetindicatie", "norm", "kpi_doel", "interval_95"]
Richting = Literal["hoog", "laag", "beide"]

SCOPES: tuple[Scope, ...] = (
    "perceel",
    "aanbieder",
    "perceel_aanbieder",
    "domein",
    "totaal",
    "gemeente",
)
REFERENCES: tuple[Reference, ...] = (
    "begroting",
    "budgetindicatie",
    "norm",
    "kpi_doel",
    "interval_95",
)
#: What a threshold in each unit may be (euro in cents): beyond these it is a typo.
UNIT_RANGES: dict[Unit, tuple[float, float]] = {
    "procent": (-1000, 1000),
    "euro": (-(10**12), 10**12),
    "dagen": (0, 3650),
    "aantal": (0, 10**9),
}
#: A reference's factor (`> 1,5 × norm`).
FACTOR_RANGE = (0.01, 100)
UNIT_EXAMPLES: dict[Unit, str] = {
    "procent": "'-5 %'",
    "euro": "'€ 25.000'",
    "dagen": "'56 dagen'",
    "aantal": "'3'",
}


@dataclass(frozen=True)
class Metric:
    naam: str
    eenheid: Unit
    scopes: tuple[Scope, ...]
    betekenis: str
    bron: str
    referenties: tuple[Reference, ...] = ()
    soort: str = "kosten"  # kosten, clienten, wachttijd, kpi, datakwaliteit
    impact: bool = True  # has an amount at stake, so a rule may set `minimale_impact`
    slecht: Richting = "hoog"  # which way is a problem: a rule pointing the other way is refused
    slecht_uitleg: str = "een hoge waarde is het probleem"


METRICS: tuple[Metric, ...] = (
    Metric(
        "prognose_afwijking_pct",
        "procent",
        ("perceel", "domein", "totaal"),
        "Restant als percentage van de begroting: (begroting − prognose) / |begroting| × 100. "
        "Negatief = nadeel (meer kosten of minder inkomsten dan begroot), ook bij een "
        "inkomstenregel; een perceel zonder begroting heeft geen waarde.",
        "jaarprognose (gedeclareerd, aangevuld met nadeclaraties, plus voorspelling rest van "
        "het jaar; of de correctie van de controller) tegen config/begroting",
        slecht="laag",
        slecht_uitleg="negatief is een nadeel: de prognose komt boven de begroting uit",
    ),
    Metric(
        "prognose",
        "euro",
        ("perceel", "domein", "totaal"),
        "De jaarprognose in euro's. Met 'begroting' als referentie: boven of onder de begroting.",
        "jaarprognose tegen config/begroting",
        ("begroting",),
    ),
    Metric(
        "aanbieder_afwijking_pct",
        "procent",
        ("aanbieder",),
        "Restant van een aanbieder ten opzichte van zijn budgetindicatie, in procent van de "
        "indicatie. Negatief = de aanbieder gaat er naar verwachting overheen; de maand waarin "
        "dat gebeurt staat bij de invoer.",
        "jaarprognose per aanbieder tegen budgetindicaties in config/gemeenten",
        slecht="laag",
        slecht_uitleg="negatief is een nadeel: de aanbieder gaat over zijn budgetindicatie",
    ),
    Metric(
        "aanbieder_prognose",
        "euro",
        ("aanbieder",),
        "De jaarprognose van een aanbieder in euro's; met 'budgetindicatie' als referentie.",
        "jaarprognose per aanbieder",
        ("budgetindicatie",),
    ),
    Metric(
        "maandkosten",
        "euro",
        ("perceel",),
        "De kosten (verwacht compleet) van de laatste zorgmaand die grotendeels binnen is "
        "(twee maanden voor de peilmaand), tegen het 95 %-interval van de voorspelling die "
        "zonder die maand gemaakt is. 'buiten interval_95' = een ongewone maand.",
        "maandreeks per perceel, aangevuld voor nadeclaraties",
        ("interval_95",),
        slecht="beide",
        slecht_uitleg="een ongewone maand kan zowel te hoog als te laag zijn",
    ),
    Metric(
        "groei_boven_begroting_pct",
        "procent",
        ("perceel",),
        "Verwachte groei exclusief indexatie (prognose dit jaar t.o.v. realisatie vorig jaar, "
        "gecorrigeerd met de werkelijke indexatie) min de groei die de begroting aannam "
        "(begroting t.o.v. realisatie vorig jaar, gecorrigeerd met de begrote indexatie), "
        "in procentpunten.",
        "jaarprognose, realisatie vorig jaar, indexatie in config/gemeenten",
    ),
    Metric(
        "unieke_clienten_groei_pct",
        "procent",
        ("perceel",),
        "Groei van het aantal unieke cliënten in de laatste 12 zorgmaanden (t/m de maand vóór "
        "de peilmaand) t.o.v. de 12 maanden daarvoor, die zoals bekend een jaar eerder. "
        "Percelen met minder dan 10 cliënten worden niet getoond (kleine aantallen zijn "
        "herleidbaar tot personen).",
        "declaraties (pseudoniemen geteld in de database)",
        soort="clienten",
    ),
    Metric(
        "kosten_per_client_groei_pct",
        "procent",
        ("perceel",),
        "Groei van de kosten per unieke cliënt, exclusief indexatie, zelfde maanden als "
        "unieke_clienten_groei_pct.",
        "declaraties en indexatie in config/gemeenten",
        soort="clienten",
    ),
    Metric(
        "top10_aandeel_pct",
        "procent",
        ("perceel",),
        "Aandeel van de 10 duurste cliënten in de kosten van de laatste 12 zorgmaanden.",
        "declaraties",
        soort="clienten",
    ),
    Metric(
        "hoge_kosten_gevallen",
        "aantal",
        ("perceel",),
        "Aantal cliënten van wie de kosten in de laatste 12 zorgmaanden boven de hoge-kostengrens "
        "(monitorbot.yaml: hoge_kosten_grens, standaard € 250.000) liggen.",
        "declaraties",
        soort="clienten",
        impact=False,
    ),
    Metric(
        "wachttijd_mediaan_dagen",
        "dagen",
        ("perceel", "perceel_aanbieder"),
        "Mediaan van de dagen van toewijzing tot start zorg, over de toewijzingen die in de "
        "12 maanden voor de peilmaand gestart zijn (minstens 5 starts). 'norm' = de "
        "wachttijdnorm uit "
        "config/gemeenten (de meest specifieke: aanbieder+perceel, dan perceel, dan het "
        "bovenliggende perceel).",
        "berichten 301 (toewijzing) en 305 (start zorg) of een wachtlijst-export",
        ("norm",),
        soort="wachttijd",
        impact=False,
    ),
    Metric(
        "wachttijd_p90_dagen",
        "dagen",
        ("perceel", "perceel_aanbieder"),
        "Het 90e percentiel van dezelfde wachttijden (de lange staart).",
        "berichten 301 en 305 of een wachtlijst-export",
        ("norm",),
        soort="wachttijd",
        impact=False,
    ),
    Metric(
        "wachtlijst",
        "aantal",
        ("gemeente", "perceel"),
        "Aantal toewijzingen uit de 12 maanden voor de peildatum die op de peildatum nog geen "
        "start zorg hebben en niet beëindigd zijn (oudere toewijzingen zonder start tellen niet: "
        "dat zijn meestal ontbrekende startberichten, geen wachtenden).",
        "berichten 301, 305 en 307 of een wachtlijst-export",
        soort="wachttijd",
        impact=False,
    ),
    Metric(
        "wachtlijst_groei_pct",
        "procent",
        ("gemeente", "perceel"),
        "Verandering van de wachtlijst t.o.v. drie maanden eerder, in procent.",
        "berichten 301, 305 en 307",
        soort="wachttijd",
        impact=False,
    ),
    Metric(
        "aanvragen_in_behandeling",
        "aantal",
        ("gemeente",),
        "Verzoeken om toewijzing (315) van de laatste 12 maanden waarop op de peildatum nog "
        "geen toewijzing (301) en geen afwijzing (319) bekend is; de invoer zegt hoeveel al "
        "langer dan de wettelijke acht weken lopen.",
        "berichten 315, 301 en 319",
        soort="wachttijd",
        impact=False,
    ),
    Metric(
        "afgewezen_aanvragen",
        "aantal",
        ("gemeente",),
        "Verzoeken om toewijzing van de laatste 12 maanden die met een 319 zijn afgewezen "
        "(en niet alsnog toegewezen).",
        "berichten 315 en 319",
        soort="wachttijd",
        impact=False,
    ),
    Metric(
        "beslistermijn_dagen",
        "dagen",
        ("gemeente",),
        "Mediaan van de dagen van verzoek (315) tot besluit (toewijzing 301 of afwijzing 319) "
        "over de verzoeken van de laatste 12 maanden met een besluit (minstens 5). De wettelijke "
        "termijn is acht weken (56 dagen).",
        "berichten 315, 301 en 319",
        soort="wachttijd",
        impact=False,
    ),
    Metric(
        "kpi",
        "aantal",
        ("gemeente",),
        "Een KPI uit kpi_doelen in config/gemeenten (label kpi): kosten_per_client = kosten "
        "van de laatste 12 zorgmaanden (t/m de maand vóór de peilmaand) gedeeld door de "
        "unieke cliënten in die maanden (euro); "
        "aandeel_lokaal_team = % jeugdcliënten met alleen lokaal-teamzorg (categorie 31); "
        "verblijf_vs_pleegzorg = unieke cliënten in de verblijf-percelen per 100 in de "
        "pleegzorg-percelen (zelfde maanden; niet berekend onder 10 cliënten aan een kant); "
        "doorlooptijd = gemiddelde duur in maanden van trajecten (start zorg 305 tot stop zorg "
        "307, zoals bekend op de peildatum) die in de 12 maanden voor de peildatum eindigden, "
        "minstens 10. "
        "'mist kpi_doel' = aan de verkeerde kant van het doel, in de richting uit de config.",
        "declaraties, berichten 305/307 en kpi_doelen",
        ("kpi_doel",),
        soort="kpi",
        impact=False,
        slecht="beide",
        slecht_uitleg="de richting staat bij het KPI-doel",
    ),
    Metric(
        "ontbrekende_declaraties",
        "aantal",
        ("aanbieder",),
        "Aantal recente zorgmaanden (van de laatste twee die grotendeels binnen horen te zijn) "
        "waarvoor een aanbieder die in de vier maanden daarvoor elke maand declareerde, niets "
        "gedeclareerd heeft. De impact is zijn gemiddelde maandbedrag.",
        "declaraties (declaratiedatum en zorgmaand)",
        soort="datakwaliteit",
    ),
    Metric(
        "geweigerde_bestanden",
        "aantal",
        ("gemeente",),
        "Bestanden die in de 31 dagen voor de peildatum in quarantaine gingen.",
        "bronbestand (status geweigerd)",
        soort="datakwaliteit",
        impact=False,
    ),
    Metric(
        "totaalverschillen",
        "aantal",
        ("gemeente", "aanbieder"),
        "Declaraties uit de laatste 31 dagen waarvan het ingediende totaal niet gelijk is aan "
        "de som van de prestaties (bevinding totaal_mismatch).",
        "bevindingen bij het inlezen",
        soort="datakwaliteit",
        impact=False,
    ),
    Metric(
        "bevindingen",
        "aantal",
        ("gemeente",),
        "Alle datakwaliteitsbevindingen bij bestanden uit de laatste 31 dagen (dubbele "
        "regels, ongeldige BSN, onbekende codes, ...).",
        "bevindingen bij het inlezen",
        soort="datakwaliteit",
        impact=False,
    ),
    Metric(
        "niet_ingedeeld_bedrag",
        "euro",
        ("gemeente",),
        "Bedrag van declaratieregels dit jaar die onder geen perceel vallen (perceel "
        "niet-ingedeeld): geld dat in geen enkele prognose meetelt.",
        "declaraties",
        soort="datakwaliteit",
    ),
    Metric(
        "ontbrekende_maandtotalen",
        "aantal",
        ("gemeente",),
        "Bronnen die elke maand leverden en nu stil zijn (label bron): per perceel met "
        "maandtotalen (PGB via de SVB, eigen bijdrage via het CAK) het aantal van de twee "
        "laatste maanden die binnen hadden moeten zijn (maandeinde + 15 dagen) maar ontbreken, "
        "terwijl de vier maanden daarvoor er wel waren; voor de wachtlijst-export het aantal "
        "gemiste leveringen sinds de laatste. De prognose vult ontbrekende maanden aan; deze "
        "metric zegt dat het een schatting is.",
        "maandtotalen en wachtlijst-exports",
        soort="datakwaliteit",
    ),
    Metric(
        "afgekeurde_berichten",
        "aantal",
        ("aanbieder",),
        "Berichten van een aanbieder (305, 307, 315, 317) die in de 31 dagen voor de peildatum "
        "terugkwamen met een afkeurende retourcode (elke code behalve 0200, 0233 en 8001) in het "
        "technische retourbericht (306, 308, 316, 318).",
        "technische retourberichten",
        soort="datakwaliteit",
        impact=False,
    ),
    Metric(
        "afgewezen_declaraties_pct",
        "procent",
        ("aanbieder",),
        "Deel van het gedeclareerde bedrag van een aanbieder dat de gemeente afwees, over de "
        "declaratie-antwoorden (325) van de 92 dagen voor de peildatum: afgewezen / ingediend "
        "× 100. Afgewezen regels tellen vanaf het antwoord niet meer mee in de kosten; de "
        "invoer noemt het bedrag en de meest voorkomende retourcodes.",
        "declaratie-antwoorden (325)",
        soort="datakwaliteit",
    ),
    Metric(
        "begroting_ontbreekt",
        "aantal",
        ("gemeente",),
        "1 als er voor het jaar van de peildatum geen begroting is die op de peildatum "
        "vastgesteld was (config/begroting/<gemeente>-<jaar>.yaml, versies met vastgesteld_op), "
        "anders 0. Zonder begroting heeft geen enkele afwijking een basis: de budgetregels "
        "zwijgen en de rapporten weigeren het jaar.",
        "config/begroting",
        soort="configuratie",
        impact=False,
    ),
)

BY_NAME: dict[str, Metric] = {metric.naam: metric for metric in METRICS}
PERCENTAGE_POINTS = {"groei_boven_begroting_pct"}  # a difference of two percentages
BUDGET_METRICS = frozenset(
    {"prognose_afwijking_pct", "prognose", "aanbieder_afwijking_pct", "aanbieder_prognose"}
)  # prognosis against a begroting or budget indication


def metric(naam: str) -> Metric:
    return BY_NAME[naam]


def format_value(naam: str, value: float | tuple[float, float] | None) -> str:
    """A metric's value (or threshold) as people read it: € 1.234, -22,8 %, 93 dagen."""
    if value is None:
        return "-"
    if isinstance(value, (tuple, list)):
        return f"{format_value(naam, value[0])} – {format_value(naam, value[1])}"
    unit = BY_NAME[naam].eenheid if naam in BY_NAME else "aantal"
    if unit == "euro":
        return f"€ {format_euros(round(value))}"
    if unit == "procent":
        return format_change(value, unit="%-punt" if naam in PERCENTAGE_POINTS else "%")
    if unit == "dagen":
        days = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
        return f"{days} dagen"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.1f}".replace(".", ",")


#: Lists of alerts show the catalogue's order within a severity: the budget first.
METRIC_ORDER: dict[str, int] = {metric.naam: rank for rank, metric in enumerate(METRICS)}
