"""What "known at the peildatum" means per source, on both databases.

Monthly totals (PGB) count when their file arrived, or — loaded later as
history — at each month's end plus the usual delay; a month not delivered yet
is forecast, never counted as € 0. The peildatum's one parser and label are
tested here too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from monitorbot.config import load_config
from monitorbot.core.calendar import Peildatum, Soort
from monitorbot.forecast.prognosis import build_budget_report
from monitorbot.forecast.series import monthly_totals
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.store import db, models
from monitorbot.store.sync import sync_config
from tests.conftest import CONFIG_DIR, REPO
from tests.messages import source_file_row

MONTHLY = 1_200_000  # € 12.000 PGB a month


def _seed_pgb(engine, months: list[date], ingelezen_op: datetime) -> None:
    with db.transaction(engine) as session:
        sync_config(session, load_config(CONFIG_DIR))
        session.add(source_file_row(ingelezen_op))
        session.flush()
        session.add_all(
            models.PgbMaand(
                gemeente_code="9999",
                perceel_id="jeugd-pgb",
                maand=month,
                bedrag_cents=MONTHLY,
                bestand_id=1,
            )
            for month in months
        )


def _months(year: int, first: int, last: int) -> list[date]:
    return [date(year, m, 1) for m in range(first, last + 1)]


def test_totals_arrive_with_their_file_or_at_month_end_plus_delay(engine):
    # Two years of history loaded on 1 December 2026, long after most of its months.
    _seed_pgb(
        engine, _months(2025, 1, 12) + _months(2026, 1, 10), datetime(2026, 12, 1, tzinfo=UTC)
    )
    with db.transaction(engine) as session:

        def known(grens: date) -> set[date]:
            frame = monthly_totals(session, "9999", known_before=grens)
            return {ts.date() for ts in frame["zorgmaand"]}

        # A replay of the past: September 2026 is known by 11 November (its end + 15 days),
        # October is not (it ends on the 31st; the SVB reports mid-November).
        at_cycle = known(date(2026, 11, 11))
        assert date(2026, 9, 1) in at_cycle and date(2026, 10, 1) not in at_cycle
        # After the file arrived (1 December) every delivered month counts.
        assert date(2026, 10, 1) in known(date(2026, 12, 2))
        # July has not ended and June only just: June is known from the 16th of July on.
        assert max(known(date(2026, 7, 20))) == date(2026, 6, 1)  # June ended 15+ days ago


def test_a_month_not_delivered_yet_is_forecast_not_counted_as_zero(engine):
    _seed_pgb(
        engine,
        _months(2024, 1, 12) + _months(2025, 1, 12) + _months(2026, 1, 8),
        datetime(2026, 9, 5, tzinfo=UTC),
    )
    config = load_config(CONFIG_DIR)
    spec = load_forecast_spec(REPO / "forecasts")
    with db.transaction(engine) as session:
        report = build_budget_report(
            session, config, spec, "9999", 2026, Peildatum.op(date(2026, 11, 10))
        )
    row = next(r for r in report.rows if r.perceel == "jeugd-pgb")
    # Delivered: January–August (8 × € 12.000); September and October are forecast.
    assert row.verwacht_compleet_cents == pytest.approx(8 * MONTHLY)
    assert row.prognose_cents == pytest.approx(12 * MONTHLY, rel=0.02)


@pytest.mark.parametrize(
    ("text", "grens", "label", "peilmaand"),
    [
        ("2026-10", date(2026, 11, 1), "stand eind oktober 2026", date(2026, 10, 1)),
        ("2026-11-10", date(2026, 11, 11), "stand 10-11-2026", date(2026, 10, 1)),
        ("2026-12", date(2027, 1, 1), "stand eind december 2026", date(2026, 12, 1)),
        ("2027-01-31", date(2027, 2, 1), "stand 31-01-2027", date(2027, 1, 1)),
    ],
)
def test_one_parser_one_label(text, grens, label, peilmaand):
    peildatum = Peildatum.parse(text)
    assert (peildatum.grens, peildatum.label, peildatum.peilmaand) == (grens, label, peilmaand)
    assert Peildatum.parse(peildatum.code) == peildatum
    assert peildatum.jaar == peilmaand.year


@pytest.mark.parametrize("text", ["2026-13", "17-11-2026", "2026-02-30", "oktober", "2026-1"])
def test_a_peildatum_that_cannot_be_read_is_refused_in_dutch(text):
    with pytest.raises(ValueError, match=r"peildatum|bestaande datum"):
        Peildatum.parse(text)


def test_year_closes_three_months_after_its_end():
    assert not Peildatum.parse("2027-02").year_closed(2026)
    assert Peildatum.parse("2027-03").year_closed(2026)
    assert Peildatum(date(2027, 4, 1), Soort.DAG).year_closed(2026)
    assert Peildatum.parse("2026-10").months_back(-12) == Peildatum.parse("2025-10")
