"""The communes of the territory, for the visitors' home-commune choice and the tallies.

The list ships with the package (station/data/capso-communes.csv, public INSEE data).
People from outside the territory are recorded with `OTHER_COMMUNE`, never left blank,
so that tallies can tell "from elsewhere" from "did not say".
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

OTHER_COMMUNE = "00000"  # not an INSEE code: "from outside the territory"


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    name: str
    population: int


@cache
def load_communes() -> tuple[Commune, ...]:
    """The territory's communes, sorted by name (French collation is close enough)."""
    text = (resources.files("station") / "data" / "capso-communes.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    communes = [Commune(r["insee"], r["name"], int(r["population"])) for r in rows]
    return tuple(sorted(communes, key=lambda c: _sort_key(c.name)))


def is_known(insee: str) -> bool:
    return insee == OTHER_COMMUNE or any(c.insee == insee for c in load_communes())


def _sort_key(name: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()


UNKNOWN_COMMUNE = "unknown"  # a report's key for a commune not given ("did not say")


def commune_key(code: str | None) -> str:
    """The commune key of a report: an INSEE code of the territory, `OTHER_COMMUNE` for
    any other commune (one row, "outside the territory"), `UNKNOWN_COMMUNE` when not given."""
    if not code or code == UNKNOWN_COMMUNE:
        return UNKNOWN_COMMUNE
    if code == OTHER_COMMUNE or code in _territory():
        return code
    return OTHER_COMMUNE


@cache
def _territory() -> frozenset[str]:
    return frozenset(c.insee for c in load_communes())
