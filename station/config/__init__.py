"""Configuration: one TOML file, loaded once into typed, immutable objects."""

from station.config.agents import AgentConfig, DoorAgentConfig, MachineAgentConfig
from station.config.connections import MqttConfig
from station.config.loader import config_path, load_config
from station.config.reader import ReaderConfig
from station.config.schema import StationConfig
from station.config.site import KioskConfig

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
