"""Evaluating rules on stored data: the demo's planted facts, state in the database, the CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.config import load_config
from monitorbot.config.codes import NIET_INGEDEELD
from monitorbot.core.calendar import Peildatum
from monitorbot.core.privacy import passes_elfproef
from monitorbot.evaluate.engine import evaluate
from monitorbot.evaluate.rules import load_rules
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.store import db, models
from tests.messages import declaration_row, source_file_row

ROOT = Path(__file__).resolve().parents[1]
# The demo was ingested at 07:00 on 10 November 2026 (the demo_database fixture's clock).
DEMO_NOW = datetime(2026, 11, 10, 8, tzinfo=UTC)
DEMO_PEILDATUM = Peildatum.op(date(2026, 11, 10))  # everything known on the demo's "today"
JEUGD_ZIN = '{"domein": "jeugd", "jaar": "2026", "perceel": "jeugd-zin"}'


@pytest.fixture(scope="module")
def setup():
    config = load_config(ROOT / "config")
    return config, load_forecast_spec(ROOT / "forecasts"), load_rules([ROOT / "alerts"])


def _demo_evaluation(demo_database, setup):
    config, spec, rules = setup
    with db.transaction(demo_database.engine) as session:
        result = evaluate(
            session,
            config,
            spec,
            rules,
            "9999",
            now=DEMO_NOW,
            peildatum=DEMO_PEILDATUM,
            dry_run=True,
        )
        session.rollback()
    return result


def _firing(evaluation) -> dict[tuple[str, str], str]:
    return {
        (u.after.regel, json.dumps(u.after.labels, sort_keys=True)): u.after.ernst
        for u in evaluation.firing
    }


def test_default_rules_fire_on_what_the_demo_planted(demo_database, setup):
    evaluation = _demo_evaluation(demo_database, setup)
    assert evaluation.problems == []
    firing = _firing(evaluation)
    rules = {regel for regel, _ in firing}
    # The youth-care overrun (−23 % against the budget), per perceel, domain and total.
    assert firing[("perceel-prognose-boven-begroting", JEUGD_ZIN)] == "kritiek"
    assert firing[("domein-prognose-boven-begroting", '{"domein": "jeugd", "jaar": "2026"}')] == (
        "kritiek"
    )
    # The provider planted above its waiting-time norm (median ~90 days, norm 56).
    assert (
        firing[("wachttijd-boven-norm", '{"aanbieder": "98990102", "perceel": "jeugd-ambulant"}')]
        == "kritiek"
    )
    assert not any(
        regel == "wachttijd-boven-norm" and "98990102" not in labels for regel, labels in firing
    )
    # The dirty messages: the rejected file and the declaration whose total does not add up.
    assert ("bestanden-in-quarantaine", "{}") in firing
    assert ("totaalverschillen", '{"aanbieder": "98990103"}') in firing
    # Not on noise: nothing in the demo is planted for these.
    quiet = {
        "concentratie-top10",
        "hoge-kosten-gevallen",
        "niet-ingedeelde-kosten",
        "aanbieder-declareert-niet",
        "lange-wachttijden",
        "wachtlijst-omvang",
    }
    assert rules.isdisjoint(quiet)


def test_messages_go_per_channel_and_inhibited_ones_are_explained(demo_database, setup):
    evaluation = _demo_evaluation(demo_database, setup)
    groups = evaluation.by_channel()
    assert set(groups) == {"kernteam", "managers"}
    assert {u.after.regel for u in groups["managers"]} >= {
        "domein-prognose-boven-begroting",
        "totaal-prognose-boven-begroting",
    }
    assert all(u.melding == "nieuw" for us in groups.values() for u in us)
    muted = [u for u in evaluation.step.updates if u.onderdrukt]
    assert all(u.onderdrukt.startswith("geremd: ") for u in muted)
    # `voor: 2`: a provider over its indication waits for a second month before it is told.
    pending = {
        u.after.labels["aanbieder"]
        for u in evaluation.step.updates
        if u.after.regel == "aanbieder-boven-budgetindicatie" and u.after.status == "pending"
    }
    assert "98990101" in pending


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [*map(str, value), *(s for v in value.values() for s in _strings(v))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_stored_inputs_hold_aggregates_only(demo_database, demo_dir, setup):
    """What is stored with every evaluation holds no BSN and no pseudonym.

    Amounts in cents are nine-digit numbers too (and some pass the 11-proef by
    chance), so the check looks at every text value and at the demo's real BSNs.
    """
    evaluation = _demo_evaluation(demo_database, setup)
    stored = [
        {"invoer": u.observation.measurement.invoer, "labels": u.observation.measurement.labels}
        for u in evaluation.step.updates
        if u.observation
    ]
    texts = _strings(stored)
    assert not [
        n for t in texts for n in re.findall(r"(?<!\d)\d{9}(?!\d)", t) if passes_elfproef(n)
    ]
    everything = json.dumps(stored, default=str)
    bsns = {
        match
        for file in sorted((demo_dir / "berichten").rglob("*323*.xml"))[:400]
        for match in re.findall(r"<(?:\w+:)?Bsn>(\d{9})<", file.read_text(encoding="utf-8"))
    }
    assert len(bsns) > 100
    assert not [bsn for bsn in bsns if bsn in everything]
    with db.transaction(demo_database.engine) as session:
        pseudonyms = session.scalars(
            select(models.Declaratieregel.client_pseudoniem).distinct().limit(500)
        ).all()
    assert not any(p in everything for p in pseudonyms)


# --------------------------------------------------------------------------- state in the db

RULES = """\
regels:
  - naam: niet-ingedeeld
    omschrijving: kosten zonder perceel
    scope: gemeente
    metric: niet_ingedeeld_bedrag
    drempels:
      waarschuwing: "> € 1.000"
      kritiek: "> € 10.000"
    kanaal: kernteam
    eigenaar: beheer
    actie: percelen aanvullen
