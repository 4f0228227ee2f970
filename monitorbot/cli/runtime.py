"""What every command shares: the App (see monitorbot.app), the consoles, exit codes.

Exit codes are part of the CLI's contract: 0 success, 1 the job ran but something
was rejected or failed (and was reported), 2 a usage or configuration error.

Every command module imports this one, so it stays light: the config models,
the database and the progress bar are imported when a command first asks for
them, never when the command line starts (`monitorbot --help` answers at once;
tests/test_cli_startup.py keeps it so).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

import typer
from rich.console import Console

from monitorbot.app import App, make_app

if TYPE_CHECKING:
    from collections.abc import Iterable

    from monitorbot.config import ConfigError
    from monitorbot.notify.outbox import DeliveryReport

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

# Piped output (cron, CI, `| less`) has no width; 80 columns would cut tables mid-word.
_WIDTH = max(shutil.get_terminal_size((160, 24)).columns, 100)
console = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)


def print_delivery(
    queued: int | None,
    report: DeliveryReport,
    *,
    verb: str = "klaargezet",
    skipped: Iterable[str] = (),
) -> None:
    """What happened to the messages: sent, postponed (retried later), failed for good, and
    the channels this machine cannot use (skipped, not failed: the demo's)."""
    if queued is not None:
        console.print(f"{queued} bericht(en) {verb} in de outbox.")
    for line in report.verzonden:
        console.print(f"  verzonden: {line}", markup=False)
    for line in report.uitgesteld:
        console.print(f"  uitgesteld: {line}", markup=False)
    for line in report.permanent:
        err_console.print(f"  mislukt (definitief): {line}", markup=False)
    for line in dict.fromkeys(skipped):
        console.print(f"  niet geconfigureerd, overgeslagen: {line}", markup=False)


def report_config_error(problems: ConfigError | list[str]) -> None:
    """Print every problem, one per line, on stderr: file:line: key: value: what is wrong."""
    texts = [str(p) for p in problems.problems] if not isinstance(problems, list) else problems
    err_console.print(f"[bold red]Configuratie bevat {len(texts)} fout(en):[/]")
    for text in texts:
        err_console.print(f"  {text}", markup=False, soft_wrap=True)


class Advance(Protocol):
    """Moves a progress bar on by `steps` finished items."""

    def __call__(self, steps: int = 1) -> None: ...


def _no_progress(steps: int = 1) -> None:
    """Off a terminal there is no bar to move."""


@contextmanager
def progress_bar(description: str, total: int, unit: str) -> Iterator[Advance]:
    """A progress bar for a long run: done of total, `unit` per second, time left.

    Yields `advance(steps=1)`. Shown only when stdout is a terminal and gone when
    the run ends; under cron, CI or a pipe `advance` does nothing, so callers need
    no branch and logs get no escape codes.
    """
    if not sys.stdout.isatty():
        yield _no_progress
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(f"{{task.fields[rate]}} {unit}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task(description, total=total, rate="0")

        def advance(steps: int = 1) -> None:
            state = progress.tasks[0]
            rate = (state.completed + steps) / (state.elapsed or 1e-9)
            progress.update(task, advance=steps, rate=f"{rate:.1f}")

        yield advance


def runtime_of(ctx: typer.Context) -> App:
    """The App the root command made from --config-dir/--data-dir and the environment."""
    root = ctx.find_root()
    if not isinstance(root.obj, App):
        root.obj = make_app()
    return root.obj
