"""Which date of each source counts as "known at the peildatum".

One definition, applied by every query that cuts at a peildatum (its `grens`,
the first day not known):

* declarations: their declaratiedatum, before the grens;
* data-quality findings and quarantined files: when they were found, before the
  grens (midnight in the deployment's time zone, stored in UTC);
* alerts: when they started.

The remaining sources follow with "One truth per peildatum"'s later steps:
care-flow messages by their dagtekening, monthly totals and waiting lists by
when they arrived, corrections by their `datum`, budgets by `vastgesteld_op`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def moment_of(grens: date, tijdzone: str) -> datetime:
    """The grens as a stored (UTC) moment: midnight at its start, local time."""
    return datetime.combine(grens, time(), ZoneInfo(tijdzone)).astimezone(UTC)
