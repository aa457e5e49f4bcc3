"""Console benchmark: the server time of every page at central, beside its query alone.

    .venv/bin/python bench/bench_console.py                 # 100,000 people, five years
    .venv/bin/python bench/bench_console.py --scale 0.1     # a tenth of the history
    .venv/bin/python bench/bench_console.py --fresh         # build the database again
    .venv/bin/python bench/bench_console.py --json PATH     # also the figures as JSON

Central is the tallies bench's kept PostgreSQL (--pg-dir): five years of the sample
site (bench/tallies_history.py, 3 M visits at --scale 1) copied into a database of its
own and purged as a central that purges daily holds it (bench/console_central.py),
topped up to --people live people with French names, emails, badges, memberships,
trainings, five years of audit log and one console account per role
(bench/console_people.py); bench/console_pages.py lists the pages and their floors. The
console (`console.app.create_app` on `sync.central.sessions`, a fixed clock at the last
day, 16:00 in Paris) is driven by Starlette's TestClient, logged in once per role; the
server time of a request runs from the ASGI call to its last byte sent (routing, the
session cookie, the account, the worker thread, the query, the template). Beside it,
in the same run, interleaved request by request, the floor: the page's data function
alone on a session (no HTTP, no account, no template). Targets (the issue's): a search
under 50 ms, every page under 100 ms at p95; a line under the table says met or missed, the exit
code only says errors (a page that fails). The figures go in docs/benchmarks.md
("## Staff console").
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import Route
from starlette.testclient import TestClient

from bench.console_central import console_database
from bench.console_pages import Probe, prepare, probes
from bench.console_people import BADGE_KEY, NOW, PASSWORD, ROLES, registry
from bench.figures import Figure, Unit, add_json_option, print_table, write_json
from bench.tallies_history import ROOT, KeptPostgres
from console.accounts import authenticate
from console.app import create_app, settle_heap
from station.config import load_config
from station.db import make_engine
from station.db.staff import Role
from sync import central
from tests.support.postgres import server_binaries

# GET routes that are no page to time: the login form, the language switch, a stream.
NOT_PAGES = {"/login", "/language/{code}", "/sites/{site_id}/live"}


@dataclass(frozen=True)
class Row:
    probe: Probe
    spent: list[float]
    floor: list[float]
    error: str = ""  # the page failed: what it raised or answered


class ServerTime:
    """ASGI wrapper: the time from the request's arrival to its last byte sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        await self.app(scope, receive, send)
        self.last = time.perf_counter() - started


