"""The access rule and what was presented: a secure badge, a plain UID, or a secure read
that failed (docs/agent.md, "Secure badges: policy")."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.credential import ReadFailure
from station.rules import (
    SECURE,
    UID,
    CredentialFacts,
    MembershipSpan,
    Presented,
    Reason,
    ResourceFacts,
    decide,
)
from station.schedule import Schedule

PARIS = "Europe/Paris"
ALWAYS = Schedule.open_always(PARIS)
DAYTIME = Schedule.from_ranges(PARIS, [["09:00-18:00"]] * 7)
NOON = dt.datetime(2026, 11, 26, 11, 0, tzinfo=dt.UTC)  # 12:00 in Paris
NIGHT = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)  # 03:00 in Paris
AUTH = Presented.failed(ReadFailure.AUTH_FAILED)
BAD = Presented.failed(ReadFailure.BAD_READ)

DOOR = ResourceFacts("front-door", (), ALWAYS)
SECURE_DOOR = ResourceFacts("front-door", (), ALWAYS, require_secure=True)
# Residents come in at night: their plan asks for a secure badge, members' does not.
PLAN_DOOR = ResourceFacts(
    "front-door",
    (),
    ALWAYS,
    plan_windows={"member": DAYTIME, "resident": ALWAYS},
    secure_plans=frozenset({"resident"}),
)
# Staff need a secure badge here ([staff] require_secure = auto with a 24/7 rule).
STAFF_SECURE = ResourceFacts("front-door", (), ALWAYS, staff_secure=True)
# A staff rule with hours: out of them, the hours are the news, not the badge.
STAFF_DAYTIME = ResourceFacts("front-door", (), ALWAYS, staff_window=DAYTIME, staff_secure=True)


def holder(*plans: str, secure_only: bool = False, staff: bool = False) -> CredentialFacts:
    spans = tuple(MembershipSpan(dt.date(2026, 1, 1), dt.date(2026, 12, 31), p) for p in plans)
    return CredentialFacts(revoked=False, staff=staff, memberships=spans, secure_only=secure_only)


MEMBER = holder("member")
CAREFUL = holder("member", secure_only=True)

CASES = [
    ("secure badge at a secure door", MEMBER, SECURE_DOOR, NOON, SECURE, Reason.GRANTED),
    ("UID at a secure door", MEMBER, SECURE_DOOR, NOON, UID, Reason.SECURE_REQUIRED),
    ("UID at an ordinary door", MEMBER, DOOR, NOON, UID, Reason.GRANTED),
    ("secure-only holder's UID", CAREFUL, DOOR, NOON, UID, Reason.SECURE_REQUIRED),
    ("secure-only holder's secure badge", CAREFUL, DOOR, NOON, SECURE, Reason.GRANTED),
    ("failed read at a secure door", MEMBER, SECURE_DOOR, NOON, AUTH, Reason.AUTH_FAILED),
    ("truncated read at a secure door", MEMBER, SECURE_DOOR, NOON, BAD, Reason.BAD_READ),
    ("failed read elsewhere: its UID", MEMBER, DOOR, NOON, AUTH, Reason.GRANTED),
    ("failed read, secure-only holder", CAREFUL, DOOR, NOON, AUTH, Reason.AUTH_FAILED),
    ("failed read, secure-only, truncated", CAREFUL, DOOR, NOON, BAD, Reason.BAD_READ),
    ("failed read of an unknown UID", None, DOOR, NOON, AUTH, Reason.AUTH_FAILED),
    ("resident's UID at night", holder("resident"), PLAN_DOOR, NIGHT, UID, Reason.SECURE_REQUIRED),
    (
        "resident's secure badge at night",
        holder("resident"),
        PLAN_DOOR,
        NIGHT,
        SECURE,
        Reason.GRANTED,
    ),
    (
        "resident's failed read at night",
        holder("resident"),
        PLAN_DOOR,
        NIGHT,
        BAD,
        Reason.BAD_READ,
    ),
    ("member's UID by day", MEMBER, PLAN_DOOR, NOON, UID, Reason.GRANTED),
    ("member's UID at night", MEMBER, PLAN_DOOR, NIGHT, UID, Reason.OUTSIDE_PLAN_HOURS),
    # Both plans: by day the member plan grants the UID, at night only the secure one would.
    ("two plans, UID by day", holder("member", "resident"), PLAN_DOOR, NOON, UID, Reason.GRANTED),
    (
        "two plans, UID at night",
        holder("member", "resident"),
        PLAN_DOOR,
        NIGHT,
        UID,
        Reason.SECURE_REQUIRED,
    ),
    # Staff follow their own window, not the plans: a secure plan asks nothing of them.
    ("staff's UID with plans", holder(staff=True), PLAN_DOOR, NIGHT, UID, Reason.GRANTED),
    # [staff] require_secure: a copied staff UID would pass everything, lockdown included.
    (
        "staff's UID, staff secure",
        holder(staff=True),
        STAFF_SECURE,
        NIGHT,
        UID,
        Reason.SECURE_REQUIRED,
    ),
    (
        "staff's secure badge, staff secure",
        holder(staff=True),
        STAFF_SECURE,
        NIGHT,
        SECURE,
        Reason.GRANTED,
    ),
    (
        "staff's failed read, staff secure",
        holder(staff=True),
        STAFF_SECURE,
        NOON,
        AUTH,
        Reason.AUTH_FAILED,
    ),
    ("member's UID, staff secure", MEMBER, STAFF_SECURE, NOON, UID, Reason.GRANTED),
    (
        "staff's UID out of their hours",
        holder(staff=True),
        STAFF_DAYTIME,
        NIGHT,
        UID,
        Reason.OUTSIDE_PLAN_HOURS,
    ),
    (
        "staff's UID at a secure door",
        holder(staff=True),
        SECURE_DOOR,
        NOON,
        UID,
        Reason.SECURE_REQUIRED,
    ),
]


@pytest.mark.parametrize(
    ("name", "credential", "resource", "at", "presented", "reason"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_secure_decision_table(
    name: str,
    credential: CredentialFacts | None,
    resource: ResourceFacts,
    at: dt.datetime,
    presented: Presented,
    reason: Reason,
) -> None:
    decision = decide(credential, resource, at, presented=presented)
    assert decision.reason is reason
    assert decision.granted is (reason is Reason.GRANTED)


def test_identity_comes_first_whatever_was_presented() -> None:
    revoked = CredentialFacts(revoked=True, memberships=MEMBER.memberships, secure_only=True)
    assert decide(revoked, SECURE_DOOR, NOON).reason is Reason.BADGE_REVOKED
    assert decide(None, SECURE_DOOR, NOON).reason is Reason.UNKNOWN_BADGE
    # A disabled door that requires secure badges names the badge first: it is the
    # person's to fix (a new badge), the door is not.
    disabled = ResourceFacts("front-door", require_secure=True, enabled=False)
    assert decide(MEMBER, disabled, NOON).reason is Reason.SECURE_REQUIRED
    assert decide(MEMBER, disabled, NOON, presented=SECURE).reason is Reason.RESOURCE_DISABLED


def test_a_secure_plan_refused_anyway_keeps_its_own_reason() -> None:
    # A secure badge would not pass either (the door's hours): say so, not secure_required.
    closed = ResourceFacts(
        "front-door",
        (),
        DAYTIME,
        plan_windows={"resident": ALWAYS},
        secure_plans=frozenset({"resident"}),
    )
    assert decide(holder("resident"), closed, NIGHT).reason is Reason.OUTSIDE_OPENING_HOURS
    assert decide(holder("resident"), closed, NOON).reason is Reason.SECURE_REQUIRED


def test_default_presentation_is_a_plain_uid() -> None:
    assert decide(MEMBER, SECURE_DOOR, NOON).reason is Reason.SECURE_REQUIRED
    assert Presented.of(True) is SECURE and Presented.of(False) is UID


failures = st.sampled_from([UID, AUTH, BAD])
resources = st.builds(
    ResourceFacts,
    code=st.just("r"),
    schedule=st.sampled_from([DAYTIME, ALWAYS]),
    plan_windows=st.sampled_from([None, {"member": DAYTIME, "resident": ALWAYS}]),
    require_secure=st.booleans(),
    secure_plans=st.sampled_from([frozenset(), frozenset({"resident"})]),
)
holders = st.builds(
    holder,
    st.sampled_from(["member", "resident"]),
    secure_only=st.booleans(),
    staff=st.booleans(),
)
instants = st.sampled_from([NOON, NIGHT])


@given(holders, resources, instants, failures)
def test_without_a_secure_badge_a_secure_requirement_never_grants(
    credential: CredentialFacts, resource: ResourceFacts, at: dt.datetime, presented: Presented
) -> None:
    decision = decide(credential, resource, at, presented=presented)
    if resource.require_secure or credential.secure_only:
        assert not decision.granted
        expected = {UID: Reason.SECURE_REQUIRED, AUTH: Reason.AUTH_FAILED, BAD: Reason.BAD_READ}
        assert decision.reason is expected[presented]


@given(holders, resources, instants, failures)
def test_a_secure_badge_is_never_refused_where_a_uid_passes(
    credential: CredentialFacts, resource: ResourceFacts, at: dt.datetime, presented: Presented
) -> None:
    if decide(credential, resource, at, presented=presented).granted:
        assert decide(credential, resource, at, presented=SECURE).granted


def test_a_copied_staff_uid_does_not_pass_a_lockdown() -> None:
    staff = holder(staff=True)
    assert decide(staff, STAFF_SECURE, NIGHT, lockdown=True).reason is Reason.SECURE_REQUIRED
    granted = decide(staff, STAFF_SECURE, NIGHT, lockdown=True, presented=SECURE)
    assert granted.granted and granted.reason is Reason.GRANTED
