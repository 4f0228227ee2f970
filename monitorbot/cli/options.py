"""Options every command shares, parsed once: `--gemeente`, `--as-of`, `--from/--to`, `--nu`.

`--as-of` reads as `core.calendar.Peildatum.parse` defines it (JJJJ-MM: the end
of that month; JJJJ-MM-DD: that day; nothing: now), for every command, and every
output names it with the peildatum's one label ("stand eind oktober 2026").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from monitorbot.app import Refused

if TYPE_CHECKING:
    from monitorbot.app import App
    from monitorbot.core.calendar import Peildatum


def _configured_gemeente(ctx: typer.Context, value: str | None) -> str | None:
    """Every `--gemeente` is checked here, once: an unknown code is refused (exit 2) with
    the configured codes, before the command does anything."""
    if value is not None and not ctx.resilient_parsing:
        from monitorbot.cli.runtime import runtime_of

        runtime_of(ctx).gemeente(value)
    return value


GemeenteOption = Annotated[
    str,
    typer.Option(
        "--gemeente", help="CBS-code, bv. 0399.", callback=_configured_gemeente, is_eager=True
    ),
]
OptionalGemeenteOption = Annotated[
    str | None,
    typer.Option(
        "--gemeente",
        help="Alleen deze gemeente (CBS-code).",
        callback=_configured_gemeente,
        is_eager=True,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Peildatum: JJJJ-MM is alles wat bekend was aan het eind van die maand, "
        "JJJJ-MM-DD alles wat op die dag bekend was (standaard: alles wat nu bekend is).",
    ),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--nu", help="Doe alsof het nu dit tijdstip is (JJJJ-MM-DDTUU:MM, UTC).", hidden=True
    ),
]


def peildatum_of(app: App, text: str | None) -> Peildatum:
    """The peildatum an `--as-of` names; without one, now in the deployment's time zone."""
    from monitorbot.core.calendar import Peildatum

    if text is None:
        return Peildatum.nu(app.clock(), app.config.deployment.tijdzone)
    try:
        return Peildatum.parse(text)
    except ValueError as exc:
        raise Refused(f"--as-of: {exc}") from None


def month_of(text: str, option: str) -> date:
    """A month option (`--from`, `--to`): JJJJ-MM, as the peilmaand of that month."""
    from monitorbot.core.calendar import Peildatum, Soort

    try:
        peildatum = Peildatum.parse(text)
    except ValueError as exc:
        raise Refused(f"{option}: {exc}") from None
    if peildatum.soort is not Soort.MAAND:
        raise Refused(f"{option} {text!r} is geen maand; gebruik JJJJ-MM, bv. 2025-01")
    return peildatum.peilmaand


def day_of(text: str, option: str) -> date:
    """A day option (`--vandaag`): JJJJ-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{option} {text!r} is geen datum; gebruik JJJJ-MM-DD") from None


def use_now(app: App, text: str | None) -> datetime:
    """`--nu`: freeze the App's clock at that moment (UTC unless it says otherwise).

    Without it the clock runs; either way the moment returned is "now" for the command.
    """
    from monitorbot.core.clock import frozen

    if text is not None:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise Refused(f"--nu {text!r} is geen tijdstip; gebruik JJJJ-MM-DDTUU:MM") from None
        app.clock = frozen(value if value.tzinfo else value.replace(tzinfo=UTC))
    return app.clock()
