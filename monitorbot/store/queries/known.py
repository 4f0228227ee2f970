"""Which date of each source counts as "known at the peildatum".

One definition, applied by every query that cuts at a peildatum (its `grens`,
the first day not known):

* declarations: their declaratiedatum, before the grens;
* data-quality findings and quarantined files: when they were found, before the
  grens (midnight in the deployment's time zone, stored in UTC);
* alerts: when they started;
* monthly totals (PGB, eigen bijdrage): when their file arrived; a file loaded
  as history (long after its months) counts as arrived at each month's end plus
  the source's usual delay (`TOTALS_DELAY`), so a replay of the past sees them;
* care-flow messages (315/301/305/307) by their Dagtekening: each is stored as
  one event and the allocation's state is derived from the events known then;
* waiting-list exports by arrival, or, loaded as history, a week after their
  last date (`allocations`);
* corrections by their `datum` (and `tot`), budgets by `vastgesteld_op`
  (`config.models.Begroting`).

Norms, thresholds and indexation carry no dates: they are always the current ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_

from monitorbot.core.calendar import first_of_month
from monitorbot.store import models

#: The SVB and the CAK report a month's totals about two weeks after it ends.
TOTALS_DELAY = timedelta(days=15)


def moment_of(grens: date, tijdzone: str) -> datetime:
    """The grens as a stored (UTC) moment: midnight at its start, local time."""
    return datetime.combine(grens, time(), ZoneInfo(tijdzone)).astimezone(UTC)


def totals_month_known(grens: date) -> date:
    """The first month whose totals are *not* known yet by the history rule.

    A month counts as known when its end plus TOTALS_DELAY lies before the grens:
    with a grens of 11 November, September is known and October is not.
    """
    return first_of_month(grens - TOTALS_DELAY)


def totals_known(grens: date, tijdzone: str) -> ColumnElement[bool]:
    """Which monthly-totals rows (`pgb_maand` joined to its `bronbestand`) are known before
    the grens: an ended month whose file had arrived, or that counts as arrived by the
    history rule. The forecast and the "totals stopped" metric both cut here."""
    pgb, file = models.PgbMaand, models.Bronbestand
    return and_(
        pgb.maand < first_of_month(grens),
        or_(file.ingelezen_op < moment_of(grens, tijdzone), pgb.maand < totals_month_known(grens)),
    )
