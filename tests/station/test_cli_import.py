"""`station member import FILE`: the console's importer at the command line, at a site."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from station.cli.main import main
from tests.support.import_sheets import SAMPLE

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, object, str]]


@pytest.fixture
def station(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """`station --json ...` in-process on a fresh SQLite site with the sample configuration."""
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", f"sqlite:///{tmp_path}/site.db")

    def run(*args: str) -> tuple[int, object, str]:
        capsys.readouterr()
        status = main(["--config", str(config), "--json", *args])
        out, err = capsys.readouterr()
        return status, json.loads(out) if out.strip() else None, err

    assert run("db", "upgrade")[0] == 0
    return run


def test_dry_run_then_import_then_again(station: Run) -> None:
    status, dry, _ = station("member", "import", str(SAMPLE), "--dry-run")
    assert status == 0 and isinstance(dry, dict)
    # The sample configuration declares member, resident and visitor: "Étudiant" is none.
    assert dry["created"] == 0 and 7 in dry["problem_rows"] and 3 in dry["problem_rows"]
    assert any("row 3, Formule" in p and "unknown_plan" in p for p in dry["problems"])
    assert station("member", "list")[1] == []
    status, done, _ = station("member", "import", str(SAMPLE))
    assert status == 0 and isinstance(done, dict) and done["created"] == dry["new"] > 0
    status, people, _ = station("member", "list")
    assert isinstance(people, list) and len(people) == done["created"]
    status, again, _ = station("member", "import", str(SAMPLE))
    assert isinstance(again, dict) and again["created"] == 0
    assert again["already_there"] == done["created"]


def test_a_mapping_given(station: Run, tmp_path: Path) -> None:
    sheet = tmp_path / "liste.csv"
    sheet.write_text("Qui,Adresse\nAna,ana@exemple.fr\n", encoding="utf-8")
    status, _, err = station("member", "import", str(sheet))
    assert status != 0 and "no column is imported as the first name" in err
    status, done, _ = station("member", "import", str(sheet), "--mapping", "first_name,email")
    assert status == 0 and isinstance(done, dict) and done["created"] == 1
    status, _, err = station("member", "import", str(sheet), "--mapping", "first_name")
    assert status != 0 and "the file has 2" in err
