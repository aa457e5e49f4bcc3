"""The keys of a test site, as `station keys init` made them (tests/support/config.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from station.config import StationConfig
from station.keystore import KeyStore, kiosk_key_file
from station.protocol.grants import make_snapshot, read_snapshot
from station.protocol.keys import Keyring, SigningKey
from station.protocol.trust import SiteTrust
from station.rules import ResourceFacts

# Keys made by `init` have no window: any moment picks the same signer.
ANY_MOMENT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def site_signer(config: StationConfig) -> SigningKey:
    """The site key sync signs with."""
    return KeyStore(config.keys_dir).signer(ANY_MOMENT)


def site_trust(config: StationConfig) -> SiteTrust:
    """What the site's snapshots announce."""
    return KeyStore(config.keys_dir).trust()


def kiosk_signer(config: StationConfig, kiosk_id: str) -> SigningKey:
    return SigningKey.load(kiosk_key_file(config.keys_dir, kiosk_id))


def read_site_snapshot(config: StationConfig, payload: bytes, agent_id: str) -> dict[str, Any]:
    """A snapshot's body, verified as its agent does (with the site's keys)."""
    return read_snapshot(payload, agent_id, site_trust(config).site, ANY_MOMENT, 0)


def issuers(config: StationConfig) -> Keyring:
    """The keys whose commands the site's agents accept."""
    return site_trust(config).issuers


def site_snapshot(
    config: StationConfig,
    agent_id: str,
    version: int = 1,
    entries: dict[str, dict[str, Any]] | None = None,
) -> bytes:
    """A snapshot as sync would sign it for `agent_id`: its resource open at all hours."""
    return make_snapshot(
        config.site.id,
        agent_id,
        version,
        ResourceFacts(agent_id),
        entries or {},
        site_trust(config),
        site_signer(config),
    )
