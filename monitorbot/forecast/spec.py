"""The forecast specification analysts edit: `forecasts/*.yaml`.

Analysts decide which candidate models may be used, how much history a series
needs before it is modelled at all, and which months are one-offs (a
back-payment, a year-end settlement) that must not teach a model anything.
The file is read with the shared config loader, so a mistake is reported with
file, line and key like every other config error.

Several files may exist: ``standaard.yaml`` is read first, then the others in
alphabetical order (for example one per municipality). A later file overrides
the top-level keys it sets, and replaces the override of each series key it
names; keys it does not mention keep their earlier values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from monitorbot.config import ConfigError, ConfigProblem, load_model_file
from monitorbot.config.yaml_source import yaml_files

ModelName = Literal["seasonal_naive", "drift", "ets", "theta", "mean"]
MODEL_NAMES: tuple[ModelName, ...] = get_args(ModelName)
DEFAULT_FILE = "standaard.yaml"
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
T = TypeVar("T")


def _valid_month(value: str) -> str:
    if not MONTH.match(value):
        raise ValueError("verwacht een maand als 'JJJJ-MM', bv. '2024-03'")
    return value


Month = Annotated[str, AfterValidator(_valid_month)]
"""A calendar month written as 'YYYY-MM'."""


def _no_duplicates(values: list[T]) -> list[T]:
    seen: set[T] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} staat dubbel in de lijst")
        seen.add(value)
    return values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeriesOverride(_Strict):
    """Exceptions for one series (key: a perceel id, or whatever key the caller uses)."""

    model: ModelName | None = None
    uitsluiten: list[Month] = Field(default_factory=list)
    min_historie: int | None = Field(default=None, ge=1, le=120)

    @field_validator("uitsluiten")
    @classmethod
    def _unique_months(cls, value: list[str]) -> list[str]:
        return _no_duplicates(value)


class SeriesSpec(_Strict):
    """The specification resolved for one series: defaults plus its override."""

    key: str = ""
    kandidaten: tuple[ModelName, ...] = MODEL_NAMES
    min_historie: int = Field(default=12, ge=1, le=120)
    horizon: int = Field(default=14, ge=1, le=60)
    backtest_origins: int = Field(default=8, ge=1, le=36)
    model: ModelName | None = None
    uitsluiten: tuple[Month, ...] = ()


class ForecastSpec(_Strict):
    """Defaults for every series plus per-series overrides."""

    kandidaten: list[ModelName] = Field(default_factory=lambda: list(MODEL_NAMES), min_length=1)
    min_historie: int = Field(default=12, ge=1, le=120)
    horizon: int = Field(default=14, ge=1, le=60)
    backtest_origins: int = Field(default=8, ge=1, le=36)
    overrides: dict[str, SeriesOverride] = Field(default_factory=dict)

    @field_validator("kandidaten")
    @classmethod
    def _unique_models(cls, value: list[ModelName]) -> list[ModelName]:
        return _no_duplicates(value)

    def for_series(self, key: str) -> SeriesSpec:
        override = self.overrides.get(key) or SeriesOverride()
        min_historie = (
            override.min_historie if override.min_historie is not None else self.min_historie
        )
        return SeriesSpec(
            key=key,
            kandidaten=tuple(self.kandidaten),
            min_historie=min_historie,
            horizon=self.horizon,
            backtest_origins=self.backtest_origins,
            model=override.model,
            uitsluiten=tuple(override.uitsluiten),
        )

    def merged_with(self, later: ForecastSpec) -> ForecastSpec:
        """This spec with the keys `later` sets explicitly taking precedence."""
        changes = {
            name: getattr(later, name) for name in later.model_fields_set if name != "overrides"
        }
        overrides = {**self.overrides, **later.overrides}
        return self.model_copy(update={**changes, "overrides": overrides})


def load_forecast_spec(directory: Path) -> ForecastSpec:
    """Read `forecasts/*.yaml` under `directory` (or `directory` itself if it holds them).

    Raises ConfigError listing the problems of every file at once.
    """
    directory = Path(directory)
    folder = directory / "forecasts" if (directory / "forecasts").is_dir() else directory
    files = _spec_files(folder)
    if not files:
        raise ConfigError(
            [
                ConfigProblem(
                    folder, None, "", None, "geen voorspelspecificatie gevonden (forecasts/*.yaml)"
                )
            ]
        )
    problems: list[ConfigProblem] = []
    specs: list[ForecastSpec] = []
    for file in files:
        try:
            specs.append(load_model_file(file, ForecastSpec))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    merged = specs[0]
    for spec in specs[1:]:
        merged = merged.merged_with(spec)
    return merged


def _spec_files(folder: Path) -> list[Path]:
    """standaard.yaml first, then the other YAML files alphabetically."""
    return sorted(yaml_files(folder), key=lambda p: (p.name != DEFAULT_FILE, p.name))
