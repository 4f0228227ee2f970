"""Time, passed in rather than read: every job and evaluation takes a clock.

Tests freeze it instead of sleeping, and a replay runs on the moment it replays.
Times are stored in UTC; people read them in the deployment's time zone
(`local`), Europe/Amsterdam unless configured otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def frozen(moment: datetime) -> Clock:
    """A clock that always says `moment` (for `--nu` and tests)."""
    return lambda: moment


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything monitorbot stores is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local(moment: datetime, tijdzone: str) -> datetime:
    """A stored moment as a person in the deployment's time zone reads it."""
    return aware(moment).astimezone(ZoneInfo(tijdzone))


def shown(moment: datetime, tijdzone: str, *, time: bool = False) -> str:
    """A stored moment as people read it, in the deployment's time zone: `10-11-2026`
    or `10-11-2026 08:00`. Every time a person sees goes through here."""
    return (
        f"{local(moment, tijdzone):%d-%m-%Y %H:%M}"
        if time
        else f"{local(moment, tijdzone):%d-%m-%Y}"
    )
