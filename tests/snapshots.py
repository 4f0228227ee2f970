"""Hand-made snapshots and evaluations: the message and report builders are tested on these.

Every figure is chosen so the expected texts can be written out exactly: a
youth-care perceel that runs € 1.346.259 over its budget (−22,76 %), a Wmo
perceel with money left, one provider above its waiting-time norm, one rejected
file and the alerts that go with them. No database, no forecast.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from monitorbot.core.calendar import Peildatum
from monitorbot.core.states import AlertStatus, Ernst, Melding, Niveau
from monitorbot.evaluate.lifecycle import AlertState, AlertUpdate, Step, observe
from monitorbot.evaluate.outcome import Evaluation
from monitorbot.evaluate.regio_snapshot import (
    Band,
    Kengetal,
    LidBron,
    LidCijfer,
    RegioRij,
    RegioSnapshot,
    combine,
)
from monitorbot.evaluate.rules import Rule
from monitorbot.evaluate.snapshot import (
    AlertLogEntry,
    DataQuality,
    Deliveries,
    FailedDelivery,
    FindingCount,
    Groei,
    Measurement,
    QuarantinedFile,
    Snapshot,
    Verplichting,
    WaitingTime,
    metric_key,
)
from monitorbot.forecast.results import (
    BudgetReport,
    ClientFigures,
    Interval,
    MonthFigure,
    MonthlyPrognosis,
    PerceelPrognose,
)

NOW = datetime(2026, 11, 10, 6, 0, tzinfo=UTC)  # 07:00 in Amsterdam
PEILDATUM = Peildatum.op(date(2026, 11, 10))
SINCE = datetime(2026, 10, 10, 6, 0, tzinfo=UTC)

JEUGD_PROGNOSE = 726_125_900  # € 7.261.259
JEUGD_BEGROTING = 591_500_000  # € 5.915.000
WMO_PROGNOSE = 148_000_000  # € 1.480.000
WMO_BEGROTING = 162_100_000  # € 1.621.000


def _interval(mid: float, half80: float) -> Interval:
    return Interval(mid, mid - half80, mid + half80, mid - 1.5 * half80, mid + 1.5 * half80)


def budget_report() -> BudgetReport:
    jeugd = PerceelPrognose(
        "jeugd-zin",
        "Jeugd zorg in natura (ZIN)",
        "jeugd",
        Niveau.PERCEEL,
        begroting_cents=JEUGD_BEGROTING,
        gedeclareerd_cents=560_000_000.0,
        verwacht_compleet_cents=598_000_000.0,
        model=_interval(JEUGD_PROGNOSE, 20_000_000),
        modelnaam="ets",
    )
    wmo = PerceelPrognose(
        "wmo-begeleiding-zin",
        "Wmo begeleiding ZIN",
        "wmo",
        Niveau.PERCEEL,
        begroting_cents=WMO_BEGROTING,
        gedeclareerd_cents=120_000_000.0,
        verwacht_compleet_cents=123_000_000.0,
        model=_interval(WMO_PROGNOSE, 5_000_000),
        modelnaam="theta",
    )
    jeugd_total = PerceelPrognose(
        "domein:jeugd",
        "Subtotaal Jeugd",
        "jeugd",
        Niveau.DOMEIN,
        begroting_cents=JEUGD_BEGROTING,
        model=jeugd.model,
    )
    wmo_total = PerceelPrognose(
        "domein:wmo",
        "Subtotaal Wmo",
        "wmo",
        Niveau.DOMEIN,
        begroting_cents=WMO_BEGROTING,
        model=wmo.model,
    )
    total = PerceelPrognose(
        "totaal",
        "Totaal",
        "",
        Niveau.TOTAAL,
        begroting_cents=JEUGD_BEGROTING + WMO_BEGROTING,
        gedeclareerd_cents=jeugd.gedeclareerd_cents + wmo.gedeclareerd_cents,
        verwacht_compleet_cents=jeugd.verwacht_compleet_cents + wmo.verwacht_compleet_cents,
        model=jeugd.model + wmo.model,  # type: ignore[operator]
    )
    months = MonthlyPrognosis(
        "jeugd-zin",
        "Jeugd zorg in natura (ZIN)",
        2026,
        PEILDATUM.grens,
        tuple(
            MonthFigure(date(2026, m, 1), 56_000_000.0, 59_800_000.0, None)
            if m <= 10
            else MonthFigure(date(2026, m, 1), None, None, _interval(64_062_950, 4_000_000))
            for m in range(1, 13)
        ),
        jeugd.model,
        "ets",
        None,
    )
    return BudgetReport(
        "0384",
        "Testdorp",
        2026,
        PEILDATUM,
        "primitieve begroting",
        [jeugd, wmo, jeugd_total, wmo_total, total],
        (months,),
    )


def waiting() -> WaitingTime:
    return WaitingTime(
        perceel="jeugd-ambulant",
        perceel_naam="Jeugd ambulant",
        agb="98990102",
        aanbieder="Jeugdhulp De Knikkerbaan",
        gestart=40,
        mediaan_dagen=93.0,
        p90_dagen=160.0,
        norm_dagen=56,
        boven_norm=31,
    )


def budget_inputs() -> dict:
    """What the budget rule's observation stored for jeugd-zin."""
    return {
        "jaar": 2026,
        "begroting_cents": JEUGD_BEGROTING,
        "prognose_cents": JEUGD_PROGNOSE,
        "restant_cents": JEUGD_BEGROTING - JEUGD_PROGNOSE,
        "v_n": "N",
        "afwijking_pct": -22.76,
        "gedeclareerd_cents": 560_000_000,
        "verwacht_compleet_cents": 598_000_000,
        "bron": "model",
        "model": "ets",
        "lo80_cents": JEUGD_PROGNOSE - 20_000_000,
        "hi80_cents": JEUGD_PROGNOSE + 20_000_000,
    }


