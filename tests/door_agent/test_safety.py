"""The relay is off after SIGTERM and after an exception in the loop."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from gpiozero.pins.mock import MockFactory

from door_agent.agent import Agent, stop_on_signals
from door_agent.inbox import Call
from tests.support.agents import TIMEOUT, agent_overrides, member_entry
from tests.support.wait import wait_for

MAKER = "05000001"


def _printer(make_config):  # type: ignore[no-untyped-def]
    return make_config(agent_overrides(**{"printer-3d": {}}))


def test_relay_off_after_sigterm(make_config, make_site) -> None:
    config = _printer(make_config)
    site = make_site(config, "printer-3d")
    factory = MockFactory()
    agent = Agent(config, "printer-3d", pin_factory=factory)
    relay = factory.pin(17)
    seen_on = threading.Event()

    def drive() -> None:  # the test's own thread taps, then sends SIGTERM to this process
        try:
            site.publish_grants(
                site.snapshot({agent_hash(config, MAKER): member_entry(trainings=("printer-3d",))})
            )
            site.wait_event("grants_applied")
            agent.reader.present(MAKER)  # type: ignore[attr-defined]
            wait_for(lambda: relay.state, what="machine powered")
            seen_on.set()
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=drive, daemon=True).start()
    with stop_on_signals(agent):  # the main thread runs the loop, as `station agent` does
        reason = agent.run()
    assert seen_on.is_set()
    assert reason == "signal SIGTERM"
    assert not relay.state
    assert site.wait_event("agent_stopped")[0].data["relay"] is False


def test_relay_off_after_an_exception_in_the_loop(make_config, run_agent, make_site) -> None:
    config = _printer(make_config)
    site = make_site(config, "printer-3d")
    agent = run_agent(config, "printer-3d")
    site.publish_grants(site.snapshot({agent.hash(MAKER): member_entry(trainings=("printer-3d",))}))
    site.wait_event("grants_applied")
    agent.tap(MAKER)
    wait_for(lambda: agent.relay, what="machine powered")

    def boom() -> None:
        raise RuntimeError("a bug in the loop")

    agent.agent.events.put(Call(boom))
    agent.thread.join(TIMEOUT)
    assert isinstance(agent.result, RuntimeError)
    assert not agent.relay
    stopped = site.wait_event("agent_stopped")[0]
    assert stopped.reason == "internal_error" and "a bug in the loop" in stopped.data["why"]


def test_relay_off_when_construction_fails(make_config, tmp_path) -> None:
    """A broken data directory: the agent refuses to start, the relay was never on."""
    blocker = tmp_path / "blocked"
    blocker.write_text("not a directory")
    config = make_config({"agents": {"printer-3d": {"data_dir": str(blocker / "sub")}}})
    factory = MockFactory()
    with pytest.raises(OSError):
        Agent(config, "printer-3d", pin_factory=factory)
    assert all(not s.state for s in factory.pin(17).states)


def agent_hash(config, uid: str) -> str:  # type: ignore[no-untyped-def]
    from station.credential import Credential

    return Credential.uid(uid).keyed_hash(config.badge_key)


def test_blocked_and_lockdown_survive_a_restart(make_config, run_agent, make_site) -> None:
    config = make_config(agent_overrides(**{"printer-3d": {}, "front-door": {}}))
    machine_site = make_site(config, "printer-3d")
    door_site = make_site(config, "front-door")
    machine = run_agent(config, "printer-3d")
    door = run_agent(config, "front-door")
    machine_site.publish_grants(
        machine_site.snapshot({machine.hash(MAKER): member_entry(trainings=("printer-3d",))})
    )
    door_site.publish_grants(door_site.snapshot({door.hash(MAKER): member_entry()}))
    machine_site.wait_event("grants_applied")
    door_site.wait_event("grants_applied")
    assert machine_site.wait_result(machine_site.command("block"))["ok"]
    assert door_site.wait_result(door_site.command("lockdown"))["ok"]
    machine.stop()
    door.stop()

    machine = run_agent(config, "printer-3d")
    door = run_agent(config, "front-door")
    machine.tap(MAKER)
    door.tap(MAKER)
    assert machine_site.wait_event("denied")[0].reason == "resource_out_of_order"
    assert door_site.wait_event("denied")[0].reason == "lockdown"
    assert not machine.relay and not door.relay
    assert machine_site.wait_result(machine_site.command("unblock"))["ok"]
    machine.lift()
    machine.tap(MAKER)
    wait_for(lambda: machine.relay, what="usable once unblocked")


@pytest.mark.parametrize("how", ["stop", "exception"])
def test_a_session_cut_by_a_stop_is_recorded_as_ended(
    make_config, run_agent, make_site, how: str
) -> None:
    """Usage is counted from session ends: a session the stop cuts must end at the site
    too, not stay open for ever."""
    config = _printer(make_config)
    site = make_site(config, "printer-3d")
    agent = run_agent(config, "printer-3d")
    site.publish_grants(site.snapshot({agent.hash(MAKER): member_entry(trainings=("printer-3d",))}))
    site.wait_event("grants_applied")
    agent.tap(MAKER)
    started = site.wait_event("session_started")[0]
    if how == "stop":
        agent.stop()
    else:

        def boom() -> None:
            raise RuntimeError("a bug in the loop")

        agent.agent.events.put(Call(boom))
        agent.thread.join(TIMEOUT)
    assert not agent.relay
    site.wait_event("agent_stopped")
    ended = site.wait_event("session_ended")[0]
    assert ended.data["session_id"] == started.data["session_id"]
    assert ended.data["end_reason"] == "agent_stopped"
    types = [event.type for event in site.of_type("session_ended", "agent_stopped")]
    assert types == ["session_ended", "agent_stopped"]
