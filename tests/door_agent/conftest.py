"""Fixtures of the agent tests: configurations on the test broker, agents running in
threads, the site played over MQTT (the helpers are in tests/support/agents.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

from door_agent.agent import Agent
from station.config import StationConfig, load_config
from tests.support.agents import RunningAgent, Site
from tests.support.config import merge, write_config
from tests.support.mqtt import BrokerAddress


@pytest.fixture
def make_config(tmp_path: Path, mqtt_broker: BrokerAddress) -> Callable[..., StationConfig]:
    def make(
        overrides: dict[str, Any] | None = None,
        *,
        broker: BrokerAddress | None = None,
        name: str = "config.toml",
    ) -> StationConfig:
        address = broker or mqtt_broker
        # A site id of its own: retained grants and persistent sessions on the shared
        # broker must not leak from one test into the next.
        unique = {"site": {"id": f"t{uuid.uuid4().hex[:12]}"}}
        path = write_config(
            tmp_path,
            mqtt_host=address.host,
            mqtt_port=address.port,
            overrides=merge(unique, overrides or {}),
            name=name,
        )
        return load_config(path)

    return make


@pytest.fixture
def run_agent() -> Iterator[Callable[..., RunningAgent]]:
    running: list[RunningAgent] = []

    def start(config: StationConfig, agent_id: str, **kwargs: Any) -> RunningAgent:
        factory = MockFactory()
        kwargs.setdefault("kernel_synced", lambda: True)  # the kernel's answer is injected
        agent = Agent(config, agent_id, pin_factory=factory, **kwargs)
        handle = RunningAgent(agent, factory)
        running.append(handle)
        return handle

    yield start
    for handle in running:
        if handle.thread.is_alive():
            handle.stop()
        handle.agent.close()


@pytest.fixture
def make_site() -> Iterator[Callable[..., Site]]:
    sites: list[Site] = []

    def make(config: StationConfig, agent_id: str, **kwargs: Any) -> Site:
        site = Site(config, agent_id, **kwargs)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.close()
