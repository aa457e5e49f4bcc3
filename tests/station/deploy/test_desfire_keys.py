"""The site's DESFire key files: made once by `station deploy`, the issue master on the
site server only, every device with the read master alone; a bad file refused with
the file, the key and what was expected."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from station import desfire_keys
from station.config import StationConfig
from station.deploy.device import DeviceKind, deploy_device
from station.deploy.server import deploy_server
from station.desfire_keys import (
    DesfireKeyError,
    ensure_site_keys,
    load_read_keys,
    load_site_keys,
    write_key_file,
)
from tests.station.deploy.running import NOW


def _site_role(site: str) -> str:
    return f"site_{site}"


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_the_server_holds_both_masters_and_each_device_the_read_master_only(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    server = deploy_server(site_config, out, NOW, site_role=_site_role)
    site_file = server.directory / "keys" / desfire_keys.SITE_FILE
    assert stat.S_IMODE(site_file.stat().st_mode) == 0o600
    site = load_site_keys(site_file)
    assert site == load_site_keys(site_config.keys_dir / desfire_keys.SITE_FILE)
    assert site.system_id == site_config.site.id
    assert site.aid == 0xF51710 and site.aid_wire == bytes.fromhex("1017F5")
    assert len(site.issue_master) == len(site.read_master) == 16
    assert site.issue_master != site.read_master
    for kind, device in ((DeviceKind.AGENT, "front-door"), (DeviceKind.KIOSK, "entrance")):
        bundle = deploy_device(site_config, out, kind, device, NOW)
        read_file = bundle.directory / "keys" / desfire_keys.READ_FILE
        assert stat.S_IMODE(read_file.stat().st_mode) == 0o600
        assert load_read_keys(read_file) == site.read_file()
        # No copy of the issue master anywhere in the device's bundle, in any form.
        everything = _all_bytes(bundle.directory)
        assert site.issue_master.hex().encode() not in everything
        assert site.issue_master.hex().upper().encode() not in everything
        assert b"issue_master" not in everything
        with pytest.raises(DesfireKeyError, match="format: 'station-desfire-read/1'; expected"):
            load_site_keys(read_file)


def test_the_site_keys_are_made_once_and_kept(site_config: StationConfig, tmp_path: Path) -> None:
    keys_dir = site_config.keys_dir
    first, made = ensure_site_keys(keys_dir, "fablab")
    assert made
    again, made_again = ensure_site_keys(keys_dir, "another-id")
    assert not made_again
    assert again == first and again.system_id == "fablab"  # the issued cards' system id
    deploy_device(site_config, tmp_path / "out", DeviceKind.AGENT, "front-door", NOW)
    assert load_site_keys(keys_dir / desfire_keys.SITE_FILE) == first
    # Never replaced behind an existing file, even by a second writer.
    assert not write_key_file(keys_dir / desfire_keys.SITE_FILE, first.read_file(), replace=False)
    assert load_site_keys(keys_dir / desfire_keys.SITE_FILE) == first


def test_no_repr_shows_a_master(tmp_path: Path) -> None:
    site = desfire_keys.generate("fablab")
    for shown in (repr(site), repr(site.read_file()), str(site)):
        assert site.read_master.hex() not in shown.lower()
        assert site.issue_master.hex() not in shown.lower()
        assert "fablab" in shown


def _write(path: Path, data: Any, mode: int = 0o600) -> Path:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    os.chmod(path, mode)
    return path


def _good() -> dict[str, Any]:
    return desfire_keys.generate("fablab").to_json()


def test_a_file_others_may_read_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = _write(tmp_path / "k.json", _good(), 0o644)
    with pytest.raises(DesfireKeyError) as refused:
        load_site_keys(path)
    assert str(refused.value) == (
        f"{path}: mode 0644 lets other users read the DESFire keys; expected 0600, readable "
        f"by the service only (chmod 600 {path})"
    )
    _write(path, _good(), 0o640)
    with pytest.raises(DesfireKeyError, match="mode 0640"):
        load_read_keys(path)
    os.chmod(path, 0o600)
    assert load_read_keys(path).system_id == "fablab"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"aid": "F5171"}, "aid: 'F5171'; expected 6 hexadecimal digits such as 'F51710'"),
        ({"aid": "000000"}, "aid: 000000 is the card's own (PICC) level"),
        ({"read_master": "00" * 15}, "read_master: expected 32 hexadecimal digits (16 bytes)"),
        ({"issue_master": "zz" * 16}, "issue_master: expected 32 hexadecimal digits"),
        ({"issue_master": "00" * 16}, "issue_master: all zero; expected a random key"),
        ({"system_id": ""}, "system_id: ''; expected the site's id"),
        ({"key_version": 256}, "key_version: 256; expected 0 to 255"),
        ({"key_version": True}, "key_version: True; expected 0 to 255"),
        ({"format": "other/1"}, "format: 'other/1'; expected 'station-desfire-site/1'"),
        ({"spare": 1}, "unknown key(s) spare"),
    ],
)
def test_a_malformed_file_names_the_key_and_what_was_expected(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = _write(tmp_path / "k.json", {**_good(), **change})
    with pytest.raises(DesfireKeyError) as refused:
        load_site_keys(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert message in str(refused.value)


def test_a_missing_or_unreadable_file_says_what_writes_it(tmp_path: Path) -> None:
    with pytest.raises(DesfireKeyError, match="no DESFire key file; `station deploy` writes it"):
        load_read_keys(tmp_path / "absent.json")
    with pytest.raises(DesfireKeyError, match="not JSON"):
        load_read_keys(_write(tmp_path / "k.json", "{not json"))
    with pytest.raises(DesfireKeyError, match="expected a JSON object, got list"):
        load_read_keys(_write(tmp_path / "k.json", "[]"))
    site = _good()
    with pytest.raises(DesfireKeyError, match="issue_master equals read_master"):
        load_site_keys(_write(tmp_path / "k.json", {**site, "issue_master": site["read_master"]}))


def test_a_read_file_with_an_issue_master_is_refused(tmp_path: Path) -> None:
    # A device file carrying the issue master would put it on every agent: never accepted.
    data = {**_good(), "format": desfire_keys.KeyFileFormat.READ.value}
    with pytest.raises(DesfireKeyError, match="unknown key"):
        load_read_keys(_write(tmp_path / "k.json", data))