def budget_rule() -> Rule:
    return Rule.model_validate(
        {
            "naam": "perceel-prognose-boven-begroting",
            "omschrijving": "De jaarprognose van een perceel komt boven de begroting uit.",
            "scope": "perceel",
            "metric": "prognose_afwijking_pct",
            "drempels": {"waarschuwing": "< -5 %", "kritiek": "< -15 %"},
            "kanaal": "kernteam",
            "eigenaar": "controller",
            "actie": "Bespreek in het kernteam welke maatregel de groei remt.",
        }
    )


def budget_update() -> AlertUpdate:
    measurement = Measurement(
        {"perceel": "jeugd-zin", "domein": "jeugd", "jaar": "2026"},
        "Jeugd zorg in natura (ZIN)",
        -22.76,
        impact_cents=float(JEUGD_PROGNOSE - JEUGD_BEGROTING),
        invoer=budget_inputs(),
    )
    observation = observe(budget_rule(), measurement)
    before = AlertState("f1", "perceel-prognose-boven-begroting", observation.labels)
    after = AlertState(
        "f1",
        "perceel-prognose-boven-begroting",
        observation.labels,
        status=AlertStatus.FIRING,
        ernst=Ernst.KRITIEK,
        sinds=NOW,
        opeenvolgend=1,
        titel="Jeugd zorg in natura (ZIN)",
        kanaal="kernteam",
        id=7,
    )
    return AlertUpdate(before, after, observation, melding=Melding.NIEUW)