"""


CONSOLE_ONLY = """kanalen:
  kernteam:
    - {type: console}
  managers:
    - {type: console}
wachttijdnormen:"""


@pytest.fixture
def seeded(engine, tmp_path, config_dir):
    """A few unmapped lines, a rule on them, and channels that print instead of post."""
    gemeente_file = config_dir / "gemeenten" / "9999-demodorp.yaml"
    text = gemeente_file.read_text(encoding="utf-8")
    start, end = text.index("kanalen:"), text.index("wachttijdnormen:")
    gemeente_file.write_text(text[:start] + CONSOLE_ONLY + text[end + len("wachttijdnormen:") :])
    config = load_config(config_dir)
    from monitorbot.store.sync import sync_config

    with db.transaction(engine) as session:
        sync_config(session, config)
        session.add(source_file_row(datetime(2026, 10, 1, tzinfo=UTC)))
        session.flush()
        session.add_all(
            [
                declaration_row(
                    client="p1",
                    cents=250_000,
                    month=date(2026, 8, 1),
                    declared=date(2026, 9, 5),
                    perceel=NIET_INGEDEELD,
                ),
                # Declared in December: unknown to an evaluation at the end of November.
                declaration_row(
                    client="p2",
                    cents=1_500_000,
                    month=date(2026, 9, 1),
                    declared=date(2026, 12, 3),
                    perceel=NIET_INGEDEELD,
                ),
            ]
        )
    alerts = tmp_path / "alerts"
    alerts.mkdir()
    (alerts / "regels.yaml").write_text(RULES, encoding="utf-8")
    return engine, alerts


def _cli(engine, alerts: Path, *args: str):
    env = {
        "MONITORBOT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "MONITORBOT_ALERTS_DIR": str(alerts),
        "MONITORBOT_FORECASTS_DIR": str(ROOT / "forecasts"),
    }
    config = alerts.parent / "config"
    return CliRunner().invoke(app, ["--config-dir", str(config), *args], env=env)


def test_evaluate_cli_keeps_state_and_does_not_repeat(seeded):
    engine, alerts = seeded
    first = _cli(
        engine,
        alerts,
        "evaluate",
        "--gemeente",
        "9999",
        "--as-of",
        "2026-10",
        "--nu",
        "2026-11-01T08:00",
    )
    assert first.exit_code == 0, first.output
    assert "Te versturen naar kanaal kernteam: 1 melding(en)" in first.output
    assert (
        "nieuw     [waarschuwing] niet-ingedeeld — Niet-ingedeelde kosten: € 2.500 "
        "(drempel € 1.000)" in first.output
    )
    again = _cli(
        engine,
        alerts,
        "evaluate",
        "--gemeente",
        "9999",
        "--as-of",
        "2026-10",
        "--nu",
        "2026-11-01T12:00",
    )
    assert "Niets nieuws te melden." in again.output
    # Later data makes it worse: told at once, as an escalation.
    later = _cli(
        engine,
        alerts,
        "evaluate",
        "--gemeente",
        "9999",
        "--as-of",
        "2026-12",
        "--nu",
        "2027-01-01T08:00",
    )
    assert "ernstiger [kritiek] niet-ingedeeld — Niet-ingedeelde kosten: € 17.500" in later.output
    with db.transaction(engine) as session:
        state = session.scalars(select(models.AlertState)).one()
        assert (state.status, state.ernst, state.gemeld_ernst) == ("firing", "kritiek", "kritiek")
        assert session.scalar(select(func.count()).select_from(models.AlertEvaluatie)) == 3
        changes = session.scalars(select(models.ConfigWijziging.bestand)).all()
        assert "alerts/regels.yaml" in changes
    shown = _cli(engine, alerts, "alerts", "show", "--gemeente", "9999", str(state.id))
    assert shown.exit_code == 0, shown.output
    assert "waarde € 17.500, drempel € 10.000: drempel overschreden" in shown.output
    assert "Evaluatie van 01-01-2027 09:00 (peilmaand december 2026)" in shown.output  # local
    assert "status: actief, ernst: kritiek" in shown.output
    assert "regels: 2" in shown.output
    for internal in ("{", "_cents", "impact_te_klein", "firing", "True", "False"):
        assert internal not in shown.output, internal
    other = _cli(engine, alerts, "alerts", "show", "--gemeente", "9998", str(state.id))
    assert other.exit_code == 2 and "'9998' is niet geconfigureerd" in other.output


def test_dry_run_changes_nothing(seeded):
    engine, alerts = seeded
    result = _cli(
        engine,
        alerts,
        *("evaluate", "--gemeente", "9999", "--as-of", "2026-10", "--dry-run"),
        *("--nu", "2026-11-01T08:00"),
    )
    assert "Zou versturen naar kanaal kernteam: 1 melding(en)" in result.output
    # A month a later cycle already reported on is replayed, never evaluated into the states.
    history = _cli(
        engine,
        alerts,
        *("evaluate", "--gemeente", "9999", "--as-of", "2026-10", "--dry-run"),
        *("--nu", "2027-01-12T08:00"),
    )
    assert history.exit_code == 0, history.output
    assert "stand eind oktober 2026" in history.output
    refused = _cli(
        engine,
        alerts,
        *("evaluate", "--gemeente", "9999", "--as-of", "2026-10"),
        *("--nu", "2027-01-12T08:00"),
    )
    assert refused.exit_code == 2 and "al een maandcyclus geweest" in refused.output
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.AlertState)) == 0


def test_silence_and_acknowledgement_through_the_cli(seeded):
    engine, alerts = seeded
    added = _cli(
        engine,
        alerts,
        "silence",
        "add",
        "--gemeente",
        "9999",
        "-m",
        "regel=niet-ingedeeld",
        "--door",
        "controller",
        "--reden",
        "codes worden toegevoegd",
        "--duur",
        "14d",
        "--nu",
        "2026-11-01T07:00",
    )
    assert added.exit_code == 0, added.output
    muted = _cli(
        engine,
        alerts,
        "evaluate",
        "--gemeente",
        "9999",
        "--as-of",
        "2026-10",
        "--nu",
        "2026-11-01T08:00",
    )
    assert "niet verstuurd (stilte #" in muted.output
    listed = _cli(
        engine, alerts, "silence", "list", "--gemeente", "9999", "--nu", "2026-11-02T08:00"
    )
    assert "actief" in listed.output and "codes worden toegevoegd" in listed.output
    silence_id = re.search(r"#(\d+) actief", listed.output).group(1)
    assert (
        _cli(
            engine,
            alerts,
            "silence",
            "expire",
            "--gemeente",
            "9999",
            silence_id,
            "--nu",
            "2026-11-02T09:00",
        ).exit_code
        == 0
    )
    told = _cli(
        engine,
        alerts,
        "evaluate",
        "--gemeente",
        "9999",
        "--as-of",
        "2026-10",
        "--nu",
        "2026-11-02T10:00",
    )
    assert "nieuw     [waarschuwing] niet-ingedeeld" in told.output
    with db.transaction(engine) as session:
        alert_id = session.scalars(select(models.AlertState.id)).one()
    acked = _cli(
        engine,
        alerts,
        "alerts",
        "ack",
        "--gemeente",
        "9999",
        str(alert_id),
        "--door",
        "kernteam",
        "--nu",
        "2026-11-12T10:00",
    )
    assert acked.exit_code == 0, acked.output
    # The next monthly cycle: due for a repeat, but the kernteam discussed it.
    next_month = _cli(
        engine,
        alerts,
        "evaluate",
        "--gemeente",
        "9999",
        "--as-of",
        "2026-11",
        "--nu",
        "2026-12-10T08:00",
    )
    assert "bevestigd door kernteam" in next_month.output
    assert "Niets nieuws te melden." in next_month.output
    listed = _cli(engine, alerts, "alerts", "list", "--gemeente", "9999")
    assert "actief" in listed.output and "bevestigd door kernteam" in listed.output
    assert "firing" not in listed.output and "pending" not in listed.output  # Dutch for people


def test_rules_test_replays_months_on_the_demo(demo_database):
    if demo_database.engine.dialect.name != "sqlite":
        pytest.skip("one database is enough for the CLI table; the engine runs on both above")
    env = {
        "MONITORBOT_DATABASE_URL": demo_database.engine.url.render_as_string(hide_password=False),
        "MONITORBOT_FORECASTS_DIR": str(ROOT / "forecasts"),
    }
    result = CliRunner().invoke(
        app,
        [
            "--config-dir",
            str(ROOT / "config"),
            "rules",
            "test",
            str(ROOT / "alerts"),
            "--gemeente",
            "9999",
            "--from",
            "2026-08",
            "--to",
            "2026-10",
            "--nu",
            "2026-11-10T08:00",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "2026-08 (stand eind augustus 2026)" in result.output
    assert "2026-10 (stand eind oktober 2026)" in result.output
    assert "Per regel (nieuw / ernstiger / herhaald / opgelost):" in result.output
    assert re.search(r"perceel-prognose-boven-begroting(\s+\d+ /){3}\s+\d+", result.output)
    september = result.output.split("2026-09 (stand")[1].split("2026-10 (stand")[0]
    assert (
        "herhaald  [kritiek] perceel-prognose-boven-begroting — Jeugd zorg in natura (ZIN)"
        in september
    )
    assert re.search(
        r"2026 Jeugd zorg in natura \(ZIN\): prognose stand eind oktober 2026 .* eerste melding "
        r"\(perceel-prognose-boven-begroting\) bij peilmaand 2026-08, 4 maand\(en\) voor het "
        r"jaareinde \(de eerste maand van deze herhaling: het kan eerder\); toen: prognose "
        r"€ [0-9.]+ \(model\) tegen begroting € 5\.915\.000",
        result.output,
    )


def test_trying_a_rule_change_replays_both_versions_on_the_demo(demo_database, setup):
    """Critical at -15 % fired on the youth-care overrun (−23 %); at -30 % it only warns,
    and both warned about the year's overrun from the first month."""
    from monitorbot.core.states import Ernst
    from monitorbot.evaluate.rule_edit import RuleChange, RuleContext, changed_rule
    from monitorbot.evaluate.trial import try_rule

    if demo_database.engine.dialect.name != "sqlite":
        pytest.skip("the replay runs on both databases in the tests above")
    config, spec, rules = setup
    (current,) = [r for r in rules.voor("9999") if r.naam == "perceel-prognose-boven-begroting"]
    change = RuleChange({Ernst.WAARSCHUWING: "< -5 %", Ernst.KRITIEK: "< -30 %"}, 1, "€ 50.000")
    changed = changed_rule(current, change, RuleContext.of(config))
    done: list[int] = []
    with db.transaction(demo_database.engine) as session:
        trial = try_rule(
            session, config, spec, "9999", current, changed,
            [date(2026, 9, 1), date(2026, 10, 1)], date(2026, 11, 10), on_month=done.append,
        )  # fmt: skip
        session.rollback()
    assert done == [1, 2]
    zin = "Jeugd zorg in natura (ZIN)"
    for month in trial.maanden:
        now = {f.onderwerp: f.ernst for f in month.huidig}
        tried = {f.onderwerp: f.ernst for f in month.voorstel}
        assert now[zin] == Ernst.KRITIEK and tried[zin] == Ernst.WAARSCHUWING
        assert set(now) == set(tried)  # the same rows; only the severity differs
    assert [f.nieuw for f in trial.maanden[0].huidig if f.onderwerp == zin] == [True]
    assert trial.begrotingsregel
    # a perceel rule: the perceel rows only, not the subtotals or the total
    assert not [o for o in trial.overschrijdingen if o.naam.startswith(("Subtotaal", "Totaal"))]
    (overrun,) = [o for o in trial.overschrijdingen if o.naam == zin]
    assert (overrun.jaar, overrun.afgesloten) == (2026, False)
    assert overrun.lead_months("huidig") == overrun.lead_months("voorstel") == 3


