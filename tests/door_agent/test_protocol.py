"""Forged, expired, replayed, malformed commands and grant snapshots are refused with a
reason; the last good snapshot stays in force."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from station.protocol.commands import Author, make_command
from station.protocol.keys import SigningKey, sign_envelope
from station.protocol.vocabulary import Command
from tests.support.agents import SITE_AUTHOR, agent_overrides, member_entry
from tests.support.keys import kiosk_signer
from tests.support.wait import wait_for

MEMBER = "04000001"
KIOSK = "entrance"  # the sample configuration's kiosk


def tampered(payload: bytes) -> bytes:
    """A well-formed envelope whose body no longer matches its signature."""
    envelope = json.loads(payload)
    envelope["body"]["command"] = "unlock_once"
    envelope["body"]["args"] = {"tampered": True}
    return json.dumps(envelope).encode()


@pytest.fixture
def door(make_config, run_agent, make_site):  # type: ignore[no-untyped-def]
    config = make_config(agent_overrides(**{"front-door": {}}))
    site = make_site(config, "front-door")
    agent = run_agent(config, "front-door")
    site.publish_grants(site.snapshot({agent.hash(MEMBER): member_entry()}))
    site.wait_event("grants_applied")
    return site, agent


def test_a_command_is_single_use_across_restarts(make_config, run_agent, make_site) -> None:
    config = make_config(agent_overrides(**{"front-door": {}}))
    site = make_site(config, "front-door")
    first = run_agent(config, "front-door")
    site.wait_event("agent_started")
    command_id, payload = make_command(
        Command.UNLOCK_ONCE,
        "front-door",
        site.key,
        ttl=dt.timedelta(minutes=10),
        author=SITE_AUTHOR,
    )
    site.send_raw_command(payload)
    assert site.wait_result(command_id)["ok"]
    first.stop()
    second = run_agent(config, "front-door")
    site.wait_event("agent_started", 2)
    site.send_raw_command(payload)
    wait_for(lambda: len([r for r in site.results if r["id"] == command_id]) == 2)
    assert site.results[-1]["reason"] == "replayed"
    second.settle()
    assert not second.relay


def test_commands_refused_with_their_reason(door) -> None:  # type: ignore[no-untyped-def]
    site, agent = door
    now = dt.datetime.now(dt.UTC)
    cases: list[tuple[bytes, str]] = []
    _, forged = make_command(
        Command.UNLOCK_ONCE, "front-door", SigningKey.generate(), author=SITE_AUTHOR
    )
    cases.append((forged, "unknown_key"))  # a key no snapshot lists
    _, lock = make_command(Command.LOCK, "front-door", site.key, author=SITE_AUTHOR)
    cases.append((tampered(lock), "bad_signature"))
    _, posing = make_command(
        Command.UNLOCK_ONCE, "front-door", kiosk_signer(site.config, KIOSK), author=SITE_AUTHOR
    )
    cases.append((posing, "wrong_issuer"))  # a kiosk's key signing as the console
    _, wrong_agent = make_command(Command.UNLOCK_ONCE, "laser-cutter", site.key, author=SITE_AUTHOR)
    cases.append((wrong_agent, "wrong_agent"))
    _, expired = make_command(
        Command.UNLOCK_ONCE,
        "front-door",
        site.key,
        now=now - dt.timedelta(minutes=5),
        author=SITE_AUTHOR,
    )
    cases.append((expired, "expired"))
    _, future = make_command(
        Command.UNLOCK_ONCE,
        "front-door",
        site.key,
        now=now + dt.timedelta(minutes=5),
        author=SITE_AUTHOR,
    )
    cases.append((future, "not_yet_valid"))
    cases.append((b"\xff\x00 not json", "malformed"))
    cases.append((json.dumps({"alg": "HS256", "body": [], "sig": "x"}).encode(), "malformed"))
    unknown = sign_envelope(
        {
            "id": "x1",
            "agent": "front-door",
            "command": "self_destruct",
            "args": {},
            "issued_at": now.isoformat(),
            "expires_at": (now + dt.timedelta(seconds=30)).isoformat(),
            "issued_by": SITE_AUTHOR.encode(),
        },
        site.key,
    )
    cases.append((unknown, "unknown_command"))
    for payload, _ in cases:
        site.send_raw_command(payload)
    wait_for(lambda: len(site.results) >= len(cases), what="a result per command")
    assert [r["reason"] for r in site.results] == [reason for _, reason in cases]
    assert not any(r["ok"] for r in site.results)
    assert len(site.wait_event("command_refused", len(cases))) == len(cases)
    agent.settle()
    assert not agent.relay

    # A good command runs once; the same bytes again are a replay.
    command_id, payload = make_command(
        Command.UNLOCK_ONCE, "front-door", site.key, author=SITE_AUTHOR
    )
    site.send_raw_command(payload)
    assert site.wait_result(command_id)["ok"]
    site.send_raw_command(payload)
    wait_for(lambda: len([r for r in site.results if r["id"] == command_id]) == 2)
    replay = [r for r in site.results if r["id"] == command_id][1]
    assert (replay["ok"], replay["reason"]) == (False, "replayed")
    assert agent.call(lambda: agent.agent.outbox.command_seen(command_id))


def test_snapshots_refused_and_last_good_kept(door) -> None:  # type: ignore[no-untyped-def]
    site, agent = door
    site.publish_grants(site.snapshot({agent.hash(MEMBER): member_entry()}))
    site.wait_event("grants_applied", 2)
    good_version = site.version
    revoking = {agent.hash(MEMBER): member_entry(revoked=True)}
    # The version in force again (a restarted sync signs it anew) is not applied, and is
    # no refusal either: it is not among the refusals below.
    site.publish_grants(site.snapshot(revoking, version=good_version))
    cases = [
        (site.snapshot(revoking, version=5, key=SigningKey.generate()), "unknown_key"),
        (site.snapshot(revoking, version=good_version - 1), "stale"),
        (site.snapshot(revoking, version=0), "malformed"),
        (
            sign_envelope(
                {
                    "site": site.config.site.id,
                    "agent": "front-door",
                    "version": 9,
                    "resource": {},
                    "grants": {},
                },
                site.key,
            ),
            "malformed",
        ),
        (
            sign_envelope(
                {
                    "site": site.config.site.id,
                    "agent": "front-door",
                    "version": 9,
                    "resource": {"code": "d"},
                    "grants": {"h": {"revoked": "?"}},
                },
                site.key,
            ),
            "malformed",
        ),
        (make_snapshot_for_other_agent(site), "wrong_agent"),
        (make_snapshot_for_other_agent(site, site_id="another-site"), "wrong_agent"),
        (b"{not json", "malformed"),
    ]
    for payload, _ in cases:
        site.publish_grants(payload)
    refused = site.wait_event("grants_refused", len(cases))
    assert [e.reason for e in refused] == [reason for _, reason in cases]
    assert all(e.data["version_in_force"] == good_version for e in refused)
    agent.tap(MEMBER)
    site.wait_event("granted")  # the last good snapshot still decides
    assert agent.call(lambda: agent.agent.store.version) == good_version

    # A newer, well-signed snapshot revoking the badge is enforced at once.
    site.publish_grants(site.snapshot(revoking))
    site.wait_event("grants_applied", 3)
    agent.lift()
    agent.tap(MEMBER)
    assert site.wait_event("denied")[0].reason == "badge_revoked"


def make_snapshot_for_other_agent(site, site_id: str = "") -> bytes:  # type: ignore[no-untyped-def]
    """For another agent of the site or, given `site_id`, for this agent of another site
    whose keys are this one's (a server image cloned)."""
    from station.protocol.grants import make_snapshot
    from station.rules import ResourceFacts

    return make_snapshot(
        site_id or site.config.site.id,
        "front-door" if site_id else "laser-cutter",
        99,
        ResourceFacts("front-door"),
        {},
        site.trust,
        site.key,
    )


