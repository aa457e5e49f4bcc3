"""MQTT: 3.1.1 and 5 with persistent sessions, the generated broker with per-device accounts,
the retained status and its last will, the outbox alarm."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from station.deploy.broker import deploy_broker
from station.protocol import topics
from station.protocol.events import AgentEvent
from station.protocol.vocabulary import EventType
from tests.station.deploy.running import generated_broker, kept_password
from tests.support.agents import TIMEOUT, agent_overrides, member_entry
from tests.support.mqtt import Mosquitto
from tests.support.net import free_port, wait_listening
from tests.support.tls import make_certificates
from tests.support.wait import wait_for

# Where the deploy's certificates start (an hour of skew before it): TLS checks them
# against the real clock, so this only has to be in the past.
DEPLOYED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("protocol", [5, 311])
def test_commands_queued_while_away_arrive_on_3_1_1_and_5(
    make_config, run_agent, make_site, protocol: int
) -> None:
    config = make_config({"mqtt": {"protocol": protocol}, **agent_overrides(**{"front-door": {}})})
    site = make_site(config, "front-door")
    first = run_agent(config, "front-door")
    site.publish_grants(site.snapshot({first.hash("04000001"): member_entry()}))
    site.wait_event("grants_applied")
    first.stop()  # a clean disconnect: the broker keeps the session and queues for it
    command_id = site.command("unlock_once")
    second = run_agent(config, "front-door")
    assert site.wait_result(command_id)["ok"]
    wait_for(lambda: second.relay, what="the queued command ran")
    second.tap("04000001")
    site.wait_event("granted")


def test_status_is_retained_refreshed_and_willed(make_config, run_agent, make_site) -> None:
    config = make_config(agent_overrides(**{"printer-3d": {}}))
    site = make_site(config, "printer-3d")
    agent = run_agent(config, "printer-3d")
    site.publish_grants(
        site.snapshot({agent.hash("05000001"): member_entry(trainings=("printer-3d",))})
    )
    wait_for(
        lambda: site.statuses and site.statuses[-1]["grants_version"] == 1,
        what="status with the grants version",
    )
    status = site.statuses[-1]
    assert status["online"] and status["kind"] == "machine" and status["relay"] is False
    assert status["reader"] == "ok" and status["mode"] == "free"
    agent.tap("05000001")
    wait_for(
        lambda: site.statuses[-1]["relay"] is True and site.statuses[-1]["mode"] == "in_use",
        what="status refreshed on change",
    )
    # A late subscriber gets the retained status at once.
    late = []
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"late-{uuid.uuid4().hex[:6]}")
    client.on_message = lambda c, u, m: late.append(m)
    client.connect(config.mqtt.host, config.mqtt.port)
    client.subscribe(topics.agent(config.site.id, "printer-3d", topics.STATUS), 1)
    client.loop_start()
    try:
        wait_for(lambda: late, what="the retained status")
        assert late[0].retain
    finally:
        client.loop_stop()
        client.disconnect()
    agent.stop()
    wait_for(lambda: site.statuses[-1]["online"] is False, what="offline status at stop")
    assert site.statuses[-1]["relay"] is False


def test_outbox_alarm_raised_nothing_dropped(make_config, run_agent) -> None:
    config = make_config(
        {"agents": {"front-door": {"outbox_alarm": 100, "reader": {"debounce_s": 0}}}}
    )
    agent = run_agent(config, "front-door", connect=False)  # no broker: all stays queued
    for i in range(150):
        agent.tap(f"04{i:06X}")
        agent.lift()
    agent.settle()
    outbox = agent.agent.outbox
    events = [AgentEvent.decode(p) for _, _, p in agent.call(lambda: outbox.after(0, 1000))]
    assert len(events) == agent.call(lambda: outbox.depth) == 152  # started + 150 + alarm
    alarms = [e for e in events if e.type == "outbox_alarm"]
    assert len(alarms) == 1 and alarms[0].data["depth"] == 100
    assert [e.type for e in events].count(EventType.DENIED) == 150
    assert agent.call(lambda: agent.agent.status.current["outbox_alarm"]) is True


def _passwd(path: Path, users: dict[str, str]) -> None:
    for index, (user, password) in enumerate(users.items()):
        subprocess.run(
            ["mosquitto_passwd", "-b", *(["-c"] if index == 0 else []), str(path), user, password],
            check=True,
            capture_output=True,
        )


def test_generated_acl_with_per_device_accounts(
    make_config, run_agent, make_site, tmp_path: Path
) -> None:
    """The broker exactly as `station deploy broker` writes it (TLS only, its ACL and
    password file): the agent and sync work through it, another agent cannot forge."""
    port = free_port()
    out = tmp_path / "deployed"
    mqtt = {"tls": True, "port": port, "ca_file": str(out / "ca.crt")}
    site_config = make_config({"mqtt": mqtt, **agent_overrides(**{"front-door": {}})})
    site_id = site_config.site.id
    result = deploy_broker(site_config, out, DEPLOYED_AT, port=port)
    assert {"sync", "front-door", "laser-cutter"} <= set(result.accounts)
    with generated_broker(result, tmp_path / "broker") as broker:
        config = make_config(
            {
                "site": {"id": site_id},
                "mqtt": {
                    **mqtt,
                    "username": "front-door",
                    "password": kept_password(result, "front-door"),
                },
                **agent_overrides(**{"front-door": {}}),
            },
            broker=broker.address,
            name="agent.toml",
        )
        sync_password = kept_password(result, "sync")
        site = make_site(config, "front-door", username="sync", password=sync_password)
        agent = run_agent(config, "front-door")
        site.publish_grants(site.snapshot({agent.hash("04000001"): member_entry()}))
        site.wait_event("grants_applied")
        agent.tap("04000001")
        site.wait_event("granted")
        wait_for(
            lambda: agent.call(lambda: agent.agent.outbox.depth) == 0,
            what="acks from the sync account reach the agent",
        )

        # Another device's account cannot forge this agent's events.
        forged = AgentEvent.decode(site.of_type("granted")[0].encode())
        intruder = paho.Client(CallbackAPIVersion.VERSION2, client_id="laser-cutter")
        intruder.username_pw_set("laser-cutter", kept_password(result, "laser-cutter"))
        intruder.tls_set(ca_certs=str(out / "ca.crt"))
        intruder.connect(broker.host, broker.port)
        intruder.loop_start()
        try:
            events_topic = topics.agent(site_id, "front-door", topics.EVENTS)
            forged_payload = forged.encode().replace(
                str(forged.id).encode(), str(uuid.uuid4()).encode()
            )
            sent = intruder.publish(events_topic, forged_payload, qos=1)
            sent.wait_for_publish(TIMEOUT)
            assert sent.is_published()  # logged in and acknowledged: the broker dropped it
            # The broker has handled the forged message (PUBACK) before the command
            # below is even sent: had it been routed, it would reach the site before
            # the agent's command_applied event.
            site.command("refresh_status")
            site.wait_event("command_applied")
            assert len(site.of_type("granted")) == 1
        finally:
            intruder.loop_stop()
            intruder.disconnect()


def test_tls_with_credentials(make_config, run_agent, make_site, tmp_path: Path) -> None:
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    make_certificates(tmp_path)
    _passwd(tmp_path / "passwd", {"front-door": "door-pw"})
    # The test broker's plain listener stays for the site; the agent comes over TLS.
    tls_port = free_port()
    extra = (
        f"password_file {tmp_path / 'passwd'}\n"
        f"listener {tls_port} 127.0.0.1\ncafile {tmp_path / 'ca.crt'}\n"
        f"certfile {tmp_path / 'server.crt'}\nkeyfile {tmp_path / 'server.key'}\n"
    )
    with Mosquitto(tmp_path / "broker", extra_config=extra) as broker:
        assert wait_listening(tls_port)
        site_config = make_config(agent_overrides(**{"front-door": {}}), broker=broker.address)
        site = make_site(site_config, "front-door")
        agent_config = make_config(
            {
                "site": {"id": site_config.site.id},
                "mqtt": {
                    "port": tls_port,
                    "tls": True,
                    "ca_file": str(tmp_path / "ca.crt"),
                    "username": "front-door",
                    "password": "door-pw",
                },
                **agent_overrides(**{"front-door": {}}),
            },
            broker=broker.address,
            name="agent.toml",
        )
        agent = run_agent(agent_config, "front-door")
        site.publish_grants(site.snapshot({agent.hash("04000001"): member_entry()}))
        site.wait_event("grants_applied")
        agent.tap("04000001")
        site.wait_event("granted")
        assert agent.agent.link is not None and agent.agent.link.connected
