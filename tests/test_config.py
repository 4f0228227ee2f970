"""Config check: a controller must learn file, line, key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.config import ConfigError, load_config
from monitorbot.config.codes import NIET_INGEDEELD

REQUIRED_ORDER = [
    "jeugd-zin",
    "jeugd-pgb",
    "wmo-begeleiding-zin",
    "wmo-begeleiding-pgb",
    "wmo-hh-zin",
    "wmo-hh-pgb",
    "wmo-hulpmiddelen",
    "wmo-regiotaxi",
    "wmo-eigen-bijdrage",
    "afrekening-vorig-jaar",
]

runner = CliRunner()


def check(config_dir: Path):
    return runner.invoke(app, ["--config-dir", str(config_dir), "config", "check"])


def test_shipped_config_is_valid(config_dir):
    result = check(config_dir)
    assert result.exit_code == 0, result.output
    assert "9999 Demodorp" in result.output


def test_standard_percelen_keep_the_agreed_order_and_roll_up_youth(config_dir):
    config = load_config(config_dir)
    ids = config.percelen.ids
    positions = [ids.index(p) for p in REQUIRED_ORDER]
    assert positions == sorted(positions)
    children = {p.id for p in config.percelen.percelen if p.onderdeel_van == "jeugd-zin"}
    assert {
        "jeugd-ambulant",
        "jeugd-verblijf",
        "jeugd-ggz",
        "jeugd-crisis",
        "jeugd-bescherming",
    } <= children
    assert config.percelen.get("wmo-eigen-bijdrage").inkomsten


@pytest.mark.parametrize(
    ("wet", "categorie", "code", "perceel"),
    [
        ("jw", "45", "45A01", "jeugd-ambulant"),
        ("jw", "43", "43A05", "jeugd-verblijf"),
        ("jw", "54", "54001", "jeugd-ggz"),
        ("wmo", "01", "01A01", "wmo-hh-zin"),
        ("wmo", "02", "02A01", "wmo-begeleiding-zin"),
        ("wmo", "08", "08001", "wmo-regiotaxi"),
        ("wmo", "45", "x", NIET_INGEDEELD),
    ],
)
def test_lines_map_to_percelen(config_dir, wet, categorie, code, perceel):
    assert load_config(config_dir).percelen.map_line(wet, categorie, code, None) == perceel


def test_specific_rule_beats_category_rule(config_dir):
    percelen = config_dir / "percelen.yaml"
    text = percelen.read_text(encoding="utf-8").replace(
        '      - {wet: jw, productcategorie: ["51", "52", "53", "54"]}',
        '      - {wet: jw, productcategorie: ["51", "52", "53", "54"]}\n'
        '      - {wet: jw, productcategorie: ["45"], productcode: "45G*"}',
    )
    percelen.write_text(text, encoding="utf-8")
    config = load_config(config_dir)
    assert config.percelen.map_line("jw", "45", "45G10", None) == "jeugd-ggz"
    assert config.percelen.map_line("jw", "45", "45A10", None) == "jeugd-ambulant"


def _line_of(file: Path, needle: str) -> int:
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_budget_naming_an_unknown_perceel_names_file_line_key_and_allowed(config_dir):
    budget = config_dir / "begroting" / "9999-2026.yaml"
    budget.write_text(
        budget.read_text(encoding="utf-8").replace("jeugd-zin:", "jeugd-zinn:", 1), encoding="utf-8"
    )
    result = check(config_dir)
    assert result.exit_code == 2
    line = _line_of(budget, "jeugd-zinn:")
    assert f"9999-2026.yaml:{line}:" in result.output
    assert "versies[0].bedragen.jeugd-zinn" in result.output
    assert "onbekend perceel 'jeugd-zinn'" in result.output
    assert "toegestaan: jeugd-zin, jeugd-ambulant" in result.output


def test_broken_budget_file_names_the_line_of_the_yaml_error(config_dir):
    budget = config_dir / "begroting" / "9999-2025.yaml"
    budget.write_text(
        'gemeente: "9999"\njaar: 2025\nversie: "x"\nbedragen:\n'
        "  jeugd-zin: 100\n    wmo-hh-zin: [oops\n",
        encoding="utf-8",
    )
    result = check(config_dir)
    assert result.exit_code == 2
    assert "9999-2025.yaml:6:" in result.output or "9999-2025.yaml:7:" in result.output
    assert "ongeldige YAML" in result.output


def test_amount_that_is_not_a_number_is_reported_with_its_value(config_dir):
    budget = config_dir / "begroting" / "9999-2026.yaml"
    text = budget.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("wmo-hh-zin:"))
    lines[index] = "      wmo-hh-zin: 1,85 miljoen"
    budget.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    (problem,) = info.value.problems
    assert problem.file == budget
    assert problem.line == index + 1
    assert problem.key == "versies[0].bedragen.wmo-hh-zin"
    assert problem.value == "1,85 miljoen"


def test_every_problem_is_reported_in_one_pass(config_dir):
    (config_dir / "gemeenten" / "9999-demodorp.yaml").write_text(
        'code: "9999"\nnaam: Demodorp\nkanalen:\n  kernteam:\n    - {type: fax}\n'
        "wachttijdnormen:\n  - {perceel: jeugd-zin, dagen: -5}\nonbekend: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    by_key = {p.key: p for p in info.value.problems}
    assert by_key["kanalen.kernteam[0]"].line == 5
    assert "bestand" in (
        by_key["kanalen.kernteam[0]"].allowed or by_key["kanalen.kernteam[0]"].message
    )
    assert by_key["wachttijdnormen[0].dagen"].line == 7
    assert by_key["onbekend"].message == "onbekende sleutel (tikfout?)"


def test_budget_file_name_must_match_its_content(config_dir):
    budget = config_dir / "begroting" / "9999-2026.yaml"
    budget.rename(config_dir / "begroting" / "9999-2027.yaml")
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    assert "komt niet overeen met de bestandsnaam" in str(info.value)


def test_missing_config_dir_is_a_usage_error(tmp_path):
    result = check(tmp_path / "nope")
    assert result.exit_code == 2
    assert "configuratiemap bestaat niet" in result.output


def test_impossible_date_and_duplicate_key_name_their_lines(config_dir):
    budget = config_dir / "begroting" / "9999-2025.yaml"
    budget.write_text(
        budget.read_text(encoding="utf-8").replace("datum: 2025-07-15", "datum: 2025-07-32"),
        encoding="utf-8",
    )
    other = config_dir / "begroting" / "9999-2024.yaml"
    other.write_text(
        other.read_text(encoding="utf-8").replace(
            "      wmo-regiotaxi:", "      wmo-regiotaxi: 1\n      wmo-regiotaxi:", 1
        ),
        encoding="utf-8",
    )
    result = check(config_dir)
    assert result.exit_code == 2
    date_line = _line_of(budget, "2025-07-32")
    assert f"9999-2025.yaml:{date_line}: waarde '2025-07-32': geen geldige waarde" in result.output
    second = _line_of(other, "wmo-regiotaxi: 1") + 1
    assert (
        f"9999-2024.yaml:{second}: versies[0].bedragen.wmo-regiotaxi: sleutel staat twee keer"
        in (result.output)
    )


def test_income_must_be_negative_and_parent_and_child_not_both_budgeted(config_dir):
    budget = config_dir / "begroting" / "9999-2026.yaml"
    text = budget.read_text(encoding="utf-8")
    text = text.replace("wmo-eigen-bijdrage: -", "wmo-eigen-bijdrage: ")
    text = text.replace("    bedragen:", "    bedragen:\n      jeugd-ambulant: 1000", 1)
    budget.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    by_key = {p.key: p for p in info.value.problems}
    assert "negatief" in by_key["versies[0].bedragen.wmo-eigen-bijdrage"].message
    assert "telt dubbel" in by_key["versies[0].bedragen.jeugd-ambulant"].message


def test_settings_come_from_monitorbot_variables_and_options_win(tmp_path):
    """Every setting has its MONITORBOT_ variable; an explicit option overrides it."""
    from monitorbot.config.settings import load_settings

    environ = {
        "MONITORBOT_DATA_DIR": str(tmp_path / "env"),
        "monitorbot_database_url": "sqlite:///elders.db",
        "MONITORBOT_PSEUDONYM_KEY": "een-lange-geheime-sleutel",
        "MONITORBOT_UNKNOWN": "ignored",
        "OTHER_DATA_DIR": "ignored",
    }
    settings = load_settings(environ)
    assert settings.data_dir == tmp_path / "env"
    assert settings.database_url == "sqlite:///elders.db"
    assert settings.pseudonym_key.get_secret_value() == "een-lange-geheime-sleutel"
    assert "een-lange-geheime-sleutel" not in repr(settings)
    assert load_settings(environ, data_dir=tmp_path / "optie").data_dir == tmp_path / "optie"
    assert load_settings({}).resolved_database_url().endswith("data/monitorbot.db")