def test_the_events_name_the_author_of_a_command(door) -> None:  # type: ignore[no-untyped-def]
    """Applied or refused, a command's event says who sent it and why; a forged one
    or one without an author names no one (null): nobody can be trusted to have sent it."""
    site, agent = door
    now = dt.datetime.now(dt.UTC)
    dana = Author.kiosk(KIOSK, "Dana", "6f1c2a9e-0000-4000-8000-000000000001")
    kiosk_key = kiosk_signer(site.config, KIOSK)
    applied_id, applied = make_command(
        Command.LOCK, "front-door", kiosk_key, author=dana, reason="fire drill"
    )
    expired_id, expired = make_command(
        Command.LOCK, "front-door", kiosk_key, author=dana, now=now - dt.timedelta(minutes=5)
    )
    forged_id, forged = make_command(Command.LOCK, "front-door", SigningKey.generate(), author=dana)
    anonymous = {
        "id": "no-author-1",
        "agent": "front-door",
        "command": "lock",
        "args": {},
        "issued_at": now.isoformat(),
        "expires_at": (now + dt.timedelta(seconds=30)).isoformat(),
        "issued_by": "",
    }
    for payload in (applied, expired, forged, sign_envelope(anonymous, site.key)):
        site.send_raw_command(payload)
    wait_for(lambda: len(site.results) >= 4, what="a result per command")
    assert [r["reason"] for r in site.results] == [
        "applied",
        "expired",
        "unknown_key",
        "malformed",
    ]
    [event] = site.wait_event("command_applied")
    assert event.data["command_id"] == applied_id
    assert event.data["author"] == {
        "member": "6f1c2a9e-0000-4000-8000-000000000001",
        "name": "Dana",
        "device": "kiosk:entrance",
    }
    assert event.data["reason"] == "fire drill"
    refused = site.wait_event("command_refused", 3)
    assert [e.data["command_id"] for e in refused] == [expired_id, forged_id, "no-author-1"]
    assert refused[0].data["author"] == dana.encode()
    assert refused[0].data["command"] == "lock"
    assert refused[1].data["author"] is None  # forged: no trusted author
    assert (refused[2].data["author"], refused[2].data["detail"]) == (None, "no author")
    agent.settle()
