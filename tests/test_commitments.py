"""What running allocations commit for the rest of the year, computed exactly."""

from __future__ import annotations

from datetime import date

import pytest

from monitorbot.evaluate.collect import fold_small_providers
from monitorbot.forecast.commitments import (
    Commitment,
    RunningAllocation,
    commitments,
    committed_cents,
    summarize,
)
from monitorbot.store import db
from tests.messages import allocation_301, declaration_323

START, YEAR_END = date(2026, 3, 1), date(2026, 12, 31)  # 306 days


def allocation(**changes: object) -> RunningAllocation:
    values: dict = dict(
        perceel="jeugd-ambulant",
        aanbieder="12345678",
        productcode="45A01",
        ingang=date(2026, 1, 1),
        einde=date(2026, 12, 31),
        volume=None,
        eenheid="04",
        frequentie=None,
        budget_cents=None,
    )
    values.update(changes)
    return RunningAllocation(**values)


def test_a_budget_is_spread_over_the_validity_and_counts_from_the_peildatum():
    budget = allocation(budget_cents=365_000)
    assert committed_cents(budget, None, START, YEAR_END) == pytest.approx(365_000 * 306 / 365)


def test_an_omvang_per_week_is_valued_at_the_declared_tariff_for_the_days_left():
    weekly = allocation(ingang=date(2026, 2, 1), einde=None, volume=6, frequentie="2")
    assert committed_cents(weekly, 8_900.0, START, YEAR_END) == pytest.approx(6 / 7 * 306 * 8_900)
    monthly = allocation(volume=20, frequentie="4")
    assert committed_cents(monthly, 100.0, START, YEAR_END) == pytest.approx(
        20 * 12 / 365 * 306 * 100
    )


def test_a_total_for_the_validity_is_spread_over_it():
    total = allocation(einde=date(2026, 6, 30), volume=10, frequentie="6")  # 181 days valid
    assert committed_cents(total, 5_000.0, START, YEAR_END) == pytest.approx(
        10 * 122 / 181 * 5_000  # March to June: 122 days
    )


def test_what_cannot_be_valued_is_counted_and_what_has_ended_commits_nothing():
    assert committed_cents(allocation(volume=6, frequentie="2"), None, START, YEAR_END) is None
    ended = allocation(einde=date(2026, 2, 28), budget_cents=100_000)
    assert committed_cents(ended, None, START, YEAR_END) == 0.0
    later = allocation(ingang=date(2026, 12, 1), budget_cents=31_000)  # valid 1–31 Dec
    assert committed_cents(later, None, START, YEAR_END) == pytest.approx(31_000)
    result = summarize(
        [
            allocation(budget_cents=365_000),
            allocation(volume=6, frequentie="2"),  # no tariff for this provider
            allocation(aanbieder="99999999", budget_cents=365_000),
        ],
        {},
        START,
        YEAR_END,
    )
    assert result == [
        Commitment("jeugd-ambulant", "12345678", pytest.approx(306_000), 2, 1),
        Commitment("jeugd-ambulant", "99999999", pytest.approx(306_000), 1, 0),
    ]


def test_clients_are_counted_once_also_when_rows_are_taken_together():
    rows = summarize(
        [
            allocation(client="p1", budget_cents=365_000),
            allocation(client="p1", productcode="45A02", budget_cents=365_000),
            allocation(client="p2", budget_cents=365_000),
            allocation(aanbieder="99999999", client="p1", budget_cents=365_000),
            allocation(aanbieder="99999999", client=None, budget_cents=365_000),  # an export
        ],
        {},
        START,
        YEAR_END,
    )
    assert [(r.aanbieder, r.toewijzingen, r.clienten) for r in rows] == [
        ("12345678", 3, 2),
        ("99999999", 2, 1),
    ]
    both = Commitment.together("jeugd-ambulant", "samen", rows)
    assert (both.toewijzingen, both.clienten) == (5, 2)
    assert both.cents == pytest.approx(5 * 306_000)


def test_commitments_are_read_as_known_at_the_peildatum(engine, ingest_files):
    """Three 301s (an Omvang in hours a week, a Budget, an Omvang in a unit never
    declared) and a 323 that shows the provider's tariff for hours of 45A01."""
    report = ingest_files(
        {
            "a.xml": allocation_301(
                bsn="999999990",
                number="4711",
                allocated=date(2024, 3, 1),
                omvang=(6, "04", "2"),
            ),
            "b.xml": allocation_301(
                bsn="123456782",
                number="4712",
                allocated=date(2024, 3, 1),
                ident="T301-2",
                budget=365_000,
            ),
            "c.xml": allocation_301(
                bsn="111222333",
                number="4713",
                allocated=date(2024, 3, 1),
                ident="T301-3",
                omvang=(3, "14", "2"),
            ),
            "d.xml": declaration_323(
                prestaties=[{"bsn": "999999990", "ref": "R1", "toewijzing": "4711", "volume": 10}]
            ),
            "e.xml": allocation_301(  # known only after the peildatum
                bsn="999999990",
                number="4714",
                allocated=date(2024, 4, 2),
                ident="T301-4",
                budget=1_000_000,
            ),
        }
    )
    assert report.geweigerd == 0
    with db.transaction(engine) as session:
        result = commitments(
            session, "9999", date(2024, 4, 1), "Europe/Amsterdam", date(2024, 12, 31)
        )
    # 1 April to 31 December 2024: 275 days. The budget runs a year from 1 March 2024
    # (365 days); the weekly hours are valued at the declared € 89,00 an hour.
    assert result == [
        Commitment(
            "jeugd-ambulant",
            "12345678",
            pytest.approx(365_000 * 275 / 365 + 6 / 7 * 275 * 8_900),
            3,
            1,
        )
    ]
    assert result[0].clienten == 3  # three clients, counted by pseudonym


# --------------------------------------------------------------------------- small cells


def clients(aanbieder: str, names: str, cents: float) -> Commitment:
    """A provider's commitment to the clients named by the letters of `names`."""
    return Commitment("jeugd-ambulant", aanbieder, cents, len(names), 0, frozenset(names))


def test_providers_under_ten_clients_are_shown_together_and_never_alone():
    big = clients("11111111", "abcdefghijklmnopqrst", 9_000.0)  # 20 clients
    middle = clients("22222222", "ABCDEFGHIJKL", 5_000.0)  # 12
    small = clients("33333333", "uvwxy", 700.0)  # 5
    tiny = clients("44444444", "yz", 300.0)  # 2, one of them also with the small one
    shown, together = fold_small_providers([small, big, tiny, middle])
    # 5 + 2 clients are 6 people: too few together, so the smallest shown joins them
    assert [r.aanbieder for r in shown] == ["11111111"]
    assert together is not None
    assert (together.clienten, together.toewijzingen) == (18, 19)
    assert together.cents == pytest.approx(6_000.0)


def test_enough_small_providers_together_are_shown_as_one_row():
    small = [
        clients(f"5555555{i}", "".join(chr(97 + 3 * i + k) for k in range(3)), 100.0)
        for i in range(4)
    ]
    shown, together = fold_small_providers([clients("11111111", "ABCDEFGHIJ", 50.0), *small])
    assert [r.aanbieder for r in shown] == ["11111111"]
    assert together is not None and together.clienten == 12


def test_a_perceel_with_fewer_than_ten_clients_is_left_out():
    assert fold_small_providers([clients("1", "abc", 1.0), clients("2", "defg", 1.0)]) is None
    assert fold_small_providers([]) is None
    alone = fold_small_providers([clients("1", "abcdefghij", 1.0)])
    assert alone is not None and alone[1] is None
