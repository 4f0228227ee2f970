"""Entry point: `monitorbot [--config-dir DIR] [--data-dir DIR] COMMAND ...`.

A command's module is imported when that command runs (or when `--help` lists
it), not when the command line starts: `monitorbot ingest` never builds the
report or alert commands, and no command module imports a heavy library at its
top (tests/test_cli_startup.py keeps both true). This is click's documented
lazy-loading group, on typer's group class.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from monitorbot.app import Refused, make_app
from monitorbot.cli import dutch
from monitorbot.cli.runtime import EXIT_USAGE, err_console, report_config_error

dutch.install()


class LazyCommand:
    """Where a command lives: `module:attribute`, a typer app or a command function."""

    def __init__(self, target: str, **context_settings: Any):
        self.target = target
        self.context_settings = context_settings

    def load(self, name: str) -> Any:
        module, _, attribute = self.target.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            group = typer.main.get_group(found)
            group.name = name
            return group
        single = typer.Typer(add_completion=False)
        single.command(name, context_settings=self.context_settings or None)(found)
        return typer.main.get_command(single)


#: The commands in the order `--help` shows them.
COMMANDS: dict[str, LazyCommand] = {
    "demo": LazyCommand("monitorbot.cli.demo_cmd:app"),
    "config": LazyCommand("monitorbot.cli.config_cmd:app"),
    "db": LazyCommand("monitorbot.cli.db_cmd:app"),
    "ingest": LazyCommand("monitorbot.cli.ingest_cmd:ingest"),
    "findings": LazyCommand("monitorbot.cli.ingest_cmd:findings"),
    "report": LazyCommand("monitorbot.cli.report_cmd:app"),
    "backtest": LazyCommand("monitorbot.cli.report_cmd:backtest", allow_extra_args=True),
    "rules": LazyCommand("monitorbot.cli.alerts_cmd:rules_app"),
    "evaluate": LazyCommand("monitorbot.cli.alerts_cmd:evaluate_command"),
    "digest": LazyCommand("monitorbot.cli.alerts_cmd:digest_command"),
    "deliver": LazyCommand("monitorbot.cli.alerts_cmd:deliver_command"),
    "alerts": LazyCommand("monitorbot.cli.alerts_cmd:alerts_app"),
    "silence": LazyCommand("monitorbot.cli.alerts_cmd:silence_app"),
    "regio": LazyCommand("monitorbot.cli.regio_cmd:app"),
    "run": LazyCommand("monitorbot.cli.run_cmd:run"),
    "web": LazyCommand("monitorbot.cli.web_cmd:web"),
    "gebruikers": LazyCommand("monitorbot.cli.web_cmd:gebruikers_app"),
}


class LazyCommands(MutableMapping[str, Any]):
    """The group's commands by name: every name known at once, each built when first read.

    Suggestions for a mistyped command need only the names; `--help` reads them all.
    """

    def __init__(self, lazy: dict[str, LazyCommand]):
        self._lazy = lazy
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._lazy[name].load(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._built.pop(name, None)
        self._lazy.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._lazy, *self._built]))

    def __len__(self) -> int:
        return len(set(self._lazy) | set(self._built))


class LazyGroup(TyperGroup):
    """The root group, with `COMMANDS` built on demand.

    It also turns the App's problems into the CLI's contract, in one place: a
    broken configuration or a refused request is printed and exits 2.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.commands = LazyCommands(dict(COMMANDS))

    def invoke(self, ctx: Any) -> Any:
        from monitorbot.config import ConfigError

        try:
            return super().invoke(ctx)
        except ConfigError as problems:
            report_config_error(problems)
            raise typer.Exit(EXIT_USAGE) from None
        except Refused as refusal:
            err_console.print(str(refusal), markup=False)
            raise typer.Exit(EXIT_USAGE) from None
        except Exception as exc:
            if not _is_fault(exc):
                raise
            # A fault of the machine, not of the input: its own sentence, no traceback.
            from monitorbot.store.faults import EXIT_FAULT, describe

            settings = getattr(ctx.obj, "settings", None)
            url = settings.resolved_database_url() if settings is not None else None
            message = describe(exc, database=url)
            if message is None:
                raise
            err_console.print(message, markup=False)
            raise typer.Exit(EXIT_FAULT) from None


def _is_fault(exc: BaseException) -> bool:
    """A fault of the machine: the file system, or the database. Checked without importing
    SQLAlchemy: a command that never loaded it cannot have raised its errors."""
    if isinstance(exc, OSError):
        return True
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.SQLAlchemyError)


app = typer.Typer(
    name="monitorbot",
    help="Kosten- en wachttijdmonitor voor het sociaal domein (Jeugdwet en Wmo).",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    config_dir: Annotated[
        Path | None,
        typer.Option(
            help="Configuratiemap (standaard ./config of MONITORBOT_CONFIG_DIR).",
            envvar="MONITORBOT_CONFIG_DIR",
            show_default=False,
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Datamap voor database, inbox, archief en rapporten "
            "(standaard ./data of MONITORBOT_DATA_DIR).",
            envvar="MONITORBOT_DATA_DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    ctx.obj = make_app(config_dir, data_dir)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
