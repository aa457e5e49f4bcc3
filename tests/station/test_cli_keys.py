"""`station keys`: made once and kept, listed, rotated with an overlap, a kiosk revoked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from station.config import load_config
from station.keystore import KeyStore
from tests.support.cli import station_argv


def _station(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        station_argv(config, *args), capture_output=True, text=True, timeout=60, check=False
    )


def test_keys_are_kept_rotated_listed_and_a_kiosk_revoked(config_file: Path) -> None:
    config = load_config(config_file)
    store = KeyStore(config.keys_dir)
    before = store.trust_file.read_bytes()
    kept = _station(config_file, "keys", "init")
    assert kept.returncode == 0, kept.stderr
    assert "kept" in kept.stdout
    assert store.trust_file.read_bytes() == before  # made by the test config: kept

    rotated = _station(config_file, "keys", "rotate", "--site", "--overlap-days", "3")
    assert rotated.returncode == 0, rotated.stderr
    listed = _station(config_file, "--json", "keys", "list")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    sites = [row for row in rows if row["role"] == "site"]
    assert len(sites) == 2
    assert sorted(bool(row["not_after"]) for row in sites) == [False, True]  # old one ends
    assert {row["holder"] for row in rows if row["role"] == "issuer"} == {"site", "kiosk:entrance"}
    assert (config.keys_dir / "site.pub").read_text().count("\n") == 3  # comment + 2 keys

    revoked = _station(config_file, "keys", "revoke", "--kiosk", "entrance")
    assert revoked.returncode == 0, revoked.stderr
    again = _station(config_file, "keys", "revoke", "--kiosk", "entrance")
    assert again.returncode == 1  # nothing left to revoke: said, not silently fine
    holders = {t.holder for t in store.trust().issuers}
    assert holders == {"site"}
    unknown = _station(config_file, "keys", "rotate", "--kiosk", "nowhere")
    assert unknown.returncode == 2
