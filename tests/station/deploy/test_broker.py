"""The real mosquitto running what `station deploy broker` wrote: TLS and passwords
only, and each account confined to its own topics."""

from __future__ import annotations

from station.deploy.accounts import SYNC, SYNC_ONCE, kiosk_user
from station.protocol import topics
from tests.station.deploy.broker_site import (
    QUIET,
    Site,
    agent_topic,
    site,
)
from tests.support.wait import TIMEOUT

__all__ = ["site"]  # fixtures, used by name


def test_no_anonymous_no_wrong_password_no_plain_tcp(site: Site) -> None:
    assert site.connect(None).refused.wait(TIMEOUT)
    assert site.connect("front-door", "not-its-password").refused.wait(TIMEOUT)
    assert site.connect("nobody", "whatever").refused.wait(TIMEOUT)
    plain = site.connect("front-door", tls=False)
    assert plain.refused.wait(TIMEOUT)
    assert not plain.connected.is_set()
    assert site.account("front-door").connected.is_set()  # the right password over TLS


def test_an_agent_cannot_read_another_agents_grants_or_commands(site: Site) -> None:
    sync = site.account(SYNC)
    thief = site.account("front-door")
    # mosquitto 2.0 grants such subscriptions and checks the ACL at delivery (the
    # 2.0.11 shipped here does): what counts is that nothing arrives.
    for channel in (topics.GRANTS, topics.COMMANDS, topics.ACKS, topics.TIME):
        thief.subscribe(agent_topic(site, "laser-cutter", channel))
    thief.subscribe(topics.all_agents(site.site, topics.GRANTS))  # a wildcard, maybe granted
    thief.subscribe(agent_topic(site, "front-door", topics.GRANTS))
    sync.publish(agent_topic(site, "laser-cutter", topics.GRANTS), b"laser", retain=True)
    sync.publish(agent_topic(site, "laser-cutter", topics.COMMANDS), b"unlock laser")
    sync.publish(agent_topic(site, "front-door", topics.GRANTS), b"own", retain=True)
    received = [thief.next()]
    while (message := thief.next(QUIET)) is not None:
        received.append(message)
    # Once per matching subscription (the wildcard and its own): only its own grants.
    assert {m.payload for m in received if m is not None} == {b"own"}


def test_an_agent_cannot_publish_another_agents_events_or_status(site: Site) -> None:
    sync = site.account(SYNC)
    for channel in (topics.EVENTS, topics.STATUS, topics.COMMAND_RESULTS):
        sync.subscribe(topics.all_agents(site.site, channel))
    thief = site.account("front-door")
    laser = site.account("laser-cutter")
    thief.publish(agent_topic(site, "laser-cutter", topics.EVENTS), b"forged event")
    thief.publish(agent_topic(site, "laser-cutter", topics.STATUS), b"forged status", retain=True)
    thief.publish(agent_topic(site, "laser-cutter", topics.COMMAND_RESULTS), b"forged result")
    laser.publish(agent_topic(site, "laser-cutter", topics.EVENTS), b"real event")
    first = sync.next()
    assert first is not None and first.payload == b"real event"
    assert sync.next(QUIET) is None
    # Nor does a forged status wait, retained, for the next subscriber.
    late = site.account(kiosk_user("entrance"))
    late.subscribe(topics.all_agents(site.site, topics.STATUS))
    assert late.next(QUIET) is None


def test_an_agent_cannot_write_its_own_grants(site: Site) -> None:
    # Only the agent itself may read its grants, so it is the one that would see them.
    door = site.account("front-door")
    assert door.subscribe(agent_topic(site, "front-door", topics.GRANTS)) == [1]
    door.publish(agent_topic(site, "front-door", topics.GRANTS), b"own grants, forged")
    door.publish(agent_topic(site, "front-door", topics.GRANTS), b"own grants, forged", retain=True)
    assert door.next(QUIET) is None
    # The control: what sync publishes there arrives, so the subscription was live.
    site.account(SYNC).publish(agent_topic(site, "front-door", topics.GRANTS), b"from sync")
    message = door.next()
    assert message is not None and message.payload == b"from sync"
    assert door.next(QUIET) is None
    # Nor was the forged retained snapshot kept for the agent's next connection.
    door.client.disconnect()
    late = site.account("front-door")
    assert late.subscribe(agent_topic(site, "front-door", topics.GRANTS)) == [1]
    assert late.next(QUIET) is None


