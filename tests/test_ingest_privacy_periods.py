"""BSN check, pseudonyms, age bands, and splitting care periods over months."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import pickle
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitorbot.core.privacy import (
    DEMO_KEY,
    Pseudonymizer,
    age_band,
    normalize_bsn,
    passes_elfproef,
)
from monitorbot.ingest.errors import InputProblem, RejectedInput
from monitorbot.ingest.periods import MonthPart, split_by_month

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def complete_bsn(prefix: str) -> str | None:
    """The 9-digit BSN with this 8-digit prefix, if a check digit exists."""
    check = sum(w * int(d) for w, d in zip(WEIGHTS, prefix, strict=True)) % 11
    return None if check == 10 else prefix + str(check)


valid_bsns = (
    st.text(alphabet="0123456789", min_size=8, max_size=8)
    .map(complete_bsn)
    .filter(lambda bsn: bsn is not None and bsn != "000000000")
)

# --------------------------------------------------------------------------- 11-proef


@pytest.mark.parametrize("bsn", ["111222333", "123456782", "010000008"])
def test_known_valid_bsns_pass(bsn):
    assert passes_elfproef(bsn)


@pytest.mark.parametrize(
    "bsn",
    ["123456789", "000000000", "12345678", "1234567820", "12345678a", "", "１２３４５６７８２"],
)
def test_wrong_or_malformed_bsns_fail(bsn):
    assert not passes_elfproef(bsn)


@given(valid_bsns, st.integers(0, 8), st.integers(1, 9))
def test_changing_one_digit_always_fails_the_check(bsn, position, delta):
    changed = bsn[:position] + str((int(bsn[position]) + delta) % 10) + bsn[position + 1 :]
    assert passes_elfproef(bsn)
    assert not passes_elfproef(changed)


@given(valid_bsns, st.integers(0, 7))
def test_swapping_two_adjacent_different_digits_fails_the_check(bsn, position):
    swapped = bsn[:position] + bsn[position + 1] + bsn[position] + bsn[position + 2 :]
    assert passes_elfproef(swapped) == (swapped == bsn)


# --------------------------------------------------------------------------- pseudonyms


@given(st.binary(min_size=1, max_size=200), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_pseudonym_is_hmac_sha256_of_the_bsn_first_32_hex(key, bsn):
    expected = hmac.new(key, bsn.encode(), hashlib.sha256).hexdigest()[:32]
    assert Pseudonymizer(key)(bsn) == expected


def test_the_same_bsn_written_differently_gets_the_same_pseudonym():
    pseudonymize = Pseudonymizer(DEMO_KEY)
    assert pseudonymize("012345672") == pseudonymize("12345672") == pseudonymize(" 0123.456.72 ")
    assert pseudonymize("012345672") != Pseudonymizer(b"other key")("012345672")


def test_the_key_is_never_shown_or_serialised():
    pseudonymize = Pseudonymizer(DEMO_KEY)
    assert "monitorbot-demo-key" not in repr(pseudonymize)
    with pytest.raises(TypeError):
        pickle.dumps(pseudonymize)


@pytest.mark.parametrize("value", ["12345678X", "1234567890", "", "BSN 123"])
def test_something_that_is_not_a_bsn_is_refused_without_repeating_it(value):
    with pytest.raises(ValueError) as caught:
        normalize_bsn(value)
    assert str(caught.value) == "geen BSN: verwacht 9 cijfers"


def test_an_empty_key_is_refused():
    with pytest.raises(ValueError):
        Pseudonymizer(b"")


# --------------------------------------------------------------------------- age bands


@pytest.mark.parametrize(
    ("birth", "on", "band"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), "0-3"),
        (date(2022, 6, 2), date(2026, 6, 1), "0-3"),  # 3 until the day before turning 4
        (date(2022, 6, 1), date(2026, 6, 1), "4-11"),
        (date(2014, 6, 1), date(2026, 6, 1), "12-17"),
        (date(2008, 6, 2), date(2026, 6, 1), "12-17"),
        (date(2008, 6, 1), date(2026, 6, 1), "18-22"),
        (date(2003, 6, 1), date(2026, 6, 1), "23-64"),
        (date(1961, 6, 1), date(2026, 6, 1), "65-74"),
        (date(1951, 6, 1), date(2026, 6, 1), "75+"),
        (date(2008, 2, 29), date(2026, 2, 28), "12-17"),  # born on leap day: 18 on 1 March
        (date(2008, 2, 29), date(2026, 3, 1), "18-22"),
        (date(2026, 9, 1), date(2026, 6, 1), "0-3"),  # unborn child
    ],
)
def test_age_band_on_a_date(birth, on, band):
    assert age_band(birth, on) == band


# --------------------------------------------------------------------------- problems


def test_a_problem_reads_like_a_sentence_and_hides_personal_values():
    problem = InputProblem(
        "declaratie.xml", 57, "Begindatum", "2027-06-31", "geen geldige datum (LDT_Datum)"
    )
    assert str(problem) == (
        "declaratie.xml, regel 57, element Begindatum, waarde '2027-06-31': "
        "geen geldige datum (LDT_Datum)"
    )
    assert InputProblem("x.csv", 3, "BSN cliënt", "123456782", "r").value == "<bsn verborgen>"
    for element in (
        "Bsn",
        "Naam",
        "Geslachtsnaam",
        "Voornamen",
        "Voorletters",
        "Geboortedatum",
        "Straatnaam",
        "Postcode",
        "Telefoonnummer",
    ):
        shown = str(InputProblem("x.xml", 1, element, "Jansen 123456782", "r"))
        assert "Jansen" not in shown and "123456782" not in shown


def test_a_rejection_summarises_its_problems():
    problems = [InputProblem("a.csv", n, None, None, "kapot") for n in (2, 3, 4)]
    error = RejectedInput(problems)
    assert str(error) == "a.csv, regel 2: kapot (en nog 2 problemen)"
    assert pickle.loads(pickle.dumps(error)).problems == problems


# --------------------------------------------------------------------------- months


def test_one_month_is_one_part():
    assert split_by_month(date(2026, 3, 1), date(2026, 3, 31), 12345, 4.0) == [
        MonthPart(date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 31), 12345, 4.0)
    ]


def test_a_period_over_three_months_is_split_by_days_to_the_cent():
    # 17 days in January, 28 in February, 10 in March: 55 days.
    parts = split_by_month(date(2026, 1, 15), date(2026, 3, 10), 10000, 55.0)
    assert [(p.zorgmaand, p.begin, p.end, p.amount_cents, p.volume) for p in parts] == [
        (date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 31), 3091, 17.0),
        (date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 28), 5091, 28.0),
        (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 10), 1818, 10.0),
    ]


def test_a_credit_is_split_as_the_mirror_of_its_debit():
    debit = split_by_month(date(2025, 12, 20), date(2026, 1, 9), 10001, None)
    credit = split_by_month(date(2025, 12, 20), date(2026, 1, 9), -10001, None)
    assert [p.amount_cents for p in credit] == [-p.amount_cents for p in debit] == [-5715, -4286]
    assert [p.zorgmaand for p in credit] == [date(2025, 12, 1), date(2026, 1, 1)]


def test_an_end_before_the_begin_is_an_error():
    with pytest.raises(ValueError, match="ligt voor begindatum"):
        split_by_month(date(2026, 2, 1), date(2026, 1, 31), 100, None)


periods = st.tuples(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=800),
).map(lambda t: (t[0], t[0] + timedelta(days=t[1])))


@given(periods, st.integers(min_value=-(10**10), max_value=10**10))
def test_split_preserves_the_total_and_covers_the_period_month_by_month(period, amount):
    begin, end = period
    parts = split_by_month(begin, end, amount, None)
    assert sum(p.amount_cents for p in parts) == amount
    assert parts[0].begin == begin and parts[-1].end == end
    for previous, following in itertools.pairwise(parts):
        assert following.begin == previous.end + timedelta(days=1)
    total_days = (end - begin).days + 1
    for part in parts:
        assert part.zorgmaand == part.begin.replace(day=1) == part.end.replace(day=1)
        assert part.amount_cents * amount >= 0  # same sign (or zero)
        exact = Fraction(amount * ((part.end - part.begin).days + 1), total_days)
        assert abs(part.amount_cents - exact) < 1


@given(periods, st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_split_volume_adds_up(period, volume):
    parts = split_by_month(*period, 0, volume)
    assert sum(p.volume for p in parts) == pytest.approx(volume)
