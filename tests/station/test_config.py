"""Configuration: the sample loads; every kind of bad file exits 2 naming file and key."""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from station.config import load_config
from station.config.docs import generate
from station.errors import ConfigError
from tests.support.cli import station_argv

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (ROOT / "config.toml").read_text(encoding="utf-8")


def test_sample_config_loads_into_immutable_objects() -> None:
    config = load_config(ROOT / "config.toml")
    assert config.site.id == "saint-omer-gare"
    assert set(config.agents) == {"front-door", "laser-cutter", "printer-3d"}
    assert config.agents["laser-cutter"].trainings == ("laser",)
    assert [p.id for p in config.purposes] == [
        "coworking",
        "fablab",
        "creativity",
        "digital-help",
        "event",
    ]
    with pytest.raises(ValidationError):  # frozen: loaded once, never changed
        config.site.name = "other"  # type: ignore[misc]


def test_environment_picks_another_file_and_overrides_secrets(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(SAMPLE.replace('name = "La Station"', 'name = "Autre"'), encoding="utf-8")
    config = load_config(other, environ={"STATION_BADGE_KEY": "x" * 20})
    assert config.site.name == "Autre"
    assert config.site.badge_key == "x" * 20


def test_the_former_secret_is_refused_by_its_new_name(tmp_path: Path) -> None:
    """Ignored, the old name would leave the demo key in force: every badge hash would
    change and every badge be denied. Refused, it says what to rename."""
    with pytest.raises(ConfigError, match="renamed STATION_BADGE_KEY"):
        load_config(ROOT / "config.toml", environ={"STATION_SITE_SECRET": "x" * 20})
    old = tmp_path / "old.toml"
    old.write_text(SAMPLE.replace("badge_key = ", "secret = "), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(old, environ={})
    assert any("site.secret: renamed badge_key" in line for line in caught.value.problems)


def test_station_config_variable_names_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from station.config import config_path

    monkeypatch.setenv("STATION_CONFIG", str(tmp_path / "x.toml"))
    assert config_path() == tmp_path / "x.toml"
    assert config_path("explicit.toml") == Path("explicit.toml")


def test_relative_sqlite_url_is_taken_from_the_file_directory(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(SAMPLE, encoding="utf-8")
    config = load_config(path)
    assert config.resolve_url(config.database.url) == f"sqlite:///{tmp_path}/var/site.db"


BAD_CONFIGS = {
    "bad_toml": (lambda s: s.replace("[site]", "[site", 1), "invalid TOML"),
    "unknown_key": (
        lambda s: s.replace("[site]\n", "[site]\ncolour = 'blue'\n", 1),
        "site.colour: unknown key",
    ),
    "wrong_type": (lambda s: s.replace("port = 18830", 'port = "high"'), "mqtt.port:"),
    "missing_key": (lambda s: s.replace('name = "La Station"\n', ""), "site.name: missing"),
    "pin_twice": (
        lambda s: s.replace("contact = 27", "contact = 17"),
        "agents.front-door.pins.contact: GPIO 17 is already used by pins.relay",
    ),
    "unknown_training": (
        lambda s: s.replace('trainings = ["laser"]', 'trainings = ["cnc"]'),
        "agents.laser-cutter.trainings.0: unknown training 'cnc'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_gives_status_2_and_one_line_naming_file_and_key(
    case: str, tmp_path: Path
) -> None:
    mutate, expected = BAD_CONFIGS[case]
    path = tmp_path / "config.toml"
    path.write_text(mutate(SAMPLE), encoding="utf-8")
    result = subprocess.run(
        station_argv(path, "config", "check"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: ")
    assert expected in lines[0]


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        SAMPLE.replace("port = 18830", "port = 0").replace(
            'timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    keys = [line.split(": ")[1] for line in caught.value.problems]
    assert keys == ["site.timezone", "mqtt.port"]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_configuration_docs_match_the_schema() -> None:
    documented = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert documented == generate(), "run: station config docs > docs/configuration.md"


def test_every_key_of_the_sample_is_documented() -> None:
    documented = generate()

    def keys(table: dict[str, object], prefix: str) -> list[str]:
        found = []
        for key, value in table.items():
            found.append(prefix + key)
            if isinstance(value, dict):
                found += keys(value, prefix + key + ".")
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                found += keys(value[0], prefix + key + "[].")
        return found

    sample = tomllib.loads(SAMPLE)
    for key in keys(sample, ""):
        parts = key.split(".")
        if (
            parts[0]
            in {
                "spaces",
                "trainings",
                "skills",
                "kiosks",
                "agents",
                "schedules",
                "plans",
                "resource_groups",
            }
            and len(parts) > 1
        ):
            parts[1] = "<id>"
        if parts[:1] == ["plans"] and parts[2:3] == ["access"] and len(parts) > 3:
            continue  # a plan's access maps resources to schedules: free keys
        generic = ".".join(parts)
        if generic.endswith(".<id>"):
            continue  # the table of an entry; its keys are checked one by one
        assert f"`{generic}`" in documented, generic


def test_unknown_reader_path_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(SAMPLE.replace('path = "sim:front-door"', 'path = "usb:foo"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert len(caught.value.problems) == 1
    assert "agents.front-door.reader.path: a reader path" in caught.value.problems[0]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda s: s.replace(
                "door = { unlock_s = 5", "machine = { presence = true }\ndoor = { unlock_s = 5", 1
            ),
            "agents.front-door.machine: a door agent has no machine table; "
            "expected kind = 'machine' or no machine table",
        ),
        (
            lambda s: s.replace(
                "machine = { presence = true,",
                "door = { unlock_s = 5 }\nmachine = { presence = true,",
            ),
            "agents.laser-cutter.door: a machine agent has no door table; "
            "expected kind = 'door' or no door table",
        ),
        (
            lambda s: s.replace('kind = "door"', 'kind = "robot"', 1),
            "agents.front-door: unknown kind of agent; expected kind = 'door' or 'machine'",
        ),
        (
            lambda s: s.replace('kind = "door"\n', "", 1),
            "agents.front-door.kind: missing required key",
        ),
    ],
    ids=["door_with_machine_table", "machine_with_door_table", "unknown_kind", "no_kind"],
)
def test_an_agent_is_a_door_or_a_machine_never_both(
    mutate: Callable[[str], str], expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(mutate(SAMPLE), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(f"{path}: {expected}")
