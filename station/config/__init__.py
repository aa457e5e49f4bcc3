"""Configuration: one TOML file, loaded once into typed, immutable objects."""

from station.config.loader import config_path, load_config
from station.config.schema import (
    AgentConfig,
    KioskConfig,
    MqttConfig,
    ReaderConfig,
    StationConfig,
)

__all__ = [
    "AgentConfig",
    "KioskConfig",
    "MqttConfig",
    "ReaderConfig",
    "StationConfig",
    "config_path",
    "load_config",
]
