"""Tallies and `station report`, on SQLite and PostgreSQL, across a daylight-saving change."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import rebuild
from station.cli.main import main
from station.db import MachineSession, MemberKind, Visit, make_engine
from station.ids import new_event_id
from station.tallies import entries, usage

ROOT = Path(__file__).resolve().parents[2]
SITE = "saint-omer-gare"
PARIS = "Europe/Paris"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def history_url(request: pytest.FixtureRequest) -> str:
    # At head already: a copy of the session's migrated template, on either engine.
    fixture = "site_db" if request.param == "sqlite" else "pg_migrated_url"
    url = str(request.getfixturevalue(fixture))
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        camille = registry.add_member(session, "Camille", home_commune="62765")
        visitor = registry.add_member(session, "Léo", kind=MemberKind.VISITOR)
        # 25 Oct 2026: clocks go back at 03:00 in Paris. 23:30 UTC on the 25th is
        # 00:30 on the 26th in Paris (UTC+1 after the change).
        moments = [
            (camille, "2026-10-24T22:30:00", "coworking"),  # 25th 00:30 Paris (UTC+2)
            (camille, "2026-10-25T12:00:00", "fablab"),
            (visitor, "2026-10-25T23:30:00", "coworking"),  # 26th in Paris
            (camille, "2026-11-02T09:00:00", "fablab"),
        ]
        for member, at, purpose in moments:
            session.add(
                Visit(
                    site_id=SITE,
                    member_id=member.id,
                    kiosk_id="entrance",
                    purpose=purpose,
                    space=purpose,
                    home_commune=member.home_commune,
                    member_kind=member.kind.value,
                    checked_in_at=dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC),
                )
            )
        for at, seconds in (("2026-10-25T10:00:00", 3600.0), ("2026-10-26T10:00:00", 1800.0)):
            session.add(
                MachineSession(
                    id=new_event_id(),
                    site_id=SITE,
                    agent_id="laser-cutter",
                    resource="laser-cutter",
                    member_id=camille.id,
                    started_at=dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC),
                    duration_s=seconds,
                )
            )
        # As the kiosk and sync keep them: the daily tallies of these rows.
        session.flush()
        rebuild(session.connection(), SITE, ZoneInfo(PARIS), until=dt.date(2026, 11, 30))
    engine.dispose()
    return url


OCTOBER = (dt.datetime(2026, 10, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))


def test_entries_by_local_day_across_daylight_saving(history_url: str) -> None:
    engine = make_engine(history_url)
    with Session(engine) as session:
        rows = entries(session, SITE, PARIS, *OCTOBER, ["day"])
    engine.dispose()
    assert [(r.key, r.count) for r in rows] == [
        (("2026-10-25",), 2),
        (("2026-10-26",), 1),
        (("2026-11-02",), 1),
    ]


def test_entries_by_purpose_commune_kind_and_month(history_url: str) -> None:
    engine = make_engine(history_url)
    with Session(engine) as session:
        by_purpose = entries(session, SITE, PARIS, *OCTOBER, ["purpose"])
        by_commune = entries(session, SITE, PARIS, *OCTOBER, ["commune", "kind"])
        by_month = entries(session, SITE, PARIS, *OCTOBER, ["month", "space"])
    engine.dispose()
    assert {r.key: r.count for r in by_purpose} == {("coworking",): 2, ("fablab",): 2}
    assert {r.key: r.count for r in by_commune} == {
        ("62765", "member"): 3,
        ("unknown", "visitor"): 1,
    }
    assert {r.key: r.count for r in by_month} == {
        ("2026-10", "coworking"): 2,
        ("2026-10", "fablab"): 1,
        ("2026-11", "fablab"): 1,
    }


def test_usage_counts_sessions_and_hours(history_url: str) -> None:
    engine = make_engine(history_url)
    with Session(engine) as session:
        rows = usage(session, SITE, PARIS, *OCTOBER, ["machine"])
        daily = usage(session, SITE, PARIS, *OCTOBER, ["day"])
    engine.dispose()
    assert [(r.key, r.count, r.hours) for r in rows] == [(("laser-cutter",), 2, 1.5)]
    assert [r.key for r in daily] == [("2026-10-25",), ("2026-10-26",)]


def test_unknown_dimension_is_refused(history_url: str) -> None:
    engine = make_engine(history_url)
    with Session(engine) as session, pytest.raises(ValueError, match="cannot tally"):
        entries(session, SITE, PARIS, *OCTOBER, ["shoe_size"])
    engine.dispose()


def test_report_command_formats(
    history_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", history_url)
    base = [
        "--config",
        str(config),
        "report",
        "entries",
        "--from",
        "2026-10-01",
        "--to",
        "2026-11-30",
        "--measure",
        "entries",
    ]
    assert main([*base, "--by", "purpose", "--format", "csv"]) == 0
    # CSV starts with a byte-order mark (Excel's cue for UTF-8), names its columns with the
    # machine names (the count of check-ins is `entries`) and shows the purposes' labels.
    out = capsys.readouterr().out
    assert out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert rows == [{"purpose": "Coworking", "entries": "2"}, {"purpose": "Fablab", "entries": "2"}]
    assert main([*base, "--by", "day", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"][0] == {"day": "2026-10-25", "entries": 2}
    chart = tmp_path / "entries.png"
    assert main([*base, "--by", "space", "--format", "png", "--output", str(chart)]) == 0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main([*base, "--by", "day,month"]) == 2  # a usage error, as argparse's
    assert "one period" in capsys.readouterr().err
