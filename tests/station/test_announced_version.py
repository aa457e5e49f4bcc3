"""A snapshot's version read from its last bytes (`grants.announced_version`), to pass
over the version in force without checking 30 MB: right for every snapshot sync
signs, None for anything else."""

from __future__ import annotations

import datetime as dt

import pytest

from station.protocol.grants import announced_version, make_snapshot
from station.protocol.keys import Keyring, SigningKey, TrustedKey
from station.protocol.trust import SiteTrust
from station.rules import ResourceFacts
from station.schedule import Schedule

AT = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
SIGNER = SigningKey.generate()


def _snapshot(version: int) -> bytes:
    ring = Keyring([TrustedKey(SIGNER.verify_key, not_after=AT + dt.timedelta(days=30))])
    resource = ResourceFacts("laser", ("laser",), Schedule.open_always())
    entries = {"h1": {"member": "m", "revoked": False}}
    trust = SiteTrust(ring, ring)
    return make_snapshot("site", "laser", version, resource, entries, trust, SIGNER, AT)


@pytest.mark.parametrize("version", [1, 7, 10**12])
def test_the_version_a_signed_snapshot_ends_with(version: int) -> None:
    assert announced_version(_snapshot(version)) == version


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"{}",
        b'{"body":{"version":3},"key":"k"}',  # no signature
        b'{"body":{"version":3,"zz":1},"key":"k","sig":"s"}',  # version not last
        b'{"body":{"version":03},"key":"k","sig":"s"}',
        b'{"body":{"version":"3"},"key":"k","sig":"s"}',
        b'{"body":{"version":3},"key":"k","sig":"s"} trailing',
    ],
)
def test_anything_else_announces_no_version(payload: bytes) -> None:
    assert announced_version(payload) is None
