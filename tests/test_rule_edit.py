"""Rules per municipality, and a rule change written to the right file with its comments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitorbot.config import ConfigError
from monitorbot.config.edit import EditRefused
from monitorbot.core.states import Ernst
from monitorbot.evaluate.rule_edit import RuleChange, RuleContext, change_rule
from monitorbot.evaluate.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = RuleContext(None, None, ["9999", "0001"])
RULE = "perceel-prognose-boven-begroting"
SHARED = """# gedeelde regels
regels:
  - naam: overschrijding  # de hoofdregel
    omschrijving: Boven de begroting.
    scope: perceel
    metric: prognose_afwijking_pct
    drempels:
      waarschuwing: "< -5 %"
    kanaal: kernteam
    eigenaar: controller
    actie: Bijsturen.
"""


def own(codes: str, threshold: str) -> str:
    return SHARED.replace("# gedeelde regels", f"gemeenten: [{codes}]").replace(
        '"< -5 %"', f'"{threshold}"'
    )


@pytest.fixture
def alerts(tmp_path: Path) -> Path:
    folder = tmp_path / "alerts"
    shutil.copytree(ROOT / "alerts", folder)
    return folder


def threshold(rules, gemeente: str, naam: str = "overschrijding") -> str:
    (rule,) = [r for r in rules.voor(gemeente) if r.naam == naam]
    return rule.drempels[Ernst.WAARSCHUWING].tekst


def test_a_municipality_file_replaces_the_shared_rule_for_that_municipality_only(tmp_path):
    (tmp_path / "a.yaml").write_text(SHARED)
    (tmp_path / "b.yaml").write_text(own('"0001"', "< -2 %"))
    rules = load_rules([tmp_path], gemeenten=["9999", "0001"])
    assert threshold(rules, "0001") == "< -2 %"
    assert threshold(rules, "9999") == "< -5 %"
    assert len(rules.voor("0001")) == len(rules.voor("9999")) == 1
    assert len(rules.rules) == 2


def test_two_files_giving_one_municipality_the_same_rule_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(own('"0001", "9999"', "< -2 %"))
    (tmp_path / "b.yaml").write_text(own('"0001"', "< -3 %"))
    with pytest.raises(ConfigError, match="regel staat ook in"):
        load_rules([tmp_path], gemeenten=["9999", "0001"])


def test_an_unknown_municipality_is_named_with_the_configured_ones(tmp_path):
    (tmp_path / "a.yaml").write_text(own('"0363"', "< -2 %"))
    with pytest.raises(ConfigError, match=r"onbekende gemeente '0363'.*0001, 9999"):
        load_rules([tmp_path], gemeenten=["9999", "0001"])


def test_a_controllers_change_goes_to_the_own_file_copying_the_shared_rule(alerts):
    standard = (alerts / "standaard.yaml").read_text()
    change = RuleChange({Ernst.WAARSCHUWING: "< -3 %", Ernst.KRITIEK: "< -12 %"}, 2, "€ 10.000")
    edit = change_rule(alerts, CONTEXT, RULE, change, gemeente="9999")
    assert edit.bestand == "gemeente-9999.yaml"
    assert (alerts / "standaard.yaml").read_text() == standard  # the shared file untouched
    rules = CONTEXT.load(alerts)
    (mine,) = [r for r in rules.voor("9999") if r.naam == RULE]
    (theirs,) = [r for r in rules.voor("0001") if r.naam == RULE]
    assert [c.tekst for c in mine.drempels.values()] == ["< -3 %", "< -12 %"]
    assert (mine.voor, mine.minimale_impact.waarde) == (2, 1_000_000)
    assert theirs.minimale_impact.waarde == 5_000_000  # € 50.000 as shared
    assert mine.actie == theirs.actie  # the rest of the rule copied as written
    text = (alerts / "gemeente-9999.yaml").read_text()
    assert text.startswith("# Eigen drempels van gemeente 9999")
    assert 'gemeenten: ["9999"]' in text


def test_a_second_change_edits_the_own_file_in_place_keeping_its_comments(alerts):
    first = RuleChange({Ernst.WAARSCHUWING: "< -3 %", Ernst.KRITIEK: "< -15 %"}, 1, "€ 50.000")
    change_rule(alerts, CONTEXT, RULE, first, gemeente="9999")
    path = alerts / "gemeente-9999.yaml"
    path.write_text(path.read_text().replace("regels:", "regels:  # mijn regels"))
    second = RuleChange({Ernst.WAARSCHUWING: "< -4 %", Ernst.KRITIEK: "< -15 %"}, 1, "€ 50.000")
    edit = change_rule(alerts, CONTEXT, RULE, second, gemeente="9999")
    changed = [
        line for line in edit.diff.splitlines() if line[:1] in "+-" and line[:3] not in "+++---"
    ]
    assert changed == ['-      waarschuwing: "< -3 %"', '+      waarschuwing: "< -4 %"']
    assert "# mijn regels" in path.read_text()
    assert path.read_text().count(f"naam: {RULE}") == 1


def test_a_change_that_breaks_a_rule_is_refused_and_nothing_is_written(alerts):
    wrong_way = RuleChange({Ernst.WAARSCHUWING: "> 5 %"}, 1, None)
    with pytest.raises(EditRefused, match=r"gemeente-9999.yaml.*drempels.*'< -5 %'") as refused:
        change_rule(alerts, CONTEXT, RULE, wrong_way, gemeente="9999")
    assert not (alerts / "gemeente-9999.yaml").exists()
    assert str(refused.value).startswith("gemeente-9999.yaml")  # named, no server folders


def test_a_change_for_everyone_writes_the_shared_file_with_its_comments(alerts):
    change = RuleChange({Ernst.WAARSCHUWING: "< -6 %", Ernst.KRITIEK: "< -15 %"}, 1, None)
    edit = change_rule(alerts, CONTEXT, RULE, change, gemeente=None)
    assert edit.bestand == "standaard.yaml"
    text = (alerts / "standaard.yaml").read_text()
    assert text.startswith("# Signaleringsregels: wanneer monitorbot")
    assert '"< -6 %"' in text
    (rule,) = [r for r in CONTEXT.load(alerts).voor("0001") if r.naam == RULE]
    assert rule.minimale_impact is None
    assert "-    minimale_impact" in edit.diff


def test_a_rule_given_to_several_municipalities_is_not_copied_over_for_one(alerts):
    (alerts / "samen.yaml").write_text(own('"0001", "9999"', "< -2 %"))
    change = RuleChange({Ernst.WAARSCHUWING: "< -3 %"}, 1, None)
    with pytest.raises(EditRefused, match="voor meer gemeenten"):
        change_rule(alerts, CONTEXT, "overschrijding", change, gemeente="9999")


def test_an_own_file_a_hand_edit_gave_to_more_gemeenten_is_not_written(alerts):
    (alerts / "gemeente-9999.yaml").write_text('gemeenten: ["9999", "0001"]\nregels: []\n')
    change = RuleChange({Ernst.WAARSCHUWING: "< -3 %"}, 1, None)
    with pytest.raises(EditRefused, match=r"gemeente-9999\.yaml geldt niet"):
        change_rule(alerts, CONTEXT, RULE, change, gemeente="9999")
    assert (
        alerts / "gemeente-9999.yaml"
    ).read_text() == 'gemeenten: ["9999", "0001"]\nregels: []\n'


def test_a_rule_already_in_another_own_file_is_changed_there(alerts):
    (alerts / "extra-9999.yaml").write_text(own('"9999"', "< -2 %"))
    change = RuleChange({Ernst.WAARSCHUWING: "< -3 %"}, 1, None)
    edit = change_rule(alerts, CONTEXT, "overschrijding", change, gemeente="9999")
    assert edit.bestand == "extra-9999.yaml"
    assert threshold(CONTEXT.load(alerts), "9999") == "< -3 %"
    assert not (alerts / "gemeente-9999.yaml").exists()
