"""`station kiosk`: its options, a wrong kiosk id, and the screenshots it renders."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from station.cli.main import build_parser, main


def test_kiosk_command_options() -> None:
    args = build_parser().parse_args(
        ["kiosk", "--fullscreen", "--id", "entrance", "--keyboard", "off"]
    )
    assert (args.fullscreen, args.kiosk_id, args.keyboard) == (True, "entrance", "off")
    assert args.hide_cursor is None  # the config decides unless told


def test_unknown_kiosk_id_is_a_clear_error(
    config_file: Path, qapp: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_file), "kiosk", "--id", "back-door", "--no-bus"]) == 2
    assert "kiosks.back-door: no such kiosk; expected one of entrance" in capsys.readouterr().err


def test_screenshots_of_every_screen_in_both_languages(
    config_file: Path, qapp: Any, tmp_path: Path
) -> None:
    out = tmp_path / "screens"
    assert main(["--config", str(config_file), "kiosk", "--screenshots", str(out)]) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert len(names) == 26
    assert {"idle-fr.png", "idle-en.png", "visitor-fr.png", "staff-equipment-en.png"} <= set(names)
    assert {"staff-pin-fr.png", "staff-pin-en.png"} <= set(names)  # the PIN pad
    for path in out.glob("*.png"):
        header = path.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", header[16:24]) == (1280, 800)


WITHOUT_QT = """
import sys
sys.modules["PySide6"] = None  # as on a Pi installed with station[agent]: no Qt at all
from station.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_kiosk_without_qt_names_the_extra_to_install(config_file: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_QT, "--config", str(config_file), "kiosk", "--no-bus"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "station: the kiosk needs Qt (PySide6), not installed here: pip install 'station[kiosk]'"
    ]
    assert "Traceback" not in done.stderr and "ImportError" not in done.stderr
