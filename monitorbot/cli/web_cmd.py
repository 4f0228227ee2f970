"""`monitorbot web` (the console) and `monitorbot gebruikers` (its accounts)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from monitorbot.cli.options import GemeenteOption
from monitorbot.cli.runtime import EXIT_USAGE, console, err_console, runtime_of

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.orm import Session

    from monitorbot.app import App
    from monitorbot.config.models import OidcSettings
    from monitorbot.evaluate.outcome import Trial
    from monitorbot.evaluate.rules import Rule
    from monitorbot.web.oidc import OidcLogin

#: Signs the console's session cookies; without it every start makes a new one
#: (sessions then end with the process).
SECRET_ENV = "MONITORBOT_WEB_SECRET"

gebruikers_app = typer.Typer(
    help="Accounts voor de webconsole: aanmaken, rollen per gemeente, uitschakelen.",
    no_args_is_help=True,
)
#: The author of an account change made with `monitorbot gebruikers`.
COMMAND_LINE = "opdrachtregel"

RolOption = Annotated[
    str,
    typer.Option("--rol", help="lezer, kernteam, controller of beheerder."),
]


def _rol(text: str):  # type: ignore[no-untyped-def]
    from monitorbot.core.states import Rol

    try:
        return Rol(text.strip().lower())
    except ValueError:
        err_console.print(f"onbekende rol {text!r}: kies uit {', '.join(r.value for r in Rol)}")
        raise typer.Exit(EXIT_USAGE) from None


@contextmanager
def _account_change(runtime: App) -> Iterator[Session]:
    """One account change in one transaction; a refusal is printed and exits 2."""
    from monitorbot.store import db
    from monitorbot.web.accounts import AccountError

    try:
        with db.transaction(runtime.engine()) as session:
            yield session
    except AccountError as exc:
        err_console.print(str(exc))
        raise typer.Exit(EXIT_USAGE) from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True)


@gebruikers_app.command("toevoegen")
def add_user(
    ctx: typer.Context,
    naam: Annotated[str, typer.Argument(help="Accountnaam, bv. j.jansen.")],
    rol: RolOption,
    gemeente: GemeenteOption,
    wachtwoord_stdin: Annotated[
        bool, typer.Option("--wachtwoord-stdin", help="Lees het wachtwoord van stdin.")
    ] = False,
) -> None:
    """Maak een account met een rol in een gemeente; het wachtwoord wordt gevraagd."""
    from monitorbot.web.accounts import create, set_role

    runtime = runtime_of(ctx)
    role = _rol(rol)
    wachtwoord = _password(wachtwoord_stdin)
    with _account_change(runtime) as session:
        now = runtime.clock()
        create(session, naam, wachtwoord, now, door=COMMAND_LINE)
        set_role(session, naam, role, gemeente, grant=True, door=COMMAND_LINE, now=now)
    console.print(f"Account {naam} aangemaakt: {role.value} in {gemeente}", markup=False)


@gebruikers_app.command("rol")
def change_role(
    ctx: typer.Context,
    naam: Annotated[str, typer.Argument(help="Accountnaam.")],
    rol: RolOption,
    gemeente: GemeenteOption,
    weg: Annotated[
        bool, typer.Option("--weg", help="Neem de rol af in plaats van te geven.")
    ] = False,
) -> None:
    """Geef een account een rol in een gemeente (of neem die af met --weg)."""
    from monitorbot.web.accounts import set_role

    runtime = runtime_of(ctx)
    role = _rol(rol)
    with _account_change(runtime) as session:
        set_role(
            session, naam, role, gemeente, grant=not weg, door=COMMAND_LINE, now=runtime.clock()
        )
    console.print(
        f"{naam}: {role.value} in {gemeente} {'afgenomen' if weg else 'gegeven'}", markup=False
    )


@gebruikers_app.command("regio")
def change_region_reader(
    ctx: typer.Context,
    naam: Annotated[str, typer.Argument(help="Accountnaam.")],
    regio: Annotated[str, typer.Option("--regio", help="Naam van de regio (config/regio).")],
    weg: Annotated[
        bool, typer.Option("--weg", help="Neem de rol af in plaats van te geven.")
    ] = False,
) -> None:
    """Geef een account de rol regio-lezer: de pagina's van de regio, niet die van een lid."""
    from monitorbot.web.accounts import REGIO_LEZER, set_region_reader

    runtime = runtime_of(ctx)
    runtime.config.regio(regio)  # an unknown region is refused with the configured ones
    with _account_change(runtime) as session:
        set_region_reader(
            session, naam, regio, grant=not weg, door=COMMAND_LINE, now=runtime.clock()
        )
    console.print(
        f"{naam}: {REGIO_LEZER} in regio {regio} {'afgenomen' if weg else 'gegeven'}",
        markup=False,
    )


