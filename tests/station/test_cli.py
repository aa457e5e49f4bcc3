"""The `station` command against a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    from station.db.engine import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/site.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def station(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):  # type: ignore[no-untyped-def]
    """Run `station --json ...` in-process on a fresh database; returns (status, JSON)."""
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", database_url)

    def run(*args: str) -> tuple[int, object, str]:
        capsys.readouterr()
        status = main(["--config", str(config), "--json", *args])
        out, err = capsys.readouterr()
        return status, json.loads(out) if out.strip() else None, err

    status, result, _ = run("db", "upgrade")
    assert status == 0 and isinstance(result, dict) and result["revision"] == head_revision()
    return run


def test_member_badge_training_flow(station) -> None:  # type: ignore[no-untyped-def]
    status, camille, _ = station(
        "member",
        "add",
        "Camille",
        "Martin",
        "--email",
        "camille@example.fr",
        "--commune",
        "62765",
        "--consent",
    )
    assert status == 0
    status, badge, _ = station(
        "badge", "enroll", "camille@example.fr", "04:A1:B2:C3", "--label", "carte"
    )
    assert status == 0 and badge["member"] == "Camille Martin"
    assert "04A1B2C3" not in json.dumps(badge).upper()  # only the keyed hash is kept
    status, held, _ = station("training", "grant", camille["id"], "laser", "--by", "Paul")
    assert status == 0 and held["expires"] is not None
    status, shown, _ = station("member", "show", "Camille Martin")
    assert status == 0
    assert shown["badges"] == 1 and shown["home_commune"] == "62765"
    assert any(t.startswith("laser by Paul") for t in shown["trainings"])
    assert shown["consent_at"] is not None
    status, listed, _ = station("member", "list")
    assert [m["name"] for m in listed] == ["Camille Martin"]
    status, trainings, _ = station("training", "list")
    assert [t["training"] for t in trainings] == ["laser"]


def test_duplicate_badge_is_refused_naming_the_holder(station) -> None:  # type: ignore[no-untyped-def]
    station("member", "add", "Camille", "Martin", "--email", "camille@example.fr")
    station("member", "add", "Léa", "Petit", "--email", "lea@example.fr")
    assert station("badge", "enroll", "camille@example.fr", "04A1B2C3")[0] == 0
    status, _, err = station("badge", "enroll", "lea@example.fr", "04a1b2c3")
    assert status == 1
    assert "already held by Camille Martin" in err


def test_revoked_badge_can_be_given_to_someone_else(station) -> None:  # type: ignore[no-untyped-def]
    station("member", "add", "Camille", "Martin", "--email", "camille@example.fr")
    station("member", "add", "Léa", "Petit", "--email", "lea@example.fr")
    station("badge", "enroll", "camille@example.fr", "04A1B2C3")
    status, revoked, _ = station("badge", "revoke", "04A1B2C3")
    assert status == 0 and revoked["status"] == "revoked"
    status, again, _ = station("badge", "enroll", "lea@example.fr", "04A1B2C3")
    assert status == 0 and again["member"] == "Léa Petit" and again["status"] == "active"


def test_unknown_training_and_member_are_clear_errors(station) -> None:  # type: ignore[no-untyped-def]
    station("member", "add", "Camille", "Martin", "--email", "camille@example.fr")
    status, _, err = station("training", "grant", "camille@example.fr", "cnc")
    assert status == 1 and "no training 'cnc'" in err and "laser" in err
    status, _, err = station("member", "show", "nobody@example.fr")
    assert status == 1 and "no member matches" in err


def test_training_revoke_removes_it(station) -> None:  # type: ignore[no-untyped-def]
    station("member", "add", "Camille", "Martin", "--email", "camille@example.fr")
    station("training", "grant", "camille@example.fr", "laser")
    assert station("training", "revoke", "camille@example.fr", "laser")[0] == 0
    assert station("training", "list")[1] == []


def test_upgrade_seeds_the_site_resources_and_is_repeatable(station) -> None:  # type: ignore[no-untyped-def]
    status, result, _ = station("db", "upgrade")
    assert status == 0 and result["revision"] == head_revision()
    status, catalogue, _ = station("training", "list", "--catalogue")
    assert {t["code"] for t in catalogue} == {"laser", "printer-3d"}


def test_commands_on_a_database_not_set_up_say_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    for command in (["member", "list"], ["report", "entries"], ["purge", "--central"]):
        assert main(["--config", str(config), *command]) == 1
        err = capsys.readouterr().err
        assert "does not exist yet: run `station db upgrade" in err
        assert "Traceback" not in err
    assert not (tmp_path / "var" / "site.db").exists()  # no empty file left behind


def test_json_and_config_are_accepted_after_the_subcommand_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", f"sqlite:///{tmp_path}/site.db")
    c = str(config)
    assert main(["db", "upgrade", "--json", "--config", c]) == 0
    assert json.loads(capsys.readouterr().out)["revision"] == head_revision()
    assert main(["member", "add", "Camille", "--config", c]) == 0
    capsys.readouterr()
    for argv in (
        ["--config", c, "--json", "member", "list"],  # before, as always
        ["member", "list", "--json", "--config", c],  # after the sub-subcommand
        ["member", "--json", "list", "--config", c],  # between the two
        ["--json", "member", "list", "--config", c],
        # given twice, the one nearer the end wins, as for any option
        ["--config", str(tmp_path / "nowhere.toml"), "member", "list", "--json", "--config", c],
    ):
        assert main(argv) == 0, argv
        out = capsys.readouterr().out
        assert [m["name"] for m in json.loads(out)] == ["Camille"], argv
    assert main(["member", "list", "--config", c]) == 0  # no --json anywhere: a table
    out = capsys.readouterr().out
    assert "Camille" in out and not out.lstrip().startswith("[")


def test_member_input_is_checked(station) -> None:  # type: ignore[no-untyped-def]
    assert station("member", "add", "Lucas", "Dubois", "--email", "lucas@example.fr")[0] == 0
    status, _, err = station("member", "add", "Lucas", "Dubois", "--email", "LUCAS@example.fr")
    assert status == 1 and "already the email of Lucas Dubois" in err
    status, _, err = station("member", "add", "X", "--email", "not-an-email")
    assert status == 1 and "not an email address" in err
    status, _, err = station("member", "add", "X", "--commune", "abc")
    assert status == 1 and "unknown commune 'abc'" in err
    status, _, err = station("member", "add", "X", "--until", "2020-01-01")
    assert status == 1 and "in the past" in err


def test_a_member_with_a_first_name_only_is_found_by_it(station) -> None:  # type: ignore[no-untyped-def]
    assert station("member", "add", "Zoé")[0] == 0
    status, badge, _ = station("badge", "enroll", "zoé", "04AA5501")
    assert status == 0 and badge["member"] == "Zoé"


def test_site_writes_are_marked_for_upload_to_central(station, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from station.db import Badge, Member, MemberTraining, make_engine

    station("member", "add", "Camille", "--email", "camille@example.fr")
    station("badge", "enroll", "camille@example.fr", "04A1B2C3")
    station("training", "grant", "camille@example.fr", "laser")
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = [
            *session.scalars(select(Member)),
            *session.scalars(select(Badge)),
            *session.scalars(select(MemberTraining)),
        ]
    engine.dispose()
    assert len(rows) == 3
    assert all(row.dirty and row.origin_site == "saint-omer-gare" for row in rows)


def test_member_plans_add_and_renew(station) -> None:  # type: ignore[no-untyped-def]
    # Dates far ahead: what is checked does not depend on today's date.
    status, _, _ = station(
        "member",
        "add",
        "Inès",
        "Moreau",
        "--email",
        "ines@example.fr",
        "--plan",
        "resident",
        "--until",
        "2099-01-01",
    )
    assert status == 0
    status, shown, _ = station("member", "show", "ines@example.fr")
    assert [m.split(" → ")[1] for m in shown["memberships"]] == ["2099-01-01"]
    assert shown["memberships"][0].startswith("resident: ")
    # Renewing the same plan continues the day after it ends, for the plan's length.
    status, renewed, _ = station("member", "renew", "ines@example.fr")
    assert status == 0
    assert (renewed["plan"], renewed["valid_from"], renewed["valid_until"]) == (
        "resident",
        "2099-01-02",
        "2100-01-01",
    )
    # Another plan takes effect at once: what the old plan had from today on ends (the
    # resident membership began today, so nothing of it remains; the renewal goes too).
    status, changed, _ = station(
        "member", "renew", "ines@example.fr", "--plan", "member", "--until", "2099-06-30"
    )
    assert status == 0 and changed["plan"] == "member"
    status, shown, _ = station("member", "show", "ines@example.fr")
    assert shown["memberships"] == [f"member: {changed['valid_from']} → 2099-06-30"]
    status, _, err = station("member", "renew", "ines@example.fr", "--plan", "gold")
    assert status != 0 and "unknown plan 'gold'; expected one of member, resident, visitor" in err
    status, _, err = station("member", "add", "Léa", "--plan", "gold")
    assert status != 0 and "unknown plan 'gold'" in err


def test_commands_log_names_who_sent_what(
    station, database_url: str, tmp_path: Path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt
    import uuid

    from sqlalchemy.orm import Session

    from station.db import AccessEvent, make_engine

    dana = {"member": str(uuid.UUID(int=7)), "name": "Dana", "device": "kiosk:entree"}
    noon = dt.datetime(2026, 11, 26, 11, tzinfo=dt.UTC)  # 12:00 in Saint-Omer
    events: list[tuple[int, str, str, str, dict[str, object]]] = [  # minutes after noon, ...
        (0, "front-door", "command_applied", "applied", {"command": "lock", "author": dana}),
        (5, "laser-cutter", "command_applied", "applied", {"command": "block", "author": dana}),
        (
            10,
            "front-door",
            "command_refused",
            "expired",
            {"command": "unlock_once", "detail": "expired at x", "author": dana, "reason": "late"},
        ),
        (15, "front-door", "command_refused", "bad_signature", {"command": None, "author": None}),
        (20, "front-door", "granted", "granted", {}),  # not a command: not in the log
    ]
    engine = make_engine(database_url)
    with Session(engine) as session, session.begin():
        for minutes, agent, type_, reason, data in events:
            session.add(
                AccessEvent(
                    id=uuid.uuid4(),
                    site_id="saint-omer-gare",
                    agent_id=agent,
                    resource=agent,
                    type=type_,
                    reason=reason,
                    at=noon + dt.timedelta(minutes=minutes),
                    data={"command_id": f"c{minutes}", "detail": "", "reason": "", **data},
                )
            )
    engine.dispose()

    status, rows, _ = station("commands", "log", "--agent", "front-door")
    assert status == 0 and isinstance(rows, list)
    assert [(r["command"], r["outcome"], r["author"], r["device"]) for r in rows] == [
        ("lock", "applied", "Dana", "kiosk:entree"),
        ("unlock_once", "refused: expired (expired at x)", "Dana", "kiosk:entree"),
        ("?", "refused: bad_signature", "—", ""),  # forged: no author to trust
    ]
    assert rows[1]["reason"] == "late" and rows[0]["member"] == dana["member"]
    assert rows[0]["when"] == "2026-11-26 12:00:00+01:00"  # in the site's time

    _, since, _ = station("commands", "log", "--since", "2026-11-26T12:05")  # the site's time
    assert [(r["agent"], r["command"]) for r in since] == [  # type: ignore[union-attr]
        ("laser-cutter", "block"),
        ("front-door", "unlock_once"),
        ("front-door", "?"),
    ]

    config = tmp_path / "config.toml"
    monkeypatch.setenv("COLUMNS", "200")  # rich would cut the table to a terminal's 80
    capsys.readouterr()
    assert main(["--config", str(config), "commands", "log", "--since", "2026-11-26"]) == 0
    table = capsys.readouterr().out
    assert "Dana" in table and "kiosk:entree" in table and "refused: expired" in table