def snapshot() -> Snapshot:
    budget = budget_report()
    return Snapshot(
        gemeente="0384",
        gemeente_naam="Testdorp",
        peildatum=PEILDATUM,
        berekend_op=NOW,
        tijdzone="Europe/Amsterdam",
        hoge_kosten_grens_cents=25_000_000,
        begroting=budget,
        maanden=budget.maanden,
        wachttijden=(waiting(),),
        groei=(
            Groei(
                "jeugd-zin",
                "Jeugd zorg in natura (ZIN)",
                10,
                ClientFigures(2025, 500_000_000, 480, 130_000_000, 1),
                ClientFigures(2026, 598_000_000, 478, 160_000_000, 2),
                3.8,
            ),
        ),
        verplichtingen=(
            Verplichting(
                "jeugd-ambulant",
                "Jeugd ambulant",
                "98990102",
                "Jeugdhulp De Knikkerbaan",
                42,
                40,
                61_234_567.0,
                2,
            ),
            Verplichting(
                "jeugd-ambulant",
                "Jeugd ambulant",
                None,
                "overige aanbieders (elk minder dan 10 cliënten)",
                13,
                12,
                9_876_543.4,
                0,
            ),
        ),
        metingen={
            metric_key("wachttijd_mediaan_dagen", "perceel_aanbieder"): (
                Measurement(
                    {"perceel": "jeugd-ambulant", "aanbieder": "98990102"},
                    "Jeugdhulp De Knikkerbaan — Jeugd ambulant",
                    93.0,
                    {"norm": 56},
                ),
            ),
            metric_key("afgewezen_declaraties_pct", "aanbieder"): (
                Measurement(
                    {"aanbieder": "98990103"},
                    "Stichting Het Speelkwartier",
                    6.25,
                    impact_cents=250_000.0,
                    invoer={
                        "antwoorden": 3,
                        "ingediend_cents": 4_000_000,
                        "afgewezen_cents": 250_000,
                        "retourcodes": ["0611 (4×)", "8187 (1×)"],
                        "venster_dagen": 92,
                    },
                ),
            ),
        },
        datakwaliteit=DataQuality(31, 1, 3),
        bevindingen=(
            FindingCount(
                "totaal_mismatch", "98990103", "Stichting Het Speelkwartier", 1, 1_000, SINCE, SINCE
            ),
        ),
        geweigerd=(QuarantinedFile("jw323-kapot.xml", "jw323", SINCE, "regel 3: ongeldige datum"),),
        signaleringen=(
            AlertLogEntry(
                7,
                "perceel-prognose-boven-begroting",
                "Jeugd zorg in natura (ZIN)",
                AlertStatus.FIRING,
                Ernst.KRITIEK,
                NOW,
                None,
                None,
                "prognose_afwijking_pct",
                -22.76,
                budget_inputs() | {"impact_cents": 134_625_900},
            ),
            AlertLogEntry(
                8,
                "wachttijd-boven-norm",
                "Jeugdhulp De Knikkerbaan — Jeugd ambulant",
                AlertStatus.FIRING,
                Ernst.KRITIEK,
                SINCE,
                "kernteam",
                NOW,
                "wachttijd_mediaan_dagen",
                93.0,
                {"drempel": 84.0, "omschrijving": "De mediane wachttijd ligt boven de norm."},
            ),
        ),
        bezorging=Deliveries((FailedDelivery("managers", "teams", "webhook 404"),), 0),
    )


def evaluation() -> Evaluation:
    return Evaluation(
        "0384", PEILDATUM, NOW, Step([budget_update()]), [], date(2026, 10, 1), snapshot()
    )


def _rule(**fields) -> Rule:
    base = {"kanaal": "kernteam", "eigenaar": "contractmanager", "actie": "Bel de aanbieder."}
    return Rule.model_validate(base | fields)


def _firing(rule: Rule, measurement: Measurement, ident: int) -> AlertUpdate:
    observation = observe(rule, measurement)
    before = AlertState(f"f{ident}", rule.naam, observation.labels)
    after = AlertState(
        f"f{ident}",
        rule.naam,
        observation.labels,
        status=AlertStatus.FIRING,
        ernst=observation.ernst,
        sinds=NOW,
        opeenvolgend=1,
        titel=measurement.titel,
        kanaal="kernteam",
        id=ident,
    )
    return AlertUpdate(before, after, observation, melding=Melding.NIEUW)


