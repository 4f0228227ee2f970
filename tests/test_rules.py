"""Rule files as controllers write them: conditions, units, and errors they can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.config import ConfigError, load_config
from monitorbot.evaluate.catalogue import METRICS, format_value
from monitorbot.evaluate.rules import load_rules, parse_condition

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "op", "value", "unit", "reference", "factor"),
    [
        ("< -5 %", "<", -5.0, "procent", None, 1.0),
        ("<-15%", "<", -15.0, "procent", None, 1.0),
        ("> € 25.000", ">", 2_500_000.0, "euro", None, 1.0),
        ("> 1.234,56 euro", ">", 123_456.0, "euro", None, 1.0),
        ("> 56 dagen", ">", 56.0, "dagen", None, 1.0),
        (">= 3", ">=", 3.0, "aantal", None, 1.0),
        ("<= 0,5 %", "<=", 0.5, "procent", None, 1.0),
        ("> norm", ">", None, None, "norm", 1.0),
        ("> 1,5 × norm", ">", None, None, "norm", 1.5),
        ("> 1.2 x budgetindicatie", ">", None, None, "budgetindicatie", 1.2),
        ("buiten interval_95", "buiten", None, None, "interval_95", 1.0),
        ("mist kpi_doel", "mist", None, None, "kpi_doel", 1.0),
    ],
)
def test_conditions_read_the_way_controllers_write_them(text, op, value, unit, reference, factor):
    condition = parse_condition(text)
    assert (condition.op, condition.waarde, condition.eenheid) == (op, value, unit)
    assert (condition.referentie, condition.factor) == (reference, factor)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("groter dan 5", "'< -5 %'"),
        ("> normen", "referenties: begroting"),
        ("> interval_95", "buiten interval_95"),
        ("< kpi_doel", "mist kpi_doel"),
        ("> 2 × 5 dagen", "toegestaan na '×'"),
    ],
)
def test_a_bad_condition_says_what_is_allowed(text, hint):
    with pytest.raises(ValueError) as excinfo:
        parse_condition(text)
    assert hint in str(excinfo.value)


def test_conditions_against_references():
    above = parse_condition("> 1,5 × norm")
    assert above.holds(90, {"norm": 56}) is True  # 90 > 84
    assert above.holds(80, {"norm": 56}) is False
    assert above.holds(80, {"norm": None}) is None  # no norm for this row: no verdict
    outside = parse_condition("buiten interval_95")
    assert outside.holds(10, {"interval_95": (11, 20)}) is True
    assert outside.holds(15, {"interval_95": (11, 20)}) is False
    missed = parse_condition("mist kpi_doel")
    assert missed.holds(1800, {"kpi_doel": 1700, "kpi_richting": "<"}) is True
    assert missed.holds(1600, {"kpi_doel": 1700, "kpi_richting": "<"}) is False
    assert missed.holds(40, {"kpi_doel": 50, "kpi_richting": ">"}) is True


def test_values_display_in_dutch():
    assert format_value("prognose", 123_456_789) == "€ 1.234.568"
    assert format_value("prognose_afwijking_pct", -22.84) == "-22,8 %"
    assert format_value("wachttijd_mediaan_dagen", 93.0) == "93 dagen"
    assert format_value("maandkosten", (100_000, 250_000)) == "€ 1.000 – € 2.500"


# --------------------------------------------------------------------------- files

GOOD = """\
regels:
  - naam: jeugd-overschrijding
    omschrijving: test
    scope: perceel
    metric: prognose_afwijking_pct
    drempels: {waarschuwing: "< -5 %"}
    kanaal: kernteam
    eigenaar: controller
    actie: bespreken
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    file = tmp_path / "regels.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_rules([file], ["kernteam", "managers"])
    return [str(problem) for problem in excinfo.value.problems]


