"""`monitorbot db upgrade|current|opnieuw-inlezen`: the schema is owned by Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitorbot.cli.runtime import EXIT_REJECTED, console, runtime_of

app = typer.Typer(help="Database beheren.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Breng het databaseschema naar de nieuwste versie (veilig om te herhalen)."""
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    engine = runtime.engine(upgrade=False)
    before = db.current_revision(engine)
    db.upgrade(engine)
    after = db.current_revision(engine)
    state = "al actueel" if before == after else f"bijgewerkt van {before or 'leeg'}"
    console.print(
        f"Database {engine.url.render_as_string(hide_password=True)}: schema {after} ({state})."
    )


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Toon de huidige schemaversie."""
    from monitorbot.store import db

    engine = runtime_of(ctx).engine(upgrade=False)
    console.print(db.current_revision(engine) or "leeg (nog geen migraties uitgevoerd)")


@app.command("opnieuw-inlezen")
def reingest(
    ctx: typer.Context,
    naar: Annotated[
        str,
        typer.Option("--naar", help="URL van de nieuwe, lege database (bv. sqlite:///nieuw.db)."),
    ],
    archief: Annotated[
        Path | None,
        typer.Option("--archief", help="Map met de ingelezen bestanden (standaard: het archief)."),
    ] = None,
) -> None:
    """Lees het hele archief in een nieuwe database in, met de huidige sleutel.

    Een pseudoniem is eenrichtingsverkeer: wie de sleutel wisselt (MONITORBOT_PSEUDONYM_KEY),
    leest alles opnieuw in. De oude database blijft ongemoeid; zet daarna
    MONITORBOT_DATABASE_URL op de nieuwe en draai `monitorbot evaluate` per gemeente.
    """
    from sqlalchemy import func, select

    from monitorbot.app import App, Refused
    from monitorbot.store import db, models

    runtime = runtime_of(ctx)
    folder = archief or runtime.data_path(runtime.config.deployment.archief)
    if not folder.is_dir():
        raise Refused(f"archief {folder} bestaat niet; geef de map met --archief")
    target = App(runtime.settings.model_copy(update={"database_url": naar}), clock=runtime.clock)
    shown = target.engine().url.render_as_string(hide_password=True)
    with db.transaction(target.engine()) as session:
        if session.execute(select(func.count()).select_from(models.Bronbestand)).scalar():
            raise Refused(f"de database {shown} is niet leeg; kies een nieuwe, lege database")
    report = target.ingestor().run([folder])
    console.print(
        f"Opnieuw ingelezen in {shown}: "
        f"{len(report.bestanden)} bestand(en), {report.geweigerd} geweigerd.",
        markup=False,
    )
    if report.geweigerd:
        raise typer.Exit(EXIT_REJECTED)
