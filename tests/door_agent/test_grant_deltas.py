"""Grant deltas at the agent's store: applied in order in one transaction, refused
(typed) on a gap, a replay, another agent's, a wrong key or a digest mismatch, and a
full snapshot always brings the agent back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from door_agent.store import AgentStore
from station.config import StationConfig, load_config
from station.protocol.errors import ProtocolError
from station.protocol.grant_deltas import make_delta, read_delta
from station.protocol.grant_digest import digest_of
from station.protocol.keys import SigningKey
from station.protocol.vocabulary import Refusal
from station.rules import Reason, ResourceFacts
from tests.support.agents import member_entry
from tests.support.keys import (
    ANY_MOMENT,
    kiosk_signer,
    read_site_snapshot,
    site_signer,
    site_snapshot,
    site_trust,
)

AGENT = "front-door"
NOW = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
Entries = dict[str, dict[str, Any]]


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> StationConfig:
    return load_config(config_factory())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AgentStore]:
    with AgentStore(tmp_path / "grants.db") as opened:
        yield opened


def _delta(
    config: StationConfig,
    base: int,
    before: Entries,
    after: Entries,
    *,
    agent: str = AGENT,
    key: SigningKey | None = None,
    digest: str | None = None,
) -> bytes:
    """The delta the site would send from `before` (version `base`) to `after`."""
    upsert = {h: e for h, e in after.items() if before.get(h) != e}
    return make_delta(
        config.site.id,
        agent,
        base,
        base + 1,
        ResourceFacts(AGENT),
        upsert,
        [h for h in before if h not in after],
        digest or digest_of(after),
        site_trust(config),
        key or site_signer(config),
        NOW,
    )


def _read(config: StationConfig, payload: bytes, store: AgentStore) -> dict[str, Any]:
    return read_delta(payload, AGENT, site_trust(config).site, ANY_MOMENT, store.version)


def _start(config: StationConfig, store: AgentStore, entries: Entries, version: int = 1) -> None:
    payload = site_snapshot(config, AGENT, version, entries)
    store.apply(read_site_snapshot(config, payload, AGENT), payload)


def _granted(store: AgentStore, badge_hash: str) -> Reason:
    return store.decide(badge_hash, NOW).decision.reason


def _entries(count: int) -> Entries:
    return {f"h{n:03}": member_entry(member=f"m{n}") for n in range(count)}


def test_deltas_applied_in_order_give_the_sites_digest(
    config: StationConfig, store: AgentStore
) -> None:
    v1 = _entries(3)
    _start(config, store, v1)
    assert store.grants_digest == digest_of(v1)
    v2 = {**v1, "h001": member_entry(member="m1", revoked=True), "new": member_entry(member="n")}
    del v2["h002"]
    assert store.apply_delta(_read(config, _delta(config, 1, v1, v2), store)) == 3
    v3 = {h: e for h, e in v2.items() if h != "new"}
    store.apply_delta(_read(config, _delta(config, 2, v2, v3), store))
    assert store.version == 3 and store.grants_digest == digest_of(v3)
    assert [_granted(store, h) for h in ("h000", "h001", "h002", "new")] == [
        Reason.GRANTED,
        Reason.BADGE_REVOKED,
        Reason.UNKNOWN_BADGE,
        Reason.UNKNOWN_BADGE,
    ]
    with AgentStore(store.path) as reopened:  # what a restart finds
        assert (reopened.version, reopened.grants_digest) == (3, digest_of(v3))


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("gap", Refusal.GAP),
        ("replayed", Refusal.REPLAYED),
        ("other agent", Refusal.WRONG_AGENT),
        ("kiosk's key", Refusal.UNKNOWN_KEY),
        ("tampered", Refusal.BAD_SIGNATURE),
        ("digest", Refusal.DIGEST_MISMATCH),
    ],
)
def test_a_bad_delta_is_refused_and_a_snapshot_brings_the_agent_back(
    config: StationConfig, store: AgentStore, case: str, refusal: Refusal
) -> None:
    v1, v2 = _entries(2), _entries(4)
    _start(config, store, v1)
    good = _delta(config, 1, v1, v2)
    payloads = {
        "gap": _delta(config, 2, v2, _entries(5)),  # from a version this agent never had
        "replayed": good,  # applied below first, then again
        "other agent": _delta(config, 1, v1, v2, agent="laser-cutter"),
        "kiosk's key": _delta(config, 1, v1, v2, key=kiosk_signer(config, "entrance")),
        "tampered": good.replace(b'"h003"', b'"h009"'),
        "digest": _delta(config, 1, v1, v2, digest=digest_of(_entries(3))),
    }
    if case == "replayed":
        store.apply_delta(_read(config, good, store))
    before = (store.version, store.grants_digest)
    with pytest.raises(ProtocolError) as refused:
        store.apply_delta(_read(config, payloads[case], store))
    assert refused.value.reason is refusal
    assert (store.version, store.grants_digest) == before  # nothing changed
    assert _granted(store, "h003") == (
        Reason.GRANTED if case == "replayed" else Reason.UNKNOWN_BADGE
    )
    _start(config, store, _entries(6), version=7)  # the full snapshot, retained, as ever
    assert (store.version, store.grants_digest) == (7, digest_of(_entries(6)))
    assert _granted(store, "h005") == Reason.GRANTED


def test_a_store_holding_no_snapshot_takes_no_delta(
    config: StationConfig, store: AgentStore
) -> None:
    payload = _delta(config, 1, {}, _entries(1))
    body = read_delta(payload, AGENT, site_trust(config).site, ANY_MOMENT, 1)  # a caller's slip
    with pytest.raises(ProtocolError) as refused:  # the store checks the base once more
        store.apply_delta(body)
    assert refused.value.reason is Refusal.GAP and store.version == 0


def test_an_agent_a_week_behind_catches_up_in_order(
    config: StationConfig, store: AgentStore
) -> None:
    """Seven days of changes, one delta each, waiting: applied in order, the result is
    the site's to the digest."""
    days = [_entries(n + 2) for n in range(8)]
    _start(config, store, days[0])
    for day in range(1, 8):
        delta = _delta(config, day, days[day - 1], days[day])
        store.apply_delta(_read(config, delta, store))
    assert (store.version, store.grants_digest) == (8, digest_of(days[7]))
