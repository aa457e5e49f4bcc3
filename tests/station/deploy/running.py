"""The real mosquitto running exactly what `station deploy broker` wrote."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from station.deploy.broker import BrokerDeployment
from tests.support.mqtt import Mosquitto

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the deploy's clock in these tests


def generated_broker(result: BrokerDeployment, directory: Path) -> Mosquitto:
    """An unstarted broker on `result.port` whose configuration is the deploy's own
    `mosquitto.conf`, plus only where to log."""
    broker = Mosquitto(directory, port=result.port)
    conf = (result.out / "mosquitto.conf").read_text()
    # As root, mosquitto would drop to a user who cannot read this test's 0600 files.
    extra = "user root\n" if os.geteuid() == 0 else ""
    broker.config_path.write_text(conf + extra + "log_dest stderr\n")
    return broker


def kept_password(result: BrokerDeployment, user: str) -> str:
    """The clear password the deploy kept for `user`."""
    return (result.out / "secrets" / f"{user}.password").read_text().strip()
