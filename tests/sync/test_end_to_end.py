"""Central revocation -> sync -> a running `station agent` with a sim reader denies.

Real processes and services: PostgreSQL central, SQLite site, mosquitto, the sync
service, and the agent started as `station agent --id front-door`.
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.config import StationConfig
from station.db import AccessEvent, AgentStatus, Badge
from station.grant_state import stored_grant_state
from station.protocol.vocabulary import EventType, GrantState, StatusField
from sync import central
from sync.service import SyncService
from tests.support.wait import wait_for
from tests.sync.end_to_end_site import (
    AGENT,
    agent_process,
    applied_version,
    config,
    decisions,
    enrol_member,
    site,
    tap,
)


def applied_from_deltas(engine: Engine) -> list[int]:
    """The versions the agent says it applied from a delta."""
    with Session(engine) as session:
        events = session.scalars(
            select(AccessEvent).where(AccessEvent.type == EventType.GRANTS_APPLIED)
        )
        return [e.data["version"] for e in events if e.data.get("delta")]


def status_digest(engine: Engine) -> object:
    with Session(engine) as session:
        row = session.get(AgentStatus, AGENT)
        return None if row is None else row.status.get(StatusField.GRANTS_DIGEST)


pytestmark = pytest.mark.mqtt  # sync and the agent talk through the test broker

__all__ = ["agent_process", "config", "site"]  # fixtures, used by name


@pytest.mark.timeout(120)
def test_revocation_at_central_is_denied_by_a_running_agent(
    config: StationConfig,
    site: Engine,
    central_engine: Engine,
    agent_process: subprocess.Popen[bytes],
) -> None:
    badge_hash = enrol_member(config, central_engine)
    service = SyncService(config, site_engine=site, central_engine=central_engine)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    with service:
        thread.start()
        try:

            def published_with(revoked: bool) -> int:
                """The version published (whole, or as a delta) if it shows the badge so."""
                snapshot = service.compiler.current.get(AGENT)
                if snapshot is None or not service.is_published(AGENT):
                    return 0
                entry = snapshot.entries.get(badge_hash)
                return snapshot.version if entry and entry["revoked"] is revoked else 0

            version = wait_for(lambda: published_with(False), what="first grants")
            wait_for(lambda: applied_version(site) >= version, what="agent applies grants")
            tap(config)
            wait_for(
                lambda: decisions(site, badge_hash) == [("granted", "granted")],
                what="granted event stored",
            )

            with central.session(central_engine) as db:
                badge = db.scalar(select(Badge).where(Badge.hash == badge_hash))
                assert badge is not None
                registry.revoke_badge(db, badge)
            changed = time.monotonic()
            revoked_version = wait_for(lambda: published_with(True), what="revoked grants")
            published = time.monotonic()
            wait_for(
                lambda: applied_version(site) >= revoked_version, what="agent applies revocation"
            )
            enforced = time.monotonic()
            tap(config)
            wait_for(lambda: len(decisions(site, badge_hash)) == 2, what="second decision")
            assert decisions(site, badge_hash)[1] == ("denied", "badge_revoked")
            # It came as a delta (one entry), then the retained snapshot was already in force.
            wait_for(lambda: revoked_version in applied_from_deltas(site), what="the delta's event")
            # Its status reports the digest of what it holds: the one sync compiled.
            expected = service.compiler.current[AGENT].grants_digest
            wait_for(lambda: status_digest(site) == expected, what="the agent's digest")
            # ... and so the staff views, which have not sync's memory, see it in step.
            with Session(site) as session:
                row = session.get(AgentStatus, AGENT)
                assert row is not None and row.expected_version == revoked_version
                assert stored_grant_state(row) is GrantState.IN_STEP
            print(
                f"\ncentral revocation -> snapshot published {1000 * (published - changed):.0f}"
                f" ms -> applied by the agent {1000 * (enforced - changed):.0f} ms"
            )
            assert enforced - changed < 5.0  # poll interval 60 s: LISTEN did this
        finally:
            stop.set()
            service.wake()
            thread.join(10)
    assert agent_process.poll() is None  # the agent ran throughout