def test_unknown_metric_names_file_line_and_the_allowed_metrics(tmp_path):
    [problem] = _problems(tmp_path, GOOD.replace("prognose_afwijking_pct", "prognose_pct"))
    assert problem.startswith(f"{tmp_path / 'regels.yaml'}:5:")
    assert "regels[0].metric" in problem
    assert "'prognose_pct'" in problem
    assert "(toegestaan: prognose_afwijking_pct, prognose, " in problem


def test_threshold_in_the_wrong_unit(tmp_path):
    [problem] = _problems(tmp_path, GOOD.replace('"< -5 %"', '"< € 5.000"'))
    assert ":6: regels[0].drempels:" in problem  # the line of the threshold, not of the rule
    assert "is in euro, maar prognose_afwijking_pct is in procent" in problem
    assert "'-5 %'" in problem


def test_reference_the_metric_does_not_have(tmp_path):
    [problem] = _problems(tmp_path, GOOD.replace('"< -5 %"', '"> norm"'))
    assert "kent referentie 'norm' niet" in problem


def test_scope_the_metric_does_not_have(tmp_path):
    [problem] = _problems(tmp_path, GOOD.replace("scope: perceel", "scope: aanbieder"))
    assert "bestaat niet voor scope 'aanbieder'" in problem
    assert "perceel, domein, totaal" in problem


def test_unknown_scope_lists_the_scopes(tmp_path):
    [problem] = _problems(tmp_path, GOOD.replace("scope: perceel", "scope: regio"))
    assert ":4:" in problem
    assert "perceel" in problem and "gemeente" in problem


def test_unknown_channel_lists_the_configured_channels(tmp_path):
    [problem] = _problems(tmp_path, GOOD.replace("kanaal: kernteam", "kanaal: raad"))
    assert ":7:" in problem
    assert "onbekend kanaal 'raad'" in problem
    assert "kernteam, managers" in problem


def test_every_problem_in_one_pass(tmp_path):
    second = GOOD.removeprefix("regels:\n").replace("jeugd-overschrijding", "tweede")
    text = GOOD.replace("metric: prognose_afwijking_pct", "metric: x") + second.replace(
        "kanaal: kernteam", "kanaal: raad"
    )
    problems = _problems(tmp_path, text)
    assert [p.split(": ")[1] for p in problems] == ["regels[0].metric", "regels[1].kanaal"]


def test_shipped_rules_are_valid_and_cover_every_metric():
    config = load_config(ROOT / "config")
    channels = sorted({name for g in config.gemeenten.values() for name in g.kanalen})
    rules = load_rules([ROOT / "alerts"], channels)
    used = {rule.metric for rule in rules.rules}
    assert used == {metric.naam for metric in METRICS}
    assert all(rule.actie and rule.eigenaar for rule in rules.rules)


