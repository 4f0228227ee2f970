"""`monitorbot db upgrade|current`: the schema is owned by Alembic migrations."""

from __future__ import annotations

import typer

from monitorbot.cli.runtime import console, runtime_of

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