def test_the_sync_service_and_a_one_shot_run_both_stay_connected(site: Site) -> None:
    # Both ask for the client id SyncService gives itself; the broker gives each its
    # account's name instead, so neither takes the other's session.
    asked = f"station-sync-{site.site}"
    service = site.account(SYNC, client_id=asked)
    once = site.account(SYNC_ONCE, client_id=asked)
    door = site.account("front-door")
    for sync in (service, once):
        assert sync.subscribe(topics.all_agents(site.site, topics.EVENTS)) == [1]
    door.publish(agent_topic(site, "front-door", topics.EVENTS), b"an event")
    for sync in (service, once):
        message = sync.next()
        assert message is not None and message.payload == b"an event"
    # The one-shot account does sync's work: it publishes an agent's grants.
    assert door.subscribe(agent_topic(site, "front-door", topics.GRANTS)) == [1]
    once.publish(agent_topic(site, "front-door", topics.GRANTS), b"grants from once")
    grants = door.next()
    assert grants is not None and grants.payload == b"grants from once"
    # And no more than sync: it speaks for no agent.
    once.publish(agent_topic(site, "laser-cutter", topics.EVENTS), b"forged by sync-once")
    assert service.next(QUIET) is None
    assert not service.refused.is_set() and not once.refused.is_set()


def test_no_account_takes_over_another_accounts_session(site: Site) -> None:
    service = site.account(SYNC, client_id=f"station-sync-{site.site}")
    laser = site.account("laser-cutter")
    # A stolen agent asking for sync's client id, or its user name, or another
    # agent's id, is given its own: nobody is disconnected.
    for asked in (f"station-sync-{site.site}", SYNC, "laser-cutter"):
        thief = site.account("front-door", client_id=asked)
        assert not service.refused.wait(QUIET), asked
        assert not laser.refused.is_set(), asked
        thief.client.disconnect()
    # Why one-shot runs have an account of their own: a second client of one account
    # has the same client id, and the broker disconnects the first.
    second = site.account(SYNC, client_id="another-id")
    assert service.refused.wait(TIMEOUT)
    assert second.connected.is_set()


def test_sync_does_what_it_must(site: Site) -> None:
    sync = site.account(SYNC)
    door = site.account("front-door")
    for channel in (topics.EVENTS, topics.STATUS, topics.COMMAND_RESULTS):
        assert sync.subscribe(topics.all_agents(site.site, channel)) == [1]
    for channel in (topics.GRANTS, topics.ACKS, topics.COMMANDS, topics.TIME):
        assert door.subscribe(agent_topic(site, "front-door", channel)) == [1]
    for channel in (topics.EVENTS, topics.STATUS, topics.COMMAND_RESULTS):
        door.publish(agent_topic(site, "front-door", channel), channel.encode())
        message = sync.next()
        assert message is not None and message.topic == agent_topic(site, "front-door", channel)
    for channel in (topics.GRANTS, topics.ACKS, topics.COMMANDS, topics.TIME):
        sync.publish(agent_topic(site, "front-door", channel), channel.encode())
        message = door.next()
        assert message is not None and message.payload == channel.encode()
    # Sync speaks for no agent: an event it publishes reaches nobody.
    sync.publish(agent_topic(site, "front-door", topics.EVENTS), b"forged by sync")
    assert sync.next(QUIET) is None


def test_a_kiosk_commands_and_reads_results_only(site: Site) -> None:
    kiosk = site.account(kiosk_user("entrance"))
    door = site.account("front-door")
    sync = site.account(SYNC)
    assert sync.subscribe(topics.all_agents(site.site, topics.EVENTS)) == [1]
    assert door.subscribe(agent_topic(site, "front-door", topics.COMMANDS)) == [1]
    assert door.subscribe(agent_topic(site, "front-door", topics.GRANTS)) == [1]
    for channel in (topics.COMMAND_RESULTS, topics.STATUS):
        assert kiosk.subscribe(topics.all_agents(site.site, channel)) == [1]
    kiosk.subscribe(topics.all_agents(site.site, topics.EVENTS))  # delivers nothing

    kiosk.publish(agent_topic(site, "front-door", topics.COMMANDS), b"unlock")
    command = door.next()
    assert command is not None and command.payload == b"unlock"
    door.publish(agent_topic(site, "front-door", topics.EVENTS), b"an event, for sync only")
    door.publish(agent_topic(site, "front-door", topics.COMMAND_RESULTS), b"applied")
    door.publish(agent_topic(site, "front-door", topics.STATUS), b"online", retain=True)
    result = kiosk.next()
    assert result is not None
    assert (result.topic, result.payload) == (
        agent_topic(site, "front-door", topics.COMMAND_RESULTS),
        b"applied",
    )
    # No more: a kiosk forges neither grants for an agent nor an agent's events.
    kiosk.publish(agent_topic(site, "front-door", topics.GRANTS), b"forged grants")
    kiosk.publish(agent_topic(site, "front-door", topics.EVENTS), b"forged event")
    assert door.next(QUIET) is None
    first = sync.next()
    assert first is not None and first.payload == b"an event, for sync only"
    assert sync.next(QUIET) is None
    assert kiosk.next(QUIET) is None  # nor the status it subscribed to