def log_in(client: TestClient, email: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token, "no CSRF token in /login"
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf": token.group(1)}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"login of {email} answered {answer.status_code}")


def measure(
    sessions: sessionmaker[Session],
    clients: dict[Role, TestClient],
    timer: ServerTime,
    probe: Probe,
    runs: int,
    warmup: int,
) -> Row:
    client = clients[probe.role]
    spent: list[float] = []
    floor: list[float] = []
    for n in range(warmup + runs):
        answer = client.get(probe.path)
        if answer.status_code != 200:
            raise RuntimeError(f"{probe.path} answered {answer.status_code}")
        page = timer.last
        started = time.perf_counter()
        with sessions() as db, db.begin():
            probe.floor(db)
        if n >= warmup:
            spent.append(page)
            floor.append(time.perf_counter() - started)
    return Row(probe, spent, floor)


def measure_login(
    sessions: sessionmaker[Session], client: TestClient, timer: ServerTime, runs: int
) -> Row:
    """The login form posted: argon2id on purpose (RFC 9106's low-memory profile)."""
    email = ROLES[Role.RECEPTION]
    spent: list[float] = []
    floor: list[float] = []
    for _ in range(runs):
        client.cookies.clear()
        log_in(client, email)
        spent.append(timer.last)
        started = time.perf_counter()
        with sessions() as db, db.begin():
            authenticate(db, email, PASSWORD)
        floor.append(time.perf_counter() - started)
    probe = Probe(
        "log in (argon2id, audited)", "/login", "POST /login", lambda db: None, target_ms=None
    )
    return Row(probe, spent, floor)


def unmeasured(app: Any, measured: set[str]) -> list[str]:
    """GET routes of the console that no probe requests (a page added since)."""
    return sorted(
        route.path
        for route in app.routes
        if isinstance(route, Route)
        and "GET" in (route.methods or ())
        and route.path not in measured | NOT_PAGES
    )


# -- the run ------------------------------------------------------------------------------


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _figures(engine: Engine) -> str:
    counts = {
        "people": "SELECT count(*) FROM members WHERE deleted_at IS NULL",
        "badges": "SELECT count(*) FROM credentials",
        "memberships": "SELECT count(*) FROM memberships",
        "trainings": "SELECT count(*) FROM member_trainings",
        "visits": "SELECT count(*) FROM visits",
        "audit entries": "SELECT count(*) FROM audit_log",
    }
    with engine.connect() as connection:
        found = {name: connection.execute(text(sql)).scalar() for name, sql in counts.items()}
    return ", ".join(f"{int(n or 0):,} {name}" for name, n in found.items())


def figures(rows: list[Row]) -> list[Figure]:
    """Each page's p50 and p95 (ms) beside its floor's; a page that failed has none."""
    found: list[Figure] = []
    for row in rows:
        if row.error:
            continue
        goal = row.probe.target_ms
        for pct in (50, 95):
            found.append(
                Figure(
                    f"{row.probe.name}: p{pct}",
                    _pct(row.spent, pct) * 1000,
                    Unit.MILLISECONDS,
                    len(row.spent),
                    _pct(row.floor, pct) * 1000,
                    f"< {goal:.0f} ms" if goal and pct == 95 else "",
                )
            )
    return found


def print_verdicts(rows: list[Row]) -> None:
    """The targets (p95) met or missed, and the pages that failed with what they raised."""
    timed = [row for row in rows if not row.error and row.probe.target_ms]
    missed = [
        f"{row.probe.name} p95 {_pct(row.spent, 95) * 1000:.1f} ms (< {row.probe.target_ms:.0f})"
        for row in timed
        if _pct(row.spent, 95) * 1000 >= (row.probe.target_ms or 0)
    ]
    print(
        f"targets (p95): {len(timed) - len(missed)} met, {len(missed)} MISSED"
        + (": " + "; ".join(missed) if missed else "")
    )
    for row in rows:
        if row.error:
            print(f"FAILED {row.probe.name} ({row.probe.path}): {row.error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="of the tallies' 3 M visits")
    parser.add_argument("--people", type=int, default=100_000, help="people at central")
    parser.add_argument("--runs", type=int, default=30, help="requests of each page, timed")
    parser.add_argument("--warmup", type=int, default=3, help="requests of each page before")
    parser.add_argument("--fresh", action="store_true", help="build the database again")
    parser.add_argument("--only", default="", help="the pages whose name holds these words")
    parser.add_argument(
        "--pg-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "station-bench-tallies",
        help="PostgreSQL data kept between runs (the tallies bench's)",
    )
    add_json_option(parser)
    args = parser.parse_args()
    config = load_config(ROOT / "config.toml")
    binaries = server_binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL is not installed")
    with ExitStack() as stack:
        pg = KeptPostgres(binaries, args.pg_dir)
        pg.start()
        stack.callback(pg.close)
        url = console_database(pg.url, make_engine, config, args.scale, args.people, args.fresh)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        sessions = central.sessions(engine)
        timer = ServerTime(
            create_app(
                sessions,
                badge_key=BADGE_KEY,
                timezone=config.site.timezone,
                clock=lambda: NOW,
                config=config,
            )
        )
        clients: dict[Role, TestClient] = {}
        for role in (Role.ADMIN, Role.MANAGER):
            clients[role] = stack.enter_context(TestClient(timer, follow_redirects=False))
            log_in(clients[role], ROLES[role])
        print(_figures(engine))
        people = registry(engine)
        known = prepare(engine, sessions, people, config)
        # The bench's own data (the registry of 100,000 people), which no server holds,
        # set apart from the collector as the console's start-up set apart its own.
        settle_heap()
        present = {r.path for r in timer.app.routes if isinstance(r, Route)}
        chosen = [
            p
            for p in probes(known, config.site.id, config)
            if p.route in present and args.only in p.name
        ]
        rows = []
        for probe in chosen:
            try:
                rows.append(measure(sessions, clients, timer, probe, args.runs, args.warmup))
            except Exception as exc:  # a page that fails is reported, the others measured
                rows.append(Row(probe, [], [], f"{type(exc).__name__}: {exc}"[:160]))
                print(f"  {probe.name}: FAILED {rows[-1].error}")
                continue
            print(f"  {probe.name}: p95 {_pct(rows[-1].spent, 95) * 1000:.1f} ms")
        login_client = stack.enter_context(TestClient(timer, follow_redirects=False))
        if args.only in "log in":
            rows.append(measure_login(sessions, login_client, timer, max(5, args.runs // 3)))
        missing = [] if args.only else unmeasured(timer.app, {p.route for p in chosen})
    found = figures(rows)
    print_table(
        f"station console, scale {args.scale}, {sum(people.live):,} people "
        f"({os.cpu_count()} cores)",
        found,
    )
    print_verdicts(rows)
    if missing:
        print("not measured (no probe yet): " + ", ".join(missing))
    if args.json is not None:
        write_json(
            args.json,
            "console",
            found,
            paths={row.probe.name: row.probe.path for row in rows},
            failed={row.probe.name: row.error for row in rows if row.error},
        )
    failed = [row.probe.path for row in rows if row.error]
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
