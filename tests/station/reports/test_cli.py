"""`station report`: its formats, `--measure`, `--lang`, `--publish`, and the names it refuses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import rebuild
from station.cli.main import main
from station.db import MachineSession, MemberKind, Visit, make_engine
from station.first_visits import backfill
from station.ids import new_event_id

ROOT = Path(__file__).resolve().parents[3]
SITE = "saint-omer-gare"


@pytest.fixture
def base(site_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`station report` arguments on a site with 7 check-ins and 2 machine sessions."""
    engine = make_engine(site_db)
    with Session(engine) as session, session.begin():
        camille = registry.add_member(session, "Camille", home_commune="62765")
        leo = registry.add_member(session, "Léo", kind=MemberKind.VISITOR, home_commune="62297")
        moments = [(camille, 9, "coworking")] * 5 + [(leo, 10, "creativity")] * 2
        for day, (member, hour, purpose) in enumerate(moments, start=1):
            session.add(
                Visit(
                    site_id=SITE,
                    member_id=member.id,
                    kiosk_id="entrance",
                    purpose=purpose,
                    space=purpose,
                    home_commune=member.home_commune,
                    member_kind=member.kind.value,
                    checked_in_at=dt.datetime(2026, 10, day, hour, tzinfo=dt.UTC),
                )
            )
        for day, seconds in ((5, 5400.0), (6, 1800.0)):
            session.add(
                MachineSession(
                    id=new_event_id(),
                    site_id=SITE,
                    agent_id="laser-cutter",
                    resource="laser-cutter",
                    member_id=camille.id,
                    started_at=dt.datetime(2026, 10, day, 14, tzinfo=dt.UTC),
                    duration_s=seconds,
                )
            )
        # As the kiosk and sync keep them: the daily tallies of these rows.
        session.flush()
        rebuild(session.connection(), SITE, ZoneInfo("Europe/Paris"), until=dt.date(2026, 10, 31))
        backfill(session.connection(), SITE, ZoneInfo("Europe/Paris"))
    engine.dispose()
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", site_db)
    return ["--config", str(config), "report"]


SPAN = ["--from", "2026-10-01", "--to", "2026-10-31"]


def test_unknown_measures_and_dimensions_are_refused_naming_the_allowed(
    base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*base, "entries", *SPAN, "--measure", "entries,shoe_size"]) == 2
    err = capsys.readouterr().err
    assert "shoe_size" in err
    assert "entries, people, first_time, members, visitors, median_minutes" in err
    assert main([*base, "usage", *SPAN, "--by", "colour"]) == 2
    assert "machine, training, day, week, month, quarter, year, hour, weekday" in (
        capsys.readouterr().err
    )


def test_first_time_is_counted_per_cell_and_for_the_range(
    base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Was refused (exit 2, "first_time not computed yet") before first visits were kept.
    args = ["--measure", "people,first_time", "--by", "day", "--format", "json"]
    assert main([*base, "entries", *SPAN, *args]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["measures"] == ["people", "first_time"]
    firsts = {r["day"]: r["first_time"] for r in document["rows"] if r["first_time"]}
    assert firsts == {"2026-10-01": 1, "2026-10-06": 1}  # Camille's first day, then Léo's
    assert document["totals"] == {"people": 2, "first_time": 2}


def test_every_measure_and_the_occupancy_grid(
    base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*base, "entries", *SPAN, "--by", "weekday,hour", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["measures"] == [
        "entries",
        "people",
        "first_time",
        "members",
        "visitors",
        "median_minutes",
    ]
    # 1 October 2026 is a Thursday: Camille's five days from Thursday at 11:00 in Paris,
    # then Léo's two at 12:00.
    cells = {(r["weekday"], r["hour"]): (r["entries"], r["people"]) for r in document["rows"]}
    assert cells == {
        ("4", "11"): (1, 1),
        ("5", "11"): (1, 1),
        ("6", "11"): (1, 1),
        ("7", "11"): (1, 1),
        ("1", "11"): (1, 1),
        ("2", "12"): (1, 1),
        ("3", "12"): (1, 1),
    }
    assert document["totals"] == {
        "entries": 7,
        "people": 2,
        "first_time": 2,
        "members": 5,
        "visitors": 2,
        "median_minutes": None,  # nobody checked out
    }
    assert main([*base, "usage", *SPAN, "--by", "training", "--format", "json"]) == 0
    usage = json.loads(capsys.readouterr().out)
    assert usage["rows"] == [{"training": "laser", "sessions": 2, "hours": 2.0, "users": 1}]


def test_measure_picks_columns(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*base, "usage", *SPAN, "--measure", "hours", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["measures"] == ["hours"]
    assert document["rows"] == [{"machine": "laser-cutter", "hours": 2.0}]


def test_file_formats_need_an_output(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("xlsx", "png", "svg"):
        assert main([*base, "entries", *SPAN, "--format", fmt]) == 1
        assert f"--format {fmt} needs --output" in capsys.readouterr().err


def test_every_format_writes(base: list[str], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    for fmt in ("xlsx", "png", "svg", "csv", "json"):
        path = tmp_path / f"by-purpose.{fmt}"
        args = [*base, "entries", *SPAN, "--by", "purpose", "--measure", "entries"]
        args += ["--format", fmt, "--output", str(path)]
        assert main(args) == 0
        assert path.stat().st_size > 40
    sheet = load_workbook(tmp_path / "by-purpose.xlsx").active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == ["Coworking", 5]
    assert (tmp_path / "by-purpose.csv").read_bytes().startswith(b"\xef\xbb\xbfpurpose,entries")


def test_excel_csv_in_english(
    base: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [*base, "usage", *SPAN, "--measure", "sessions,hours", "--format", "csv", "--excel"]
    args += ["--lang", "en"]
    assert main(args) == 0
    assert capsys.readouterr().out.removeprefix("\ufeff").splitlines() == [
        "machine;sessions;hours",
        "Découpeuse laser;2;2",
    ]
    monkeypatch.setenv("COLUMNS", "160")  # first_time's column too: no name wrapped
    assert main([*base, "entries", *SPAN, "--by", "purpose", "--lang", "en"]) == 0
    shown = capsys.readouterr().out
    assert "Creativity room" in shown and "Entries" in shown


def test_publish_hides_small_cells(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    args = [*base, "entries", *SPAN, "--by", "commune", "--measure", "entries", "--publish"]
    assert main([*args, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    # Léo's 2 check-ins from Éperlecques: hidden, and Saint-Omer's 5 with them (the total
    # of 7 would give them away); the total stays.
    assert document["rows"] == [
        {"commune": "62297", "entries": None},
        {"commune": "62765", "entries": None},
    ]
    assert document["totals"] == {"entries": 7}
    assert main([*args, "--format", "csv"]) == 0
    assert capsys.readouterr().out.removeprefix("\ufeff").splitlines() == [
        "commune,entries",
        "Éperlecques (62297),< 5",
        "Saint-Omer (62765),s",
    ]
