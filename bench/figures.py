"""A benchmark's figures beside their floors, printed and written as JSON (``--json PATH``).

A figure alone moves with the machine's load from run to run; its ratio to a floor
measured in the same run (the least the work can cost, done by a minimal script)
moves much less, so a regression shows as a ratio. Every bench can build its rows
as `Figure`s, call `add_json_option` on its parser and `write_json` at the end;
``./tools/bench --json DIR`` collects one file per bench.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rich.console import Console
from rich.table import Table


class Unit(StrEnum):
    """What a figure counts: a duration (lower is better) or a rate (higher is better)."""

    SECONDS = "s"
    MILLISECONDS = "ms"
    PER_SECOND = "/s"
    BYTES = "bytes"


LOWER_IS_BETTER = frozenset({Unit.SECONDS, Unit.MILLISECONDS, Unit.BYTES})


@dataclass(frozen=True)
class Figure:
    measure: str
    value: float
    unit: Unit
    n: int = 1
    floor: float | None = None  # the same work by a minimal script, same unit, same run
    target: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times the floor's cost this figure costs (1.0 is the floor itself)."""
        if self.floor is None or self.floor == 0 or self.value == 0:
            return None
        if self.unit in LOWER_IS_BETTER:
            return self.value / self.floor
        return self.floor / self.value

    def to_json(self) -> dict[str, object]:
        return {
            "measure": self.measure,
            "n": self.n,
            "value": self.value,
            "unit": self.unit.value,
            "floor": self.floor,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": self.target,
        }


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write every figure with its floor here"
    )


def machine() -> dict[str, object]:
    """What the figures were measured on, load included (the machine is shared)."""
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def write_json(path: Path, bench: str, figures: list[Figure], **facts: object) -> None:
    document = {
        "bench": bench,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **facts,
        "figures": [figure.to_json() for figure in figures],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def shown(value: float, unit: Unit) -> str:
    if unit is Unit.PER_SECOND:
        return f"{value:,.0f}/s"
    if unit is Unit.BYTES:
        return f"{value / 1e6:,.1f} MB" if value >= 1e5 else f"{value:,.0f} bytes"
    return f"{value:.3f} {unit.value}"


def print_table(title: str, figures: list[Figure]) -> None:
    table = Table(title=title)
    for column in ("measure", "n", "value", "floor", "ratio", "target"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for figure in figures:
        table.add_row(
            figure.measure,
            f"{figure.n:,}",
            shown(figure.value, figure.unit),
            "" if figure.floor is None else shown(figure.floor, figure.unit),
            "" if figure.ratio is None else f"{figure.ratio:.2f}x",
            figure.target,
        )
    Console(width=max(Console().width, 140)).print(table)
