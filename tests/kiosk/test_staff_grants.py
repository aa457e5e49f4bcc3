"""The staff mode's agents table says whether each agent holds what sync last sent it
(station.grant_state, from what sync recorded in agent_status)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from station.db import AgentStatus, make_engine
from tests.support.kiosk_env import KioskEnv, open_staff_mode

DIGEST = "ab" * 32


def _status(agent_id: str, held: int, digest: str, expected: int) -> AgentStatus:
    return AgentStatus(
        agent_id=agent_id,
        online=True,
        grants_version=held,
        status={"online": True, "grants_version": held, "grants_digest": digest},
        expected_version=expected,
        expected_digest=DIGEST,
    )


def test_each_agent_shows_whether_its_grants_are_in_step(
    qtbot: Any, kiosk_env: KioskEnv, make_kiosk: Any
) -> None:
    agents = list(kiosk_env.config.agents)
    assert len(agents) >= 3
    engine = make_engine(kiosk_env.db_url)
    try:
        with Session(engine) as session, session.begin():
            session.add(_status(agents[0], 7, DIGEST, 7))  # the version sent, to the digest
            session.add(_status(agents[1], 6, DIGEST, 7))  # the delta not applied yet
            session.add(_status(agents[2], 7, "cd" * 32, 7))  # same version, other grants
    finally:
        engine.dispose()
    kiosk = make_kiosk()
    open_staff_mode(qtbot, kiosk)
    table = kiosk.window.staff.agents
    shown = {
        table.item(row, 0).text(): table.item(row, 2).text() for row in range(table.rowCount())
    }
    names = {a: kiosk_env.config.agents[a].name for a in agents}
    assert "droits v7 (à jour)" in shown[names[agents[0]]]
    assert "droits v6 (en retard)" in shown[names[agents[1]]]
    assert "droits v7 (DIVERGENTS)" in shown[names[agents[2]]]
    for other in agents[3:]:  # nothing recorded: sync has not published to it
        assert "(état inconnu)" in shown[names[other]]
