"""Settings from the environment: where data lives, which database, and the secrets.

Secrets are only ever read from environment variables (never from files in the
repository) and are held as `SecretStr`, so they do not show up in a repr, a
log line or an exception.

Each field `x` is read from `MONITORBOT_X` (the name in any case, as on Linux
shells people type both). A plain pydantic model rather than pydantic-settings:
every command reads these, and pydantic-settings alone took a quarter of a second
to import — more than the whole `monitorbot --help` may take.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr

ENV_PREFIX = "MONITORBOT_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    config_dir: Path = Path("config")
    forecasts_dir: Path = Path("forecasts")
    alerts_dir: Path = Path("alerts")
    data_dir: Path = Path("data")
    database_url: str | None = None
    pseudonym_key: SecretStr | None = None
    slack_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    smtp_password: SecretStr | None = None

    def resolved_database_url(self) -> str:
        """`MONITORBOT_DATABASE_URL`, else the embedded SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'monitorbot.db').resolve()}"


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The `MONITORBOT_*` variables that name a setting, keyed by the setting's name."""
    environ = os.environ if environ is None else environ
    fields = set(Settings.model_fields)
    found = {}
    for key, value in environ.items():
        name = key.upper().removeprefix(ENV_PREFIX).lower()
        if key.upper().startswith(ENV_PREFIX) and name in fields:
            found[name] = value
    return found


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from the environment, with explicit CLI overrides taking precedence."""
    values: dict[str, object] = dict(from_environment(environ))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
