"""Signature benchmark: a grant snapshot signed and verified with Ed25519, beside HMAC.

    .venv/bin/python bench/bench_signing.py [--sizes 10000 150000] [--repeat 7] [--json PATH]

Pure CPU, no services. The snapshot is the body `station.protocol.grants.make_snapshot`
builds (a resource, one `entry_to_json` entry per keyed credential hash, each with a
membership and a training). Each figure is the median of `--repeat` runs, printed beside
its floor measured in the same run: for verifying, `json.loads` of the same payload plus
the bare primitive over the canonical body (`hmac.digest`, `Ed25519PublicKey.verify`);
for signing, `signing.canonical` of the body plus the bare primitive. The ratio says how
much the envelope code costs over what any implementation must do. The HMAC envelope is
the one the protocol used before (kept here only as the figure it replaces), and
"read_snapshot" is the agent's whole check of a snapshot (signature, key window, trust
list, every entry parsed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, Unit, add_json_option, print_table, write_json
from station.protocol.grants import entry_to_json, read_snapshot, resource_to_json
from station.protocol.keys import (
    Keyring,
    SigningKey,
    TrustedKey,
    b64url_decode,
    sign_envelope,
    verify_envelope,
)
from station.protocol.signing import MAX_SNAPSHOT_BYTES, canonical, parse_json
from station.protocol.trust import SiteTrust
from station.rules import CredentialFacts, MembershipSpan, ResourceFacts
from station.schedule import Schedule

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
HMAC_KEY = bytes(range(32))


def sign(body: dict[str, Any], key: bytes) -> bytes:
    """The former HMAC envelope (what `signing.sign` was)."""
    payload = canonical(body)
    signature = hmac.new(key, payload, hashlib.sha256).hexdigest()
    return b'{"alg":"HS256","body":%s,"sig":"%s"}' % (payload, signature.encode())


def verify(payload: bytes, key: bytes, *, max_bytes: int) -> dict[str, Any]:
    """The former HMAC check (what `signing.verify` was)."""
    envelope = parse_json(payload, max_bytes=max_bytes)
    body = envelope["body"]
    expected = hmac.new(key, canonical(body), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, envelope["sig"])
    return dict(body)


def snapshot_body(entries: int) -> dict[str, Any]:
    """A snapshot body of `entries` badges, shaped as `make_snapshot` builds it."""
    far = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    entry = entry_to_json(
        CredentialFacts(
            False, False, (MembershipSpan(dt.date(2025, 1, 1), None, "full"),), {"laser": far}
        ),
        "m-000001",
    )
    grants = {
        hmac.new(HMAC_KEY, b"uid:%d" % i, hashlib.sha256).hexdigest(): entry for i in range(entries)
    }
    return {
        "site": "fablab",
        "agent": "laser-1",
        "version": 42,
        "issued_at": NOW.isoformat(),
        "resource": resource_to_json(ResourceFacts("laser", ("laser",), Schedule.open_always())),
        "grants": grants,
    }


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm up (allocator, caches)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def measure(entries: int, repeat: int) -> list[tuple[str, float, float]]:
    """(measure, figure ms, floor ms) for one snapshot size."""
    body = snapshot_body(entries)
    site = SigningKey.generate()
    public = site.verify_key
    ring = Keyring([TrustedKey(public, not_after=NOW + dt.timedelta(days=30))])
    body["trust"] = SiteTrust(ring, ring).to_json()
    signed = canonical(body)
    by_hmac, by_ed = sign(body, HMAC_KEY), sign_envelope(body, site)
    ed_signature = b64url_decode(json.loads(by_ed)["sig"])
    bare_public = Ed25519PublicKey.from_public_bytes(public.raw)
    assert verify(by_hmac, HMAC_KEY, max_bytes=MAX_SNAPSHOT_BYTES) == body
    assert verify_envelope(by_ed, ring, NOW, max_bytes=MAX_SNAPSHOT_BYTES) == body

    def hmac_sign_floor() -> None:
        hmac.digest(HMAC_KEY, canonical(body), "sha256")

    def ed_sign_floor() -> None:
        site.sign(canonical(body))

    def hmac_verify_floor() -> None:
        json.loads(by_hmac)
        hmac.digest(HMAC_KEY, signed, "sha256")

    def ed_verify_floor() -> None:
        json.loads(by_ed)
        bare_public.verify(ed_signature, signed)

    return [
        (
            "sign, HMAC-SHA256 (the former envelope)",
            median_ms(lambda: sign(body, HMAC_KEY), repeat),
            median_ms(hmac_sign_floor, repeat),
        ),
        (
            "sign, Ed25519 (keys.sign_envelope)",
            median_ms(lambda: sign_envelope(body, site), repeat),
            median_ms(ed_sign_floor, repeat),
        ),
        (
            "verify, HMAC-SHA256 (the former envelope)",
            median_ms(lambda: verify(by_hmac, HMAC_KEY, max_bytes=MAX_SNAPSHOT_BYTES), repeat),
            median_ms(hmac_verify_floor, repeat),
        ),
        (
            "verify, Ed25519 (keys.verify_envelope)",
            median_ms(
                lambda: verify_envelope(by_ed, ring, NOW, max_bytes=MAX_SNAPSHOT_BYTES), repeat
            ),
            median_ms(ed_verify_floor, repeat),
        ),
        (
            "verify, Ed25519, the agent's whole check (grants.read_snapshot)",
            median_ms(lambda: read_snapshot(by_ed, "laser-1", ring, NOW, 0), repeat),
            median_ms(ed_verify_floor, repeat),
        ),
        (
            "bare primitive, HMAC-SHA256 over the canonical body",
            median_ms(lambda: hmac.digest(HMAC_KEY, signed, "sha256"), repeat),
            0.0,
        ),
        (
            "bare primitive, Ed25519 verify over the canonical body",
            median_ms(lambda: bare_public.verify(ed_signature, signed), repeat),
            0.0,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 150_000])
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median)")
    add_json_option(parser)
    args = parser.parse_args()
    figures: list[Figure] = []
    for entries in args.sizes:
        size = len(canonical(snapshot_body(entries))) / 1e6
        for name, figure, floor in measure(entries, args.repeat):
            figures.append(
                Figure(
                    f"{name}, {entries:,} entries ({size:.1f} MB payload)",
                    figure,
                    Unit.MILLISECONDS,
                    entries,
                    floor or None,  # the bare primitives have no floor
                )
            )
    print_table(f"signatures: HMAC and Ed25519 (median of {args.repeat} runs)", figures)
    if args.json is not None:
        write_json(args.json, "signing", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
