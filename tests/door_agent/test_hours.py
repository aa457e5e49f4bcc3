"""What the hours do on their own at an agent: free access, the machine's closing time,
and a clock the agent does not trust blindly (two days back, a year ahead)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from station.protocol import topics
from station.protocol.beacon import make_beacon
from station.protocol.grants import entry_to_json
from station.protocol.keys import SigningKey
from station.rules import CredentialFacts, MembershipSpan, Reason, ResourceFacts
from station.schedule import Schedule
from tests.support.agents import agent_overrides
from tests.support.wait import wait_for

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = Schedule.from_ranges("Europe/Paris", [["09:00-18:00"]] * 5 + [[], []])
ALWAYS = Schedule.open_always()
TUESDAY_0859 = dt.datetime(2026, 12, 8, 8, 59, tzinfo=PARIS)
MEMBER, RESIDENT = "04000001", "04000002"


@dataclass
class Clocks:
    """The agent's wall and monotonic clocks, moved by the test."""

    wall: dt.datetime
    mono: float = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += dt.timedelta(seconds=seconds)
        self.mono += seconds

    def kwargs(self) -> dict[str, Any]:
        return {"wall": lambda: self.wall, "clock": lambda: self.mono}


def holder(plan: str, trainings: tuple[str, ...] = ()) -> dict[str, Any]:
    span = MembershipSpan(dt.date(2026, 1, 1), dt.date(2027, 12, 31), plan)
    facts = CredentialFacts(revoked=False, memberships=(span,), trainings=dict.fromkeys(trainings))
    return entry_to_json(facts, str(uuid.uuid4()))


def test_free_access_unlocks_by_schedule_and_lockdown_overrides_it(
    make_config, run_agent, make_site
) -> None:
    config = make_config(agent_overrides(**{"front-door": {}}))
    site = make_site(config, "front-door")
    clocks = Clocks(TUESDAY_0859)
    agent = run_agent(config, "front-door", **clocks.kwargs())
    door = ResourceFacts(
        "front-door", (), ALWAYS, plan_windows={"member": WEEKDAYS}, free_access=WEEKDAYS
    )
    site.publish_grants(site.snapshot({}, resource=door, issued_at=clocks.wall))
    site.wait_event("grants_applied")
    agent.settle()
    assert not agent.relay
    clocks.advance(60)  # 09:00: free access starts
    wait_for(lambda: agent.relay, what="unlocked by its free-access schedule")
    site.wait_event("free_access_started")
    assert site.wait_result(site.command("lockdown", now=clocks.wall))["ok"]
    wait_for(lambda: not agent.relay, what="a lockdown overrides free access")
    assert site.wait_result(site.command("release", now=clocks.wall))["ok"]
    wait_for(lambda: agent.relay, what="free access again after the lockdown")
    clocks.advance(9 * 3600)  # 18:00
    wait_for(lambda: not agent.relay, what="re-locked when free access ends")
    [ended] = site.wait_event("free_access_ended")
    assert ended.at == dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)
    assert agent.call(lambda: agent.agent.loop.status.current).get("free_access") is False


def test_a_session_running_at_closing_time_is_warned_then_ended(
    make_config, run_agent, make_site
) -> None:
    config = make_config(agent_overrides(**{"printer-3d": {"machine": {"warning_s": 60}}}))
    site = make_site(config, "printer-3d")
    clocks = Clocks(dt.datetime(2026, 12, 8, 17, 55, tzinfo=PARIS))
    agent = run_agent(config, "printer-3d", **clocks.kwargs())
    printer = ResourceFacts("printer-3d", ("printer-3d",), WEEKDAYS)
    site.publish_grants(
        site.snapshot(
            {agent.hash(MEMBER): holder("member", ("printer-3d",))},
            resource=printer,
            issued_at=clocks.wall,
        )
    )
    site.wait_event("grants_applied")
    agent.tap(MEMBER)
    site.wait_event("session_started")
    assert agent.relay
    clocks.advance(4 * 60 + 1)  # 17:59:01, a minute before closing
    [warning] = site.wait_event("session_warning")
    assert warning.reason == "closing_time" and agent.relay
    clocks.advance(60)
    [ended] = site.wait_event("session_ended")
    assert ended.data["end_reason"] == "closing_time"
    wait_for(lambda: not agent.relay, what="power cut at closing time")


