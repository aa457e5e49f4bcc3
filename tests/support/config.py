"""Test copies of the sample config.toml, pointed at the tests' services and files."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from station.config.loader import from_mapping
from station.keystore import KeyStore

SAMPLE = Path(__file__).resolve().parents[2] / "config.toml"


def merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into ``base`` (in place); a value of None deletes the key."""
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def write_config(
    directory: Path,
    *,
    mqtt_host: str = "127.0.0.1",
    mqtt_port: int = 1883,
    overrides: Mapping[str, Any] | None = None,
    source: Path = SAMPLE,
    name: str = "config.toml",
) -> Path:
    """Write ``directory/name``: the sample with its databases in ``directory``.

    Relative paths in it (agents' data, sim reader sockets) resolve against
    ``directory`` too, since they are taken from the file's own directory.
    """
    raw = tomllib.loads(source.read_text(encoding="utf-8"))
    merge(
        raw,
        {
            "database": {"url": f"sqlite:///{directory / 'site.db'}"},
            "central": {"url": f"sqlite:///{directory / 'central.db'}"},
            "mqtt": {"host": mqtt_host, "port": mqtt_port},
        },
    )
    merge(raw, overrides or {})
    path = directory / name
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    # The site's keys, as `station keys init` makes them: every part of a test site
    # (sync signs, agents trust site.pub, kiosks sign with their own key) finds them.
    config = from_mapping(raw, path)
    KeyStore(config.keys_dir).init(config.kiosks)
    return path


# Tests that are not about hours pin the member plan open at any hour: the access rule
# then does not depend on when the test runs (the sample gives members opening hours).
# Nor about secure badges: a 24/7 plan asks for one by default, not this one.
ANY_HOUR: dict[str, Any] = {
    "plans": {"member": {"access": {"*": "always"}, "require_secure": "no"}}
}
