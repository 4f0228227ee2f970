"""One number syntax in config and rule files: YAML numbers or Dutch text, never a guess."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitorbot.config import ConfigError, load_config
from monitorbot.core.money import MoneyError, euros_to_cents, format_euros
from monitorbot.core.numbers import ambiguous_thousands, dutch_decimal, parse_dutch_number

AMOUNTS = st.integers(min_value=-(10**12), max_value=10**12)


@given(AMOUNTS)
def test_dutch_thousands_separators_read_back_exactly(number):
    grouped = f"{abs(number):,}".replace(",", ".")
    text = f"-{grouped}" if number < 0 else grouped
    assert parse_dutch_number(text) == number


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_dutch_decimal_comma(whole, hundredths):
    assert dutch_decimal(f"{whole},{hundredths:02d}") == Decimal(whole) + Decimal(hundredths) / 100


@given(AMOUNTS)
def test_what_monitorbot_prints_reads_back_as_the_same_cents(cents):
    """A controller may copy `1.234,56` from a report into a budget file."""
    assert euros_to_cents(format_euros(cents, decimals=2)) == cents
    assert euros_to_cents(f"€ {format_euros(cents, decimals=2)}") == cents


@pytest.mark.parametrize(
    ("written", "cents"),
    [
        (17000, 1_700_000),
        ("17.000", 1_700_000),
        ("€ 25.000", 2_500_000),
        ("1.234,56", 123_456),
        (1234.56, 123_456),
        ("1234.56", 123_456),
        ("-250.000", -25_000_000),
    ],
)
def test_both_syntaxes_give_the_same_cents(written, cents):
    assert euros_to_cents(written) == cents


@pytest.mark.parametrize("text", ["1,85 miljoen", "17.00.0", "€", "12,3,4", "1.2345,6"])
def test_text_that_is_no_number_is_refused(text):
    with pytest.raises(MoneyError):
        euros_to_cents(text)


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999))
def test_every_float_that_looks_like_thousands_is_ambiguous(head, tail):
    assert ambiguous_thousands(f"{head}.{tail:03d}")
    assert not ambiguous_thousands(f"{head}.{tail % 100:02d}")  # 17.50: plainly a decimal
    assert not ambiguous_thousands(f"{head}{tail:03d}")


def _set_budget_line(config_dir: Path, perceel: str, written: str) -> tuple[Path, int]:
    budget = config_dir / "begroting" / "9999-2026.yaml"
    lines = budget.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{perceel}:"))
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index] = f"{indent}{perceel}: {written}"
    budget.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return budget, index + 1


@pytest.mark.parametrize("written", ["17.000", "1.250", "-2.500"])
def test_an_unquoted_dutch_thousands_number_is_refused_with_both_ways_to_write_it(
    config_dir, written
):
    budget, line = _set_budget_line(config_dir, "jeugd-pgb", written)
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (budget, line)
    assert problem.key == "versies[0].bedragen.jeugd-pgb"
    whole = written.replace(".", "")
    assert f'schrijf {whole} of "{written}"' in problem.message


@pytest.mark.parametrize(("written", "cents"), [('"17.000"', 1_700_000), ("17000", 1_700_000)])
def test_both_ways_to_write_it_are_read_as_meant(config_dir, written, cents):
    _set_budget_line(config_dir, "jeugd-pgb", written)
    budget = load_config(config_dir).begroting("9999", 2026)
    assert budget.laatste.bedragen["jeugd-pgb"] == cents


@pytest.mark.parametrize(
    ("written", "read"),
    [("1.500", 1500), ("2,5", 2.5), ("0.125", 0.125), ("12", 12), ("1.234,5", 1234.5)],
)
def test_every_number_in_config_reads_dutch_text_the_same_way(written, read):
    """Not only money: a quoted "1.500" is fifteen hundred wherever it is written."""
    from monitorbot.config.models import Indexatie, KpiDoel

    assert KpiDoel(kpi="doorlooptijd", richting="<", doel=written).doel == read
    if abs(read) <= 50:
        assert Indexatie(begroot=written).begroot == read


def test_a_leading_zero_is_a_decimal_not_a_thousands_group():
    assert not ambiguous_thousands("0.125")
    assert dutch_decimal("0.125") == Decimal("0.125")
    assert parse_dutch_number("-0.250") == -0.25