def door_with_plans(site: Any, agent: Any, issued_at: dt.datetime) -> None:
    door = ResourceFacts(
        "front-door", (), ALWAYS, plan_windows={"member": WEEKDAYS, "resident": ALWAYS}
    )
    site.publish_grants(
        site.snapshot(
            {agent.hash(MEMBER): holder("member"), agent.hash(RESIDENT): holder("resident")},
            resource=door,
            issued_at=issued_at,
        )
    )
    site.wait_event("grants_applied")


def decision(site: Any, agent: Any, uid: str, count: int) -> str | None:
    agent.tap(uid)
    events = wait_for(
        lambda: (
            len(site.of_type("granted", "denied")) >= count and site.of_type("granted", "denied")
        ),
        what=f"decision {count}",
    )
    agent.lift()
    return str(events[count - 1].reason)


def test_a_clock_two_days_back_is_reported_and_decides_on_the_last_signed_time(
    make_config, run_agent, make_site
) -> None:
    config = make_config(agent_overrides(**{"front-door": {}}))
    site = make_site(config, "front-door")
    true_time = dt.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)  # Tuesday: open
    clocks = Clocks(true_time - dt.timedelta(days=2))  # Sunday: closed
    agent = run_agent(config, "front-door", **clocks.kwargs())
    door_with_plans(site, agent, true_time)
    [event] = site.wait_event("clock_unsynced")
    assert event.reason == "behind_signed_time"
    assert event.at >= true_time  # never a time before the newest signed one
    status = agent.call(lambda: agent.agent.loop.status.current)
    assert status["clock"] == "unsynced" and status["clock_problem"] == "behind_signed_time"
    # last_trusted (the default): decided on the snapshot's time, a Tuesday at 10:00.
    assert decision(site, agent, MEMBER, 1) == Reason.GRANTED.value
    assert decision(site, agent, RESIDENT, 2) == Reason.GRANTED.value


def test_a_clock_a_year_ahead_is_reported_and_the_deny_policy_followed(
    make_config, run_agent, make_site
) -> None:
    config = make_config(agent_overrides(**{"front-door": {"clock": {"untrusted": "deny"}}}))
    site = make_site(config, "front-door")
    true_time = dt.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)
    clocks = Clocks(true_time + dt.timedelta(days=365))
    agent = run_agent(config, "front-door", **clocks.kwargs())
    door_with_plans(site, agent, true_time)
    assert not site.of_type("clock_unsynced")  # ahead of a snapshot is not suspect alone
    key = site.key
    # A beacon not signed with a site key is refused and counted, never followed.
    site.client.publish(
        site.topic(topics.TIME), make_beacon("front-door", true_time, SigningKey.generate())
    )
    wait_for(
        lambda: agent.call(lambda: agent.agent.loop.counters["beacons_refused"]) == 1,
        what="forged beacon refused",
    )
    assert agent.call(lambda: agent.agent.loop.counters["beacons_refused_unknown_key"]) == 1
    assert not site.of_type("clock_unsynced")
    site.client.publish(site.topic(topics.TIME), make_beacon("front-door", true_time, key))
    [event] = site.wait_event("clock_unsynced")
    assert event.reason == "skew_from_site" and event.data["skew_s"] > 364 * 86400
    # deny: whatever depends on the hour is refused; the resident's 24/7 plan still opens.
    assert decision(site, agent, MEMBER, 1) == Reason.CLOCK_UNSYNCED.value
    assert decision(site, agent, RESIDENT, 2) == Reason.GRANTED.value
    # NTP answers: the clock agrees with the site's again.
    clocks.wall = true_time + dt.timedelta(seconds=30)
    site.client.publish(
        site.topic(topics.TIME),
        make_beacon("front-door", true_time + dt.timedelta(seconds=30), key),
    )
    site.wait_event("clock_synced")
    assert decision(site, agent, MEMBER, 3) == Reason.GRANTED.value


def test_the_kernel_saying_unsynchronised_is_reported(make_config, run_agent, make_site) -> None:
    config = make_config(agent_overrides(**{"front-door": {}}))
    site = make_site(config, "front-door")
    clocks = Clocks(dt.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS))
    agent = run_agent(config, "front-door", kernel_synced=lambda: False, **clocks.kwargs())
    door_with_plans(site, agent, clocks.wall)
    [event] = site.wait_event("clock_unsynced")
    assert event.reason == "kernel_unsynchronised"
    assert decision(site, agent, MEMBER, 1) == Reason.GRANTED.value  # on the signed time
