from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitorbot.core.money import (
    MoneyError,
    cents_to_euros,
    euros_to_cents,
    format_euros,
    format_percentage,
    signed_cents,
)


@pytest.mark.parametrize(
    ("value", "cents"),
    [(4984400, 498440000), (1234.56, 123456), ("-83200", -8320000), ("0.1", 10), (0.29, 29)],
)
def test_config_euros_become_exact_cents(value, cents):
    assert euros_to_cents(value) == cents


@pytest.mark.parametrize("value", ["1.234,5x", "abc", 1.234, True, float("nan")])
def test_unreadable_or_sub_cent_amounts_are_refused(value):
    with pytest.raises(MoneyError):
        euros_to_cents(value)


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_cents_survive_a_round_trip_through_euros(cents):
    assert euros_to_cents(cents_to_euros(cents)) == cents
    assert euros_to_cents(str(cents_to_euros(cents))) == cents


@given(st.integers(min_value=0, max_value=99_999_999))
def test_credit_is_the_negative_of_debit(amount):
    assert signed_cents(amount, "C") == -signed_cents(amount, "D")


def test_unknown_debit_credit_flag_is_an_error():
    with pytest.raises(MoneyError):
        signed_cents(100, "X")


@pytest.mark.parametrize(
    ("cents", "kwargs", "text"),
    [
        (123456789, {}, "1.234.568"),
        (123456789, {"decimals": 2}, "1.234.567,89"),
        (498440000, {"thousands": True}, "4.984"),
        (-108400000, {"thousands": True}, "-1.084"),
        (-49_999, {"thousands": True}, "0"),
        (50, {}, "1"),
        (-50, {}, "-1"),
        (0, {}, "0"),
    ],
)
def test_dutch_display_format(cents, kwargs, text):
    assert format_euros(cents, **kwargs) == text


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_display_with_cents_is_exact(cents):
    text = format_euros(cents, decimals=2)
    assert Decimal(text.replace(".", "").replace(",", ".")) == cents_to_euros(cents)


@pytest.mark.parametrize(
    ("fraction", "decimals", "text"),
    [(-0.2176, 0, "-22%"), (0.6364, 0, "64%"), (Decimal("0.1027"), 1, "10,3%"), (None, 0, "")],
)
def test_percentages_as_in_council_tables(fraction, decimals, text):
    assert format_percentage(fraction, decimals=decimals) == text


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_a_stored_correction_reads_back_to_the_same_cents(cents):
    """A snapshot stores a correction as JSON and the console reads it back: the amount must
    come back as the same cents, not as cents read as euros (a hundred times too much)."""
    from datetime import date

    from pydantic import TypeAdapter

    from monitorbot.config.models import PrognoseCorrectie

    adapter = TypeAdapter(PrognoseCorrectie)
    correction = adapter.validate_python(
        {"perceel": "jeugd-zin", "prognose": 0, "reden": "abc", "door": "xy",
         "datum": date(2026, 10, 1)}
    ).model_copy(update={"prognose": cents})  # fmt: skip
    assert adapter.validate_json(adapter.dump_json(correction)).prognose == cents