def test_a_replay_never_sees_a_correction_from_after_its_peildatum(demo_database):
    """January 2025 knew the model's figure; the controller's correction came in July."""
    if demo_database.engine.dialect.name != "sqlite":
        pytest.skip("one database is enough for the CLI; the engine runs on both above")
    result = CliRunner().invoke(
        app,
        [
            *("--config-dir", str(ROOT / "config"), "rules", "test", str(ROOT / "alerts")),
            *("--gemeente", "9999", "--from", "2025-01", "--to", "2025-01"),
            *("--nu", "2026-11-10T08:00"),
        ],
        env={
            "MONITORBOT_DATABASE_URL": demo_database.engine.url.render_as_string(
                hide_password=False
            ),
            "MONITORBOT_FORECASTS_DIR": str(ROOT / "forecasts"),
        },
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  2025 ")]
    assert lines, result.output
    # 2025 is closed on 10-11-2026: its outcome is the realisation, not the correction.
    assert all(": uitkomst " in line for line in lines)
    first = [line for line in lines if "eerste melding" in line]
    assert all("(model)" in line and "correctie" not in line for line in first)


@pytest.fixture(scope="module")
def late_provider_database(tmp_path_factory):
    """The late-aanbieder scenario on SQLite: provider 98990101 declares 3-4 months late."""
    from monitorbot.demo.generate import generate_demo
    from tests.conftest import DEMO_VANDAAG, _engine, ingest_demo

    folder = tmp_path_factory.mktemp("late")
    generate_demo(folder / "demo", seed=2026, scenario="late-aanbieder", vandaag=DEMO_VANDAAG)
    for engine in _engine("sqlite", folder):
        ingest_demo(engine, folder / "demo", folder / "quarantaine")
        yield engine


def test_late_declaring_provider_is_a_data_alert_not_a_cost_alert(late_provider_database, setup):
    config, spec, rules = setup
    with db.transaction(late_provider_database) as session:
        evaluation = evaluate(
            session,
            config,
            spec,
            rules,
            "9999",
            now=DEMO_NOW,
            peildatum=DEMO_PEILDATUM,
            dry_run=True,
        )
        session.rollback()
    late = [u for u in evaluation.firing if u.after.regel == "aanbieder-declareert-niet"]
    assert [u.after.labels for u in late] == [{"aanbieder": "98990101"}]
    assert late[0].te_versturen
    months = late[0].observation.measurement.invoer["ontbrekende_zorgmaanden"]
    assert months and set(months) <= {"2026-08", "2026-09"}
    # Its spending alerts, if any, are muted by the data alert rather than sent.
    for update in evaluation.firing:
        if update.after.labels.get("aanbieder") == "98990101" and update is not late[0]:
            assert update.onderdrukt and "datakwaliteit dempt kosten" in update.onderdrukt
