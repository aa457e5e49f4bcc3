"""Configuration: one TOML file, loaded once into typed, immutable objects."""

from station.config.loader import config_path, load_config
from station.config.schema import (
    AgentConfig,
    DoorAgentConfig,
    KioskConfig,
    MachineAgentConfig,
    MqttConfig,
    ReaderConfig,
    StationConfig,
)

__all__ = [
    "AgentConfig",
    "DoorAgentConfig",
    "KioskConfig",
    "MachineAgentConfig",
    "MqttConfig",
    "ReaderConfig",
    "StationConfig",
    "config_path",
    "load_config",
]
