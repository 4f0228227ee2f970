"""What every command needs: settings, the validated config and the database.

Exit codes are part of the CLI's contract: 0 success, 1 the job ran but something
was rejected or failed (and was reported), 2 a usage or configuration error.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import Engine

from monitorbot.config import Config, ConfigError, Settings, load_config, load_settings
from monitorbot.store import db

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

# Piped output (cron, CI, `| less`) has no width; 80 columns would cut tables mid-word.
_WIDTH = max(shutil.get_terminal_size((160, 24)).columns, 100)
console = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)


@dataclass
class Runtime:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def config_dir(self) -> Path:
        return self.settings.config_dir

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @cached_property
    def config(self) -> Config:
        """The validated config; a broken config ends the command with exit code 2."""
        try:
            return load_config(self.config_dir)
        except ConfigError as exc:
            report_config_error(exc)
            raise typer.Exit(EXIT_USAGE) from None

    def engine(self, *, upgrade: bool = True) -> Engine:
        """The database engine, with the schema upgraded to the latest migration."""
        if self._engine is None:
            self._engine = db.make_engine(self.settings.resolved_database_url())
            if upgrade:
                db.upgrade(self._engine)
        return self._engine

    def data_path(self, folder: str) -> Path:
        path = Path(folder)
        return path if path.is_absolute() else self.data_dir / path


def report_config_error(problems: ConfigError | list[str]) -> None:
    """Print every problem, one per line, on stderr: file:line: key: value: what is wrong."""
    texts = [str(p) for p in problems.problems] if isinstance(problems, ConfigError) else problems
    err_console.print(f"[bold red]Configuratie bevat {len(texts)} fout(en):[/]")
    for text in texts:
        err_console.print(f"  {text}", markup=False, soft_wrap=True)


def make_runtime(config_dir: Path | None, data_dir: Path | None) -> Runtime:
    return Runtime(load_settings(config_dir=config_dir, data_dir=data_dir))


def runtime_of(ctx: typer.Context) -> Runtime:
    root = ctx.find_root()
    if not isinstance(root.obj, Runtime):
        root.obj = make_runtime(None, None)
    return root.obj
