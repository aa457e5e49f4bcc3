"""Draw docs/reports/*.png: one example of each chart kind, from made-up figures.

Run by tools/report-examples. The figures are invented (a seeded generator shaped like a
year of the site) so that the examples stay the same from one run to the next.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from station.communes import OTHER_COMMUNE, load_communes
from station.reports.charts import write_chart
from station.reports.labels import Labels
from station.reports.publish import publish
from station.reports.table import UNKNOWN, ReportTable, Row
from station.reports.words import Lang

SITE = "saint-omer-gare"
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
LABELS = {
    "purposes": {
        "coworking": ("Coworking", "Coworking"),
        "fablab": ("Fablab", "Fablab"),
        "digital-help": ("Aide au numérique", "Digital-literacy help"),
    },
    "machines": {
        "laser-cutter": ("Découpeuse laser", "Découpeuse laser"),
        "printer-3d": ("Imprimante 3D", "Imprimante 3D"),
        "cnc": ("Fraiseuse CNC", "Fraiseuse CNC"),
    },
}


def table(
    name: str, dims: tuple[str, ...], measures: tuple[str, ...], rows: Sequence[Row]
) -> ReportTable:
    totals = {m: sum(r[1][m] or 0 for r in rows) for m in measures}
    return ReportTable(name, dims, measures, tuple(rows), totals, "raw", SITE, *YEAR)


def by_month_and_purpose(rng: random.Random) -> ReportTable:
    base = {"coworking": 380, "fablab": 260, "digital-help": 120}
    rows = []
    for month in range(1, 13):
        season = 0.55 if month == 8 else 1.0 + 0.15 * (month in (3, 10, 11))
        for purpose, level in base.items():
            entries = round(level * season * rng.uniform(0.85, 1.15))
            rows.append(((f"2026-{month:02d}", purpose), {"entries": entries}))
    return table("entries", ("month", "purpose"), ("entries",), rows)


def by_commune(rng: random.Random) -> ReportTable:
    rows = []
    for commune in load_communes():
        people = round(commune.population / 60 * rng.uniform(0.3, 1.4))
        if people:
            rows.append(((commune.insee,), {"people": people}))
    rows += [((OTHER_COMMUNE,), {"people": 212}), ((UNKNOWN,), {"people": 37})]
    return table("entries", ("commune",), ("people",), rows)


def occupancy(rng: random.Random) -> ReportTable:
    rows = []
    for day in range(1, 7):
        for hour in range(9, 20 if day < 6 else 13):
            peak = 1.6 if hour in (10, 11, 14, 15, 16) else 1.0
            late = 1.5 if day == 3 and hour >= 14 else 1.0  # Wednesday afternoons: the fablab
            entries = round(40 * peak * late * rng.uniform(0.7, 1.3))
            rows.append(((str(day), f"{hour:02d}"), {"entries": entries}))
    return table("entries", ("weekday", "hour"), ("entries",), rows)


def by_machine() -> ReportTable:
    rows = [
        (("cnc",), {"sessions": 3, "hours": 7.5}),
        (("laser-cutter",), {"sessions": 412, "hours": 380.25}),
        (("printer-3d",), {"sessions": 655, "hours": 2140.0}),
    ]
    return table("usage", ("machine",), ("sessions", "hours"), rows)


def main(out: Path) -> None:
    rng = random.Random(2026)
    out.mkdir(parents=True, exist_ok=True)
    fr = Labels(lang=Lang.FR, sites={SITE: "La Station"}, **LABELS)  # type: ignore[arg-type]
    en = Labels(lang=Lang.EN, sites={SITE: "La Station"}, **LABELS)  # type: ignore[arg-type]
    charts = {
        "lines-entries-by-month-and-purpose.png": (by_month_and_purpose(rng), fr),
        "bars-people-by-commune-published.png": (publish(by_commune(rng)), fr),
        "heatmap-occupancy-weekday-hour.png": (occupancy(rng), fr),
        "bars-machine-sessions-published-en.png": (publish(by_machine()), en),
    }
    for name, (figures, labels) in charts.items():
        kind = write_chart(figures, labels, out / name, "png")
        print(f"{out / name} ({kind})")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/reports"))