def waiting_and_totals_evaluation() -> Evaluation:
    """Two providers above their waiting norm (one block) and a total that does not add up."""
    waits = _rule(
        naam="wachttijd-boven-norm",
        omschrijving="De mediane wachttijd bij een aanbieder ligt boven de norm.",
        scope="perceel_aanbieder",
        metric="wachttijd_mediaan_dagen",
        drempels={"waarschuwing": "> norm"},
    )
    totals = _rule(
        naam="totaalverschil",
        omschrijving="Een declaratie telt niet op tot haar totaal.",
        scope="gemeente",
        metric="totaalverschillen",
        drempels={"waarschuwing": ">= 1"},
    )
    updates = [
        _firing(
            waits,
            Measurement(
                {"perceel": "jeugd-ambulant", "aanbieder": agb},
                f"{naam} — Jeugd ambulant",
                days,
                {"norm": 56},
            ),
            ident,
        )
        for ident, (agb, naam, days) in enumerate(
            [("98990102", "Jeugdhulp De Knikkerbaan", 93.0), ("98990105", "De Boomhut", 61.0)],
            start=11,
        )
    ]
    updates.append(
        _firing(
            totals,
            Measurement(
                {},
                "Totaalverschillen in declaraties",
                1.0,
                impact_cents=1_000.0,
                invoer={
                    "aantal": 1,
                    "verschillen": [
                        {
                            "bestand": "jw323-speelkwartier-2026-09.xml",
                            "aanbieder": "Stichting Het Speelkwartier",
                            "totaal_cents": 1_234_567,
                            "som_cents": 1_233_567,
                            "verschil_cents": 1_000,
                        }
                    ],
                },
            ),
            13,
        )
    )
    return Evaluation("0384", PEILDATUM, NOW, Step(updates), [], date(2026, 10, 1), snapshot())


ELDERS_BEGROTING = 100_000_000  # € 1.000.000
ELDERS_PROGNOSE = 90_000_000  # € 900.000


def regio_snapshot() -> RegioSnapshot:
    """Testregio: Testdorp (0384) and Elders (0999); youth care only, plus the total."""
    testdorp = LidCijfer(
        "0384",
        JEUGD_BEGROTING,
        Band(JEUGD_PROGNOSE, JEUGD_PROGNOSE - 20_000_000, JEUGD_PROGNOSE + 20_000_000,
             JEUGD_PROGNOSE - 30_000_000, JEUGD_PROGNOSE + 30_000_000),
        "model",
    )  # fmt: skip
    elders = LidCijfer("0999", ELDERS_BEGROTING, Band.exact(ELDERS_PROGNOSE), "correctie")
    rows = tuple(
        RegioRij(
            perceel,
            naam,
            domein,
            niveau,
            (testdorp, elders),
            0.4,
            combine([testdorp.prognose, elders.prognose], 0.4),
        )
        for perceel, naam, domein, niveau in (
            ("jeugd-zin", "Jeugd zorg in natura (ZIN)", "jeugd", Niveau.PERCEEL),
            ("totaal", "Totaal", "", Niveau.TOTAAL),
        )
    )
    return RegioSnapshot(
        regio="testregio",
        naam="Testregio",
        peildatum=PEILDATUM,
        berekend_op=NOW,
        tijdzone="Europe/Amsterdam",
        leden=(
            LidBron("0384", "Testdorp", NOW, 1),
            LidBron("0999", "Elders", NOW, 2),
        ),
        rijen=rows,
        kengetallen=(
            Kengetal(
                "kosten_per_jeugdclient",
                "Kosten per cliënt jeugdhulp",
                "€",
                (("0384", 12_500.0), ("0999", None)),  # Elders: under 10 clients
                12_000.0,
                12_500.0,
                12_500.0,
                12_500.0,
            ),
        ),
        kengetallen_periode="januari t/m oktober 2026",
    )