@gebruikers_app.command("uitschakelen")
def disable_user(
    ctx: typer.Context,
    naam: Annotated[str, typer.Argument(help="Accountnaam.")],
    weer_aan: Annotated[bool, typer.Option("--weer-aan", help="Schakel weer in.")] = False,
) -> None:
    """Schakel een account uit: inloggen kan niet meer, een open sessie eindigt."""
    from monitorbot.web.accounts import set_active

    runtime = runtime_of(ctx)
    with _account_change(runtime) as session:
        set_active(session, naam, weer_aan, door=COMMAND_LINE, now=runtime.clock())
    console.print(f"{naam} {'ingeschakeld' if weer_aan else 'uitgeschakeld'}", markup=False)


@gebruikers_app.command("lijst")
def list_users(ctx: typer.Context) -> None:
    """Alle accounts met hun rollen per gemeente."""
    from monitorbot.store import db
    from monitorbot.store.queries import accounts

    runtime = runtime_of(ctx)
    with db.transaction(runtime.engine()) as session:
        found = [
            (a, accounts.roles(session, a.id), accounts.regions(session, a.id))
            for a in accounts.accounts(session)
        ]
    if not found:
        console.print("Geen accounts.")
    for account, roles, regions in found:
        state = "" if account.actief else " (uitgeschakeld)"
        rollen = [f"{rol} in {gemeente}" for rol, gemeente in roles]
        rollen += [f"regio-lezer in regio {regio}" for regio in regions]
        console.print(f"{account.naam}{state}: {', '.join(rollen) or 'geen rollen'}", markup=False)


def console_app(runtime: App, *, https: bool = False) -> FastAPI:
    """The console for this deployment: its database, time zone, gemeenten, config and rules."""
    from monitorbot.web.app import Console, create_console
    from monitorbot.web.trials import TrialJobs

    config = runtime.config
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        err_console.print(f"{SECRET_ENV} is niet gezet: sessies gelden tot de console stopt.")
        secret = secrets.token_urlsafe(32)
    site = Console(
        engine=runtime.engine(),
        tijdzone=config.deployment.tijdzone,
        gemeente_namen={code: g.naam for code, g in config.gemeenten.items()},
        regios={naam: (r.naam, tuple(r.leden)) for naam, r in config.regios.items()},
        now=runtime.clock,
        config_dir=runtime.config_dir,
        alerts_dir=runtime.settings.alerts_dir,
        trials=TrialJobs(partial(replay_rule, runtime)),
        oidc=_oidc(config.deployment.console_oidc),
    )
    return create_console(site, secret=secret, secure_cookies=https)


def _oidc(settings: OidcSettings | None) -> OidcLogin | None:
    """The identity provider when configured; its client secret must be in the environment."""
    if settings is None:
        return None
    from monitorbot.web.oidc import SECRET_ENV as OIDC_SECRET
    from monitorbot.web.oidc import OidcLogin

    client_secret = os.environ.get(OIDC_SECRET)
    if not client_secret:
        err_console.print(
            f"console_oidc is ingesteld in monitorbot.yaml, maar {OIDC_SECRET} is niet gezet"
        )
        raise typer.Exit(EXIT_USAGE)
    return OidcLogin(settings, client_secret)


def replay_rule(
    runtime: App,
    gemeente: str,
    current: Rule,
    changed: Rule,
    months: list[date],
    progress: Callable[[int], None],
) -> Trial:
    """A console trial: both versions replayed on the configuration as it is now (with the
    corrections saved since the console started), nothing written."""
    from monitorbot.config import load_config
    from monitorbot.evaluate.trial import try_rule
    from monitorbot.store import db

    config = load_config(runtime.config_dir)
    today = runtime.clock().astimezone(ZoneInfo(config.deployment.tijdzone)).date()
    with db.transaction(runtime.engine()) as session:
        trial = try_rule(
            session,
            config,
            runtime.forecast_spec(),
            gemeente,
            current,
            changed,
            months,
            today,
            on_month=progress,
        )
        session.rollback()
    return trial


def web(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Adres om op te luisteren.")] = "127.0.0.1",
    poort: Annotated[int, typer.Option("--poort", help="Poort.")] = 8080,
    https: Annotated[
        bool,
        typer.Option("--https", help="Cookies alleen over HTTPS (achter een TLS-proxy)."),
    ] = False,
) -> None:
    """De webconsole: overzicht, signaleringen, stiltes, correcties (zie README)."""
    import uvicorn

    app = console_app(runtime_of(ctx), https=https)
    console.print(f"Console op http://{host}:{poort}/ (stoppen: Ctrl+C)", markup=False)
    uvicorn.run(app, host=host, port=poort, log_level="warning", server_header=False)
