"""Settings from the environment: where data lives, which database, and the secrets.

Secrets are only ever read from environment variables (never from files in the
repository) and are held as `SecretStr`, so they do not show up in a repr, a
log line or an exception.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MONITORBOT_", extra="ignore")

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


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit CLI overrides taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
