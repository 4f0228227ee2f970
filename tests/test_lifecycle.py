"""The alert lifecycle with an injected clock: no test sleeps, every step is a value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitorbot.core.calendar import shift_months
from monitorbot.evaluate.lifecycle import (
    AlertState,
    SilenceRule,
    Step,
    advance,
    fingerprint,
    observe,
)
from monitorbot.evaluate.rules import Rule
from monitorbot.evaluate.snapshot import Measurement

GEMEENTE = "9999"
NOV = datetime(2026, 11, 10, 7, tzinfo=UTC)
DEC = datetime(2026, 12, 10, 7, tzinfo=UTC)
JAN = datetime(2027, 1, 10, 7, tzinfo=UTC)


def rule(naam: str = "overschrijding", **overrides) -> Rule:
    fields = {
        "naam": naam,
        "omschrijving": "test",
        "scope": "perceel",
        "metric": "prognose_afwijking_pct",
        "drempels": {"waarschuwing": "< -5 %", "kritiek": "< -15 %"},
        "kanaal": "kernteam",
        "eigenaar": "controller",
        "actie": "bespreken",
    } | overrides
    return Rule.model_validate(fields)


def row(
    value: float, perceel: str = "jeugd-zin", impact: float = 10_000_000, **labels
) -> Measurement:
    return Measurement({"perceel": perceel, **labels}, perceel, value, impact_cents=impact)


class Monitor:
    """Carries states from one evaluation to the next, as the database does."""

    def __init__(self) -> None:
        self.states: dict[str, AlertState] = {}
        self.silences: list[SilenceRule] = []

    def run(
        self, now: datetime, *pairs: tuple[Rule, Measurement], rules: set[str] | None = None
    ) -> Step:
        observations = [observe(r, m) for r, m in pairs]
        step = advance(
            self.states,
            observations,
            rules if rules is not None else {r.naam for r, _ in pairs},
            gemeente=GEMEENTE,
            now=now,
            peilmaand=shift_months(now.date(), -1),  # the cycle on the 10th reports last month
            silences=self.silences,
        )
        self.states |= {u.after.fingerprint: u.after for u in step.updates}
        return step

    def told(self, step: Step) -> list[tuple[str, str, str | None]]:
        return [(u.after.regel, u.melding or "", u.after.ernst) for u in step.to_send]

    def state(self, rule_name: str, perceel: str = "jeugd-zin") -> AlertState:
        return self.states[fingerprint(GEMEENTE, rule_name, {"perceel": perceel})]


def test_new_alert_is_told_once_then_repeated_next_monthly_cycle():
    monitor, r = Monitor(), rule()
    assert monitor.told(monitor.run(NOV, (r, row(-10)))) == [
        ("overschrijding", "nieuw", "waarschuwing")
    ]
    # A second evaluation in the same month (a new file arrived) says nothing new.
    assert monitor.told(monitor.run(NOV + timedelta(hours=3), (r, row(-11)))) == []
    assert monitor.told(monitor.run(DEC, (r, row(-11)))) == [
        ("overschrijding", "herhaling", "waarschuwing")
    ]
    assert monitor.state("overschrijding").sinds == NOV


def test_pending_until_it_holds_in_voor_monthly_cycles():
    monitor, r = Monitor(), rule(voor=2)
    step = monitor.run(NOV, (r, row(-10)))
    assert monitor.told(step) == [] and monitor.state("overschrijding").status == "pending"
    # New files the same month: evaluated again, but it is still the same cycle.
    monitor.run(NOV + timedelta(days=5), (r, row(-10)))
    assert monitor.state("overschrijding").status == "pending"
    # Holding once and then not: back to inactive without a word.
    monitor.run(DEC, (r, row(0)))
    assert monitor.state("overschrijding").status == "inactief"
    monitor.run(DEC + timedelta(days=1), (r, row(-10)))
    step = monitor.run(JAN, (r, row(-10)))
    assert monitor.told(step) == [("overschrijding", "nieuw", "waarschuwing")]


def test_escalation_is_told_at_once():
    monitor, r = Monitor(), rule()
    monitor.run(NOV, (r, row(-10)))
    step = monitor.run(NOV + timedelta(days=1), (r, row(-20)))
    assert monitor.told(step) == [("overschrijding", "ernstiger", "kritiek")]


def test_resolved_is_announced_once():
    monitor, r = Monitor(), rule()
    monitor.run(NOV, (r, row(-10)))
    assert monitor.told(monitor.run(DEC, (r, row(2)))) == [
        ("overschrijding", "opgelost", "waarschuwing")
    ]
    assert monitor.told(monitor.run(JAN, (r, row(3)))) == []
    assert monitor.state("overschrijding").status == "resolved"
    assert monitor.state("overschrijding").opgelost_op == DEC


def test_a_row_that_disappears_lapses_quietly_and_a_removed_rule_leaves_its_alerts_alone():
    monitor, r = Monitor(), rule()
    monitor.run(NOV, (r, row(-10)))
    assert monitor.told(monitor.run(DEC, rules=set())) == []
    assert monitor.state("overschrijding").status == "firing"
    # The row is gone (the year closed): resolved, but nobody is told "opgelost".
    assert monitor.told(monitor.run(DEC, rules={"overschrijding"})) == []
    assert monitor.state("overschrijding").status == "resolved"


def test_one_off_notice_is_not_announced_when_it_ends():
    monitor, r = Monitor(), rule(herhaal="nooit")
    monitor.run(NOV, (r, row(-10)))
    assert monitor.told(monitor.run(DEC, (r, row(1)))) == []
    assert monitor.state("overschrijding").status == "resolved"


def test_minimum_impact_keeps_small_deviations_quiet():
    monitor, r = Monitor(), rule(minimale_impact="€ 25.000")
    step = monitor.run(NOV, (r, row(-40, impact=300_000)))  # 40 % of €7.500
    assert monitor.told(step) == []
    assert step.updates[0].observation.impact_te_klein
    assert monitor.told(monitor.run(DEC, (r, row(-40, impact=3_000_000)))) != []


def test_kritiek_on_a_perceel_mutes_its_waarschuwing():
    monitor = Monitor()
    budget = rule("budget", drempels={"kritiek": "< -15 %"})
    growth = rule("groei", metric="groei_boven_begroting_pct", drempels={"waarschuwing": "> 5 %"})
    step = monitor.run(
        NOV,
        (budget, row(-20)),
        (growth, row(12)),
        (growth, row(12, perceel="wmo-hh-zin")),
    )
    assert sorted(monitor.told(step)) == [
        ("budget", "nieuw", "kritiek"),
        ("groei", "nieuw", "waarschuwing"),  # the other perceel is not muted
    ]
    muted = [u for u in step.updates if u.onderdrukt]
    assert [u.after.labels["perceel"] for u in muted] == ["jeugd-zin"]
    assert muted[0].onderdrukt.startswith("geremd: kritiek dempt waarschuwing (budget)")
    # Muted is not forgotten: when the kritiek resolves, the waarschuwing is told.
    step = monitor.run(NOV + timedelta(days=1), (budget, row(-1)), (growth, row(12)))
    assert ("groei", "nieuw", "waarschuwing") in monitor.told(step)


def test_data_quality_on_a_provider_mutes_its_cost_alert():
    monitor = Monitor()
    late = rule(
        "declareert-niet",
        scope="aanbieder",
        metric="ontbrekende_declaraties",
        drempels={"waarschuwing": ">= 1"},
    )
    cost = rule(
        "boven-indicatie",
        scope="aanbieder",
        metric="aanbieder_afwijking_pct",
        drempels={"kritiek": "< -5 %"},
    )
    provider = Measurement({"aanbieder": "98990105"}, "Boomhut", 2, impact_cents=1e7)
    spending = Measurement({"aanbieder": "98990105"}, "Boomhut", -12, impact_cents=1e7)
    step = monitor.run(NOV, (late, provider), (cost, spending))
    assert monitor.told(step) == [("declareert-niet", "nieuw", "waarschuwing")]
    [muted] = [u for u in step.updates if u.onderdrukt]
    assert "datakwaliteit dempt kosten" in muted.onderdrukt


def test_silence_mutes_until_it_expires_then_the_alert_is_told():
    monitor, r = Monitor(), rule()
    monitor.silences.append(
        SilenceRule(
            1, {"regel": "overschrijding"}, "controller", "bekend", NOV, NOV + timedelta(days=14)
        )
    )
    step = monitor.run(NOV + timedelta(hours=1), (r, row(-10)))
    assert monitor.told(step) == []
    assert step.updates[0].onderdrukt.startswith("stilte #1 (bekend")
    assert monitor.state("overschrijding").status == "firing"
    assert monitor.told(monitor.run(NOV + timedelta(days=13), (r, row(-10)))) == []
    after_expiry = monitor.run(NOV + timedelta(days=14), (r, row(-10)))
    assert monitor.told(after_expiry) == [("overschrijding", "nieuw", "waarschuwing")]


def test_a_silence_matches_labels_not_just_the_rule():
    monitor, r = Monitor(), rule()
    monitor.silences.append(
        SilenceRule(2, {"perceel": "wmo-hh-zin"}, "c", "r", NOV, NOV + timedelta(days=30))
    )
    step = monitor.run(NOV, (r, row(-10)), (r, row(-10, perceel="wmo-hh-zin")))
    assert [u.after.labels["perceel"] for u in step.to_send] == ["jeugd-zin"]


def test_an_expired_silence_ended_by_hand_no_longer_mutes():
    silence = SilenceRule(3, {}, "c", "r", NOV, NOV + timedelta(days=30), beeindigd_op=NOV)
    assert not silence.active(NOV + timedelta(hours=1))


def test_acknowledged_alert_stays_firing_but_is_not_repeated():
    monitor, r = Monitor(), rule()
    monitor.run(NOV, (r, row(-10)))
    key = monitor.state("overschrijding").fingerprint
    from dataclasses import replace

    monitor.states[key] = replace(
        monitor.states[key],
        bevestigd_door="kernteam",
        bevestigd_op=NOV + timedelta(days=2),
        bevestiging="besproken in kernteam",
    )
    step = monitor.run(DEC, (r, row(-10)))
    assert monitor.told(step) == []
    assert step.updates[0].onderdrukt == "bevestigd door kernteam"
    assert monitor.state("overschrijding").status == "firing"
    # Getting worse is news even when acknowledged.
    assert monitor.told(monitor.run(DEC + timedelta(days=1), (r, row(-20)))) == [
        ("overschrijding", "ernstiger", "kritiek")
    ]
    # A new episode after resolving starts without the old acknowledgement.
    monitor.run(JAN, (r, row(1)))
    step = monitor.run(JAN + timedelta(days=1), (r, row(-10)))
    assert monitor.told(step) == [("overschrijding", "nieuw", "waarschuwing")]
    assert monitor.state("overschrijding").bevestigd_op is None


def test_herhaal_nooit_and_elke_evaluatie():
    monitor = Monitor()
    never = rule("nooit", herhaal="nooit")
    always = rule("altijd", herhaal="elke_evaluatie")
    monitor.run(NOV, (never, row(-10)), (always, row(-10)))
    step = monitor.run(NOV + timedelta(hours=1), (never, row(-10)), (always, row(-10)))
    assert monitor.told(step) == [("altijd", "herhaling", "waarschuwing")]
    assert [
        t[0] for t in monitor.told(monitor.run(DEC, (never, row(-10)), (always, row(-10))))
    ] == ["altijd"]


def test_fingerprint_depends_on_rule_and_labels_not_on_order_or_value():
    a = fingerprint("9999", "r", {"perceel": "x", "aanbieder": "1"})
    b = fingerprint("9999", "r", {"aanbieder": "1", "perceel": "x"})
    assert a == b
    assert a != fingerprint("0384", "r", {"perceel": "x", "aanbieder": "1"})
    assert a != fingerprint("9999", "s", {"perceel": "x", "aanbieder": "1"})


def test_kritiek_mutes_only_the_same_row_and_kind():
    """A provider's kritiek waiting time does not mute another provider's, nor a cost alert."""
    monitor = Monitor()
    wait = rule(
        "wachttijd",
        scope="perceel_aanbieder",
        metric="wachttijd_mediaan_dagen",
        drempels={"waarschuwing": "> 56 dagen", "kritiek": "> 84 dagen"},
    )
    budget = rule("budget", drempels={"waarschuwing": "< -5 %"})
    a = row(90, perceel="jeugd-ambulant", aanbieder="98990102")
    b = row(60, perceel="jeugd-ambulant", aanbieder="98990103")
    cost = row(-8, perceel="jeugd-ambulant")
    step = monitor.run(NOV, (wait, a), (wait, b), (budget, cost))
    assert sorted(monitor.told(step)) == [
        ("budget", "nieuw", "waarschuwing"),
        ("wachttijd", "nieuw", "kritiek"),
        ("wachttijd", "nieuw", "waarschuwing"),
    ]
