"""`monitorbot config check`: validate every config file and say what to fix."""

from __future__ import annotations

from typing import Any

import typer

from monitorbot.cli.runtime import EXIT_USAGE, console, report_config_error, runtime_of

app = typer.Typer(help="Configuratie controleren.", no_args_is_help=True)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Controleer config/, alerts/ en forecasts/: bestand, regel, sleutel en waarde per fout."""
    runtime = runtime_of(ctx)
    problems = runtime.configuration_problems()
    if problems:
        report_config_error(problems)
        raise typer.Exit(EXIT_USAGE)
    config = runtime.config
    console.print(f"Configuratie in {runtime.config_dir} is in orde:")
    console.print(f"  {len(config.percelen.percelen)} percelen")
    for code, gemeente in sorted(config.gemeenten.items()):
        jaren = sorted(j for (c, j) in config.begrotingen if c == code)
        jaren_tekst = ", ".join(map(str, jaren)) or "geen"
        console.print(f"  gemeente {code} {gemeente.naam}: begrotingen {jaren_tekst}")
    for naam, regio in sorted(config.regios.items()):
        console.print(f"  regio {naam} {regio.naam}: leden {', '.join(regio.leden)}")
    rules = runtime.rules()
    console.print(f"  {len(rules.rules)} signaleringsregels in {runtime.settings.alerts_dir}")
    console.print(f"  voorspelspecificatie in {runtime.settings.forecasts_dir}")


@app.command("bereiken")
def ranges() -> None:
    """Elk getal in config/, alerts/ en forecasts/ met wat het mag zijn (de tabel in de README)."""
    print(ranges_table(), end="")


def ranges_table() -> str:
    """The markdown table of every bounded number, from the models themselves."""
    lines = ["| bestand | sleutel | van | tot |", "|---|---|---|---|"]
    lines += [f"| {file} | `{key}` | {low} | {high} |" for file, key, low, high in number_ranges()]
    return "\n".join(lines) + "\n"


def number_ranges() -> list[tuple[str, str, str, str]]:
    """(file, key, lowest, highest) for every number a person writes, as the models check it."""
    from monitorbot.config.models import Begroting, Deployment, GemeenteConfig
    from monitorbot.evaluate.catalogue import FACTOR_RANGE, UNIT_RANGES
    from monitorbot.evaluate.rules import Rule
    from monitorbot.forecast.spec import ForecastSpec

    rows: list[tuple[str, str, str, str]] = []
    for file, model in (
        ("monitorbot.yaml", Deployment),
        ("gemeenten/*.yaml", GemeenteConfig),
        ("begroting/*.yaml", Begroting),
        ("forecasts/*.yaml", ForecastSpec),
        ("alerts/*.yaml", Rule),
    ):
        rows += [(file, key, low, high) for key, low, high in _model_ranges(model, "")]
    for unit, (low, high) in UNIT_RANGES.items():
        euro = unit == "euro"
        rows.append(
            ("alerts/*.yaml", f"drempels (in {unit})", _shown(low, euro), _shown(high, euro))
        )
    rows.append(("alerts/*.yaml", "drempels (factor × referentie)", *map(_shown, FACTOR_RANGE)))
    return rows


def _model_ranges(model: Any, prefix: str) -> list[tuple[str, str, str]]:
    from pydantic import BaseModel

    found = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        bounds = _bounds([*field.metadata, *_annotated_metadata(field.annotation)])
        if bounds is not None:
            found.append((key, *bounds))
        nested = field.annotation if isinstance(field.annotation, type) else None
        inner_types = [nested] if nested else _inner_types(field.annotation)
        for inner in inner_types:
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                found += _model_ranges(inner, f"{key}.")
            elif (inner_bounds := _bounds(_annotated_metadata(inner))) is not None:
                found.append((f"{key}.*", *inner_bounds))
    return found


def _inner_types(annotation: Any) -> list[Any]:
    """The element and value types of list[...], dict[..., X], X | None."""
    from typing import get_args

    inner: list[Any] = []
    for argument in get_args(annotation):
        if argument is type(None):
            continue
        if get_args(argument) and not hasattr(argument, "__metadata__"):
            inner += _inner_types(argument)
        else:
            inner.append(argument)
    if hasattr(annotation, "__origin__") and annotation.__origin__ is dict:
        inner = inner[1:]  # the keys are names, not numbers
    return [t for t in inner if not (hasattr(t, "__metadata__") and t.__origin__ is str)]


def _annotated_metadata(annotation: Any) -> list[Any]:
    metadata = list(getattr(annotation, "__metadata__", ()))
    return [m for item in metadata for m in (getattr(item, "metadata", None) or [item])]


def _bounds(metadata: list[Any]) -> tuple[str, str] | None:
    euro = any(getattr(getattr(m, "func", None), "__name__", "") == "_to_cents" for m in metadata)
    lows = [m.ge for m in metadata if hasattr(m, "ge")] + [
        m.gt for m in metadata if hasattr(m, "gt")
    ]
    highs = [m.le for m in metadata if hasattr(m, "le")] + [
        m.lt for m in metadata if hasattr(m, "lt")
    ]
    if not lows and not highs:
        return None
    open_low = any(hasattr(m, "gt") for m in metadata) and not any(
        hasattr(m, "ge") for m in metadata
    )
    low = _shown(max(lows), euro) if lows else "-"
    return (f"> {low}" if open_low else low), (_shown(min(highs), euro) if highs else "-")


def _shown(value: float, euro: bool = False) -> str:
    """A bound as a controller writes it (euros for amounts held in cents)."""
    if euro:
        value = value / 100
    if not float(value).is_integer():
        text = f"{value}".replace(".", ",")
    elif abs(value) < 10_000:
        text = str(int(value))  # 2015 is a year, 1440 minutes: no thousands dot
    else:
        text = f"{int(value):,}".replace(",", ".")
    return f"€ {text}" if euro else text
