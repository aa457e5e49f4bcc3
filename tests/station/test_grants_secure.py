"""Grant snapshots carry the secure-badge policy; snapshots made before it still read."""

from __future__ import annotations

import datetime as dt

import pytest

from station.protocol.errors import ProtocolError
from station.protocol.grants import (
    entry_from_json,
    entry_to_json,
    resource_from_json,
    resource_to_json,
)
from station.rules import CredentialFacts, MembershipSpan, ResourceFacts
from station.schedule import Schedule

SPAN = MembershipSpan(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "resident")
ALWAYS = Schedule.open_always("Europe/Paris")


def test_secure_only_travels_and_is_written_only_when_set() -> None:
    careful = CredentialFacts(revoked=False, memberships=(SPAN,), secure_only=True)
    assert entry_from_json(entry_to_json(careful, "m1")).secure_only is True
    plain = entry_to_json(CredentialFacts(revoked=False, memberships=(SPAN,)), "m2")
    assert "secure_only" not in plain  # 150,000 entries: no byte more for the usual case
    assert entry_from_json(plain).secure_only is False


def test_a_resource_requiring_secure_badges_and_its_secure_plans_travel() -> None:
    door = ResourceFacts(
        "front-door",
        (),
        ALWAYS,
        plan_windows={"resident": ALWAYS},
        require_secure=True,
        secure_plans=frozenset({"resident"}),
        staff_secure=True,
    )
    again = resource_from_json(resource_to_json(door))
    assert again.require_secure is True
    assert again.staff_secure is True
    assert again.secure_plans == frozenset({"resident"})


def test_a_snapshot_from_before_secure_badges_requires_nothing() -> None:
    old = resource_to_json(ResourceFacts("front-door", (), ALWAYS))
    del old["require_secure"], old["secure_plans"], old["staff_secure"]
    facts = resource_from_json(old)
    assert (facts.require_secure, facts.secure_plans) == (False, frozenset())
    assert facts.staff_secure is False


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_policy_flag_that_is_not_a_boolean_is_malformed(value: object) -> None:
    entry = entry_to_json(CredentialFacts(revoked=False)) | {"secure_only": value}
    with pytest.raises(ProtocolError, match="bad grant entry"):
        entry_from_json(entry)
    for flag in ("require_secure", "staff_secure"):
        resource = resource_to_json(ResourceFacts("front-door")) | {flag: value}
        with pytest.raises(ProtocolError, match="bad resource"):
            resource_from_json(resource)


def test_secure_plans_must_be_plan_codes() -> None:
    resource = resource_to_json(ResourceFacts("front-door")) | {"secure_plans": "resident"}
    with pytest.raises(ProtocolError, match="bad resource"):
        resource_from_json(resource)