def test_rules_check_cli_exit_code_and_message(tmp_path):
    bad = tmp_path / "fout.yaml"
    bad.write_text(GOOD.replace('"< -5 %"', '"< 5 dagen"'), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["--config-dir", str(ROOT / "config"), "rules", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:6: regels[0].drempels" in result.output
    assert "is in dagen, maar prognose_afwijking_pct is in procent" in result.output
    good = runner.invoke(
        app, ["--config-dir", str(ROOT / "config"), "rules", "check", str(ROOT / "alerts")]
    )
    assert good.exit_code == 0, good.output
    assert "regels in 1 bestand(en) in orde" in good.output


def test_minimum_impact_on_a_metric_without_an_amount_is_refused(tmp_path):
    text = GOOD.replace("metric: prognose_afwijking_pct", "metric: wachttijd_mediaan_dagen")
    text = text.replace("scope: perceel", "scope: perceel_aanbieder")
    text = text.replace('{waarschuwing: "< -5 %"}', '{waarschuwing: "> norm"}')
    text = text.replace("    kanaal:", '    minimale_impact: "€ 25.000"\n    kanaal:')
    [problem] = _problems(tmp_path, text)
    assert "minimale_impact" in problem and "heeft geen bedrag" in problem


def test_rule_labels_cannot_overwrite_the_rows_identity(tmp_path):
    text = GOOD.replace("    kanaal:", "    labels: {aanbieder: alle}\n    kanaal:")
    [problem] = _problems(tmp_path, text)
    assert "label aanbieder is gereserveerd" in problem


def test_filter_values_are_checked(tmp_path):
    file = tmp_path / "regels.yaml"
    file.write_text(
        GOOD.replace("    kanaal:", "    filter: {perceel: [jeugd-ambulantt]}\n    kanaal:"),
        encoding="utf-8",
    )
    config = load_config(ROOT / "config")
    with pytest.raises(ConfigError) as excinfo:
        load_rules([file], ["kernteam"], config.percelen.ids)
    [problem] = [str(p) for p in excinfo.value.problems]
    assert "filter perceel: onbekend 'jeugd-ambulantt'" in problem
    assert "jeugd-ambulant" in problem


def test_rule_texts_that_reach_chat_refuse_a_bsn(tmp_path):
    [problem] = _problems(tmp_path, GOOD.replace("actie: bespreken", "actie: bel over 111222333"))
    assert "regels[0].actie" in problem and "BSN" in problem
    assert "111222333" not in problem  # the refused text is not echoed into the error


# --------------------------------------------------------------------------- direction


def test_a_threshold_pointing_where_the_metric_is_fine_is_refused(tmp_path):
    """`> 5 %` on prognose_afwijking_pct would fire for a perceel € 150.486 under budget."""
    text = GOOD.replace('{waarschuwing: "< -5 %"}', '{waarschuwing: "> 5 %", kritiek: "< -15 %"}')
    [problem] = _problems(tmp_path, text)
    assert ":6: regels[0].drempels:" in problem
    assert "drempel waarschuwing '> 5 %' meldt een hoge waarde" in problem
    assert "negatief is een nadeel" in problem
    assert "schrijf bv. '< -5 %'" in problem
    assert "richting: beide" in problem


def test_severities_pointing_opposite_ways_are_refused_where_both_ways_are_possible(tmp_path):
    text = GOOD.replace("metric: prognose_afwijking_pct", "metric: maandkosten").replace(
        '{waarschuwing: "< -5 %"}', '{waarschuwing: "> € 900.000", kritiek: "< € 100.000"}'
    )
    [problem] = _problems(tmp_path, text)
    assert "wijzen tegengestelde kanten op" in problem


def test_richting_beide_needs_a_text_per_direction(tmp_path):
    text = GOOD.replace("    drempels:", "    richting: beide\n    drempels:").replace(
        '{waarschuwing: "< -5 %"}', '{waarschuwing: "< -5 %", kritiek: "> 20 %"}'
    )
    [problem] = _problems(tmp_path, text)
    assert "geef omschrijving per kant" in problem
    per_kant = text.replace(
        "omschrijving: test", "omschrijving: {hoog: Onderbesteding, laag: Overschrijding}"
    ).replace("actie: bespreken", "actie: {hoog: Geld vrijgeven, laag: Bijsturen}")
    file = tmp_path / "goed.yaml"
    file.write_text(per_kant, encoding="utf-8")
    (rule,) = load_rules([file], ["kernteam"]).rules
    assert rule.tekst("hoog") == ("Onderbesteding", "Geld vrijgeven")
    assert rule.tekst("laag") == ("Overschrijding", "Bijsturen")


def test_an_alert_takes_its_words_from_the_way_the_value_deviates(tmp_path):
    from monitorbot.evaluate.lifecycle import observe
    from monitorbot.evaluate.snapshot import Measurement

    text = (
        GOOD.replace("    drempels:", "    richting: beide\n    drempels:")
        .replace('{waarschuwing: "< -5 %"}', '{waarschuwing: "< -5 %", kritiek: "> 20 %"}')
        .replace(
            "omschrijving: test",
            "omschrijving: {hoog: Ruim onder begroting, laag: Boven begroting}",
        )
    )
    text = text.replace("actie: bespreken", "actie: {hoog: Vrijval melden, laag: Bijsturen}")
    file = tmp_path / "regels.yaml"
    file.write_text(text, encoding="utf-8")
    (rule,) = load_rules([file], ["kernteam"]).rules
    under = observe(rule, Measurement({"perceel": "jeugd-zin"}, "Jeugd", 24.0))
    over = observe(rule, Measurement({"perceel": "jeugd-zin"}, "Jeugd", -8.0))
    assert (under.ernst, under.omschrijving, under.actie) == (
        "kritiek",
        "Ruim onder begroting",
        "Vrijval melden",
    )
    assert (over.ernst, over.omschrijving, over.actie) == (
        "waarschuwing",
        "Boven begroting",
        "Bijsturen",
    )


def test_an_unusual_month_says_whether_it_was_high_or_low():
    from monitorbot.evaluate.lifecycle import observe
    from monitorbot.evaluate.rules import Rule
    from monitorbot.evaluate.snapshot import Measurement

    rule = Rule.model_validate(
        {
            "naam": "ongewoon",
            "omschrijving": "Ongewone maand",
            "scope": "perceel",
            "metric": "maandkosten",
            "drempels": {"waarschuwing": "buiten interval_95"},
            "kanaal": "kernteam",
            "eigenaar": "controller",
            "actie": "bekijken",
        }
    )
    row = {"interval_95": (100.0, 200.0)}
    assert observe(rule, Measurement({}, "x", 250.0, row)).kant == "hoog"
    assert observe(rule, Measurement({}, "x", 50.0, row)).kant == "laag"
    assert observe(rule, Measurement({}, "x", 150.0, row)).kant is None


@pytest.mark.parametrize(
    ("metric", "scope", "written", "advice", "side"),
    [
        ("prognose_afwijking_pct", "perceel", "> 5 %", "< -5 %", "laag"),
        ("niet_ingedeeld_bedrag", "gemeente", "< € 10.000", "> € -10.000", "hoog"),
    ],
)
def test_the_advice_for_a_wrong_direction_is_a_condition_that_parses(
    tmp_path, metric, scope, written, advice, side
):
    from monitorbot.evaluate.rules import parse_condition

    text = (
        GOOD.replace("metric: prognose_afwijking_pct", f"metric: {metric}")
        .replace("scope: perceel", f"scope: {scope}")
        .replace('{waarschuwing: "< -5 %"}', f'{{waarschuwing: "{written}"}}')
    )
    [problem] = _problems(tmp_path, text)
    assert f"schrijf bv. '{advice}'" in problem
    assert parse_condition(advice).richting == side


def test_a_wait_threshold_pointing_low_keeps_its_number_when_flipped(tmp_path):
    text = (
        GOOD.replace("metric: prognose_afwijking_pct", "metric: wachttijd_mediaan_dagen")
        .replace("scope: perceel", "scope: perceel_aanbieder")
        .replace('{waarschuwing: "< -5 %"}', '{waarschuwing: "< 30 dagen"}')
    )
    [problem] = _problems(tmp_path, text)
    assert "schrijf bv. '> 30 dagen'" in problem


def test_a_missed_kpi_target_says_which_side_it_missed():
    from monitorbot.evaluate.lifecycle import observe
    from monitorbot.evaluate.rules import Rule
    from monitorbot.evaluate.snapshot import Measurement

    rule = Rule.model_validate(
        {
            "naam": "kpi",
            "omschrijving": "KPI gemist",
            "scope": "gemeente",
            "metric": "kpi",
            "drempels": {"waarschuwing": "mist kpi_doel"},
            "kanaal": "kernteam",
            "eigenaar": "controller",
            "actie": "bekijken",
        }
    )
    below = {"kpi_doel": 40.0, "kpi_richting": "<"}
    above = {"kpi_doel": 50.0, "kpi_richting": ">"}
    assert observe(rule, Measurement({"kpi": "x"}, "x", 55.0, below)).kant == "hoog"
    assert observe(rule, Measurement({"kpi": "x"}, "x", 35.0, above)).kant == "laag"
    assert observe(rule, Measurement({"kpi": "x"}, "x", 35.0, below)).kant is None  # met
