"""Fuzz every inbound payload (grants, acks, commands): the agent refuses, counts and
goes on; it never crashes, and anything that is not a valid signed command or
snapshot leaves the relay alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from door_agent.agent import Agent
from door_agent.inbox import MqttMessage
from station.protocol import topics
from station.protocol.keys import sign_envelope
from station.protocol.vocabulary import Command
from tests.support.keys import site_signer, site_snapshot, site_trust

CHANNELS = (topics.GRANTS, topics.ACKS, topics.COMMANDS)
NOW = dt.datetime.now(dt.UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
times = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.isoformat()),
    st.just((NOW + dt.timedelta(seconds=20)).isoformat()),
    st.just(NOW.isoformat()),
)
command_bodies = st.fixed_dictionaries(
    {
        "id": st.one_of(st.uuids().map(str), json_values),
        "agent": st.sampled_from(["front-door", "laser-cutter", "x"]) | json_values,
        "command": st.sampled_from(sorted(Command)) | st.text(max_size=12),
        "args": st.dictionaries(
            st.sampled_from(["until", "seconds", "x"]), json_values | times, max_size=2
        )
        | json_values,
        "issued_at": times,
        "expires_at": times,
        "issued_by": st.just({"member": None, "name": "fuzz", "device": "console"}) | json_values,
    }
)
snapshot_bodies = st.fixed_dictionaries(
    {
        "site": json_values,
        "agent": st.sampled_from(["front-door", "laser-cutter"]) | json_values,
        "version": st.integers(min_value=-2, max_value=10**12) | json_values,
        "resource": st.fixed_dictionaries(
            {
                "code": json_values,
                "required_trainings": json_values,
                "schedule": st.just({"always": True}) | json_values,
                "enabled": json_values,
                "out_of_order": json_values,
            }
        )
        | json_values,
        "grants": st.dictionaries(st.text(max_size=64), json_values, max_size=3) | json_values,
        "trust": json_values,
    }
)


@pytest.fixture(params=["front-door", "laser-cutter"])
def offline_agent(request, make_config):  # type: ignore[no-untyped-def]
    config = make_config({"agents": {request.param: {"reader": {"debounce_s": 0}}}})
    agent = Agent(config, request.param, pin_factory=MockFactory(), connect=False)
    # A first good snapshot: the issuers it lists make signed commands reach the checks
    # past the signature, where the shapes below are tried.
    _feed(agent, topics.GRANTS, site_snapshot(config, request.param))
    assert agent.store.version == 1
    yield agent
    agent.close()


def _feed(agent: Agent, channel: str, payload: bytes) -> None:
    agent.loop.handle(MqttMessage(channel, payload))  # must not raise


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(channel=st.sampled_from(CHANNELS), payload=st.binary(max_size=300))
def test_random_bytes(offline_agent: Agent, channel: str, payload: bytes) -> None:
    _feed(offline_agent, channel, payload)
    assert not offline_agent.io.relay.is_on


@FUZZ
@given(channel=st.sampled_from(CHANNELS), value=json_values)
def test_random_json(offline_agent: Agent, channel: str, value: Any) -> None:
    import json

    _feed(offline_agent, channel, json.dumps(value).encode())
    _feed(offline_agent, channel, json.dumps({"key": "0" * 16, "body": value, "sig": "0"}).encode())
    assert not offline_agent.io.relay.is_on


@FUZZ
@given(body=command_bodies)
def test_signed_commands_of_any_shape(offline_agent: Agent, body: dict[str, Any]) -> None:
    _feed(offline_agent, topics.COMMANDS, sign_envelope(body, site_signer(offline_agent.config)))
    # Whatever ran, the state machine is consistent with the relay.
    assert offline_agent.io.relay.is_on == offline_agent.controller.relay


@FUZZ
@given(body=snapshot_bodies, real_trust=st.booleans())
def test_signed_snapshots_of_any_shape(
    offline_agent: Agent, body: dict[str, Any], real_trust: bool
) -> None:
    if real_trust:  # else the drawn value: the trust itself is fuzzed too
        config = offline_agent.config
        body = {**body, "site": config.site.id, "trust": site_trust(config).to_json()}
    before = offline_agent.store.version
    _feed(offline_agent, topics.GRANTS, sign_envelope(body, site_signer(offline_agent.config)))
    after = offline_agent.store.version
    assert after == before or after == body["version"]
    assert not offline_agent.io.relay.is_on


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "payload",
    [
        b'{"alg":"HS256","body":{"version":NaN},"sig":"0"}',  # JSON as Python reads it
        b'{"alg":"HS256","body":{"x":-Infinity},"sig":"0"}',
        '{"alg":"HS256","body":{},"sig":"é"}'.encode(),  # compare_digest takes ASCII only
    ],
)
def test_envelopes_python_reads_but_cannot_check(
    offline_agent: Agent, channel: str, payload: bytes
) -> None:
    """Unsigned payloads anyone on the topic could send (a retained one would come
    back at every start): refused and counted, never an exception out of the loop."""
    _feed(offline_agent, channel, payload)
    assert not offline_agent.io.relay.is_on
    if channel == topics.GRANTS:
        assert offline_agent.loop.counters["grants_refused_malformed"] == 1
    elif channel == topics.COMMANDS:
        assert offline_agent.loop.counters["commands_refused_malformed"] == 1
