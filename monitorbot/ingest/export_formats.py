"""`config/exportformaten.yaml`: the column mappings of backoffice exports, one per source system.

Kept apart from the table loaders (which need the database) because
`monitorbot config check` reads it too, and that command must start fast.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from monitorbot.config import Config, ConfigError, load_model_file
from monitorbot.ingest.tabular import ColumnMapping

EXPORT_FORMATS_FILE = "exportformaten.yaml"


class ExportFormats(BaseModel):
    """`config/exportformaten.yaml`: the column mappings, one per source system."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    formaten: list[ColumnMapping] = Field(default_factory=list)


def load_export_formats(config: Config) -> list[ColumnMapping]:
    """The configured export formats (none when the file is absent)."""
    file = config.directory / EXPORT_FORMATS_FILE
    if not file.exists():
        return []
    return list(load_model_file(file, ExportFormats).formaten)


def check_export_formats(config_dir: Path) -> list[str]:
    """Problems in exportformaten.yaml, as lines for `monitorbot config check`."""
    file = config_dir / EXPORT_FORMATS_FILE
    if not file.exists():
        return []
    try:
        load_model_file(file, ExportFormats)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return []
