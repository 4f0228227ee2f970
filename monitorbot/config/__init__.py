"""Configuration: YAML files owned by admins and controllers, secrets from the environment."""

from monitorbot.config.loader import Config, load_config, load_model_file
from monitorbot.config.settings import Settings, load_settings
from monitorbot.config.yaml_source import ConfigError, ConfigProblem

__all__ = [
    "Config",
    "ConfigError",
    "ConfigProblem",
    "Settings",
    "load_config",
    "load_model_file",
    "load_settings",
]
