"""A site configuration with two agents and a kiosk, and its broker deployed."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.config import StationConfig, load_config
from station.deploy.broker import BrokerDeployment, deploy_broker
from tests.station.deploy.running import NOW
from tests.support.config import write_config

# Certificates are checked against the real clock by TLS itself; the deploy's `now`
# is only where their validity starts, an hour of skew before it.


@pytest.fixture
def site_config(tmp_path: Path) -> StationConfig:
    path = write_config(tmp_path, overrides={"mqtt": {"tls": True, "port": 8883}})
    config = load_config(path)
    assert {"front-door", "laser-cutter"} <= set(config.agents)
    assert "entrance" in config.kiosks
    return config


@pytest.fixture
def deployed(site_config: StationConfig, tmp_path: Path) -> BrokerDeployment:
    return deploy_broker(site_config, tmp_path / "broker", NOW)
