"""What bench_console.py requests: every page of the console with its floor (the page's
data function alone on a session), and what those pages need at central beside the
history: the site as its sync last reported it (link, agents, resources) and an
import batch of 1,000 rows waiting for its confirmation."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.console_people import BADGE_KEY, NOW, ROLES, Registry, uid_of
from bench.tallies_history import FIRST, LAST
from console import audit
from console.dashboard import dashboard
from console.members import member_page, search
from station.command_requests import recent
from station.config import StationConfig
from station.credential import Credential
from station.db import Member, Resource, ResourceKind, Visit
from station.db.live import live_get, select_live
from station.db.site_live import SiteAgent, SiteLink
from station.db.staff import AuditAction, ImportBatch, Role
from station.importer import batches
from station.importer.preview import preview
from station.merge import pair
from station.protocol.vocabulary import AgentKind, StatusField
from station.refusals import candidates, open_refusals
from station.reports.asked import Asked, checked, compute, known_sites, yearly_summary
from station.reports.table import Report
from station.site_view import live_site, site_list

SEARCH_MS, PAGE_MS = 50.0, 100.0
IMPORT_NAME = "bench-inscriptions.csv"
Floor = Callable[[Session], object]


@dataclass(frozen=True)
class Probe:
    name: str
    route: str  # the route's path as the console declares it
    path: str  # what is requested
    floor: Floor
    role: Role = Role.ADMIN
    target_ms: float | None = PAGE_MS  # None: no target (a cost chosen on purpose)


@dataclass(frozen=True)
class Known:
    """The people and rows the probes name, found in the database."""

    regular: uuid.UUID  # the person with the most visits
    holder: int  # n of a live person holding the badge uid_of(n)
    email: str
    commune: str
    twins: tuple[uuid.UUID, uuid.UUID]  # two live records of one email
    batch: uuid.UUID


def probes(known: Known, site: str, config: StationConfig) -> list[Probe]:
    zone = config.site.timezone
    account = ROLES[Role.RECEPTION]
    return [
        Probe("dashboard, every site", "/", "/", lambda db: dashboard(db, NOW, zone)),
        Probe(
            "dashboard, one site (manager)",
            "/",
            "/",
            lambda db: dashboard(db, NOW, zone, site),
            role=Role.MANAGER,
        ),
        *_searches(known),
        Probe(
            "a person (the most regular)",
            "/members/{member_id}",
            f"/members/{known.regular}",
            lambda db: member_page(db, known.regular),
        ),
        *_person_forms(known),
        Probe("audit log, newest", "/audit", "/audit", lambda db: audit.entries(db, limit=50)),
        Probe(
            "audit log, one account",
            "/audit",
            f"/audit?account={account}",
            lambda db: audit.entries(db, account=account, limit=50),
        ),
        Probe(
            "audit log, one action, page 20",
            "/audit",
            "/audit?action=login&page=20",
            lambda db: audit.entries(db, action=AuditAction.LOGIN, offset=950, limit=50),
        ),
        *_site_pages(site),
        *_reports(site, config),
        Probe(
            "refusals",
            "/refusals",
            "/refusals",
            lambda db: (open_refusals(db, None), candidates(db, None)),
        ),
        Probe(
            "refusals and the records sharing an email",
            "/refusals",
            "/refusals?emails=1",
            lambda db: (open_refusals(db, None), candidates(db, None, emails=True)),
        ),
        Probe(
            "merge: two records of one email",
            "/merge",
            f"/merge?a={known.twins[0]}&b={known.twins[1]}",
            lambda db: _merge_floor(db, known.twins),
        ),
        Probe("import: the upload form", "/import", "/import", lambda db: None),
        Probe(
            "import: preview of 1,000 rows",
            "/import/{batch_id}",
            f"/import/{known.batch}",
            lambda db: _preview_floor(db, known.batch, config),
        ),
    ]


def _searches(known: Known) -> list[Probe]:
    terms = [
        ("name prefix", "mar", 1),
        ("name prefix, page 3", "mar", 3),
        ("surname", "Martin", 1),
        ("first name and surname", "Camille Martin", 1),
        ("email", known.email, 1),
        ("commune (INSEE code)", known.commune, 1),
        ("badge UID", uid_of(known.holder), 1),
    ]

    def finds(query: str, page: int) -> Floor:
        return lambda db: search(db, query, BADGE_KEY, page=page)

    return [
        Probe(
            f"search: {what}",
            "/members",
            f"/members?q={query}" + (f"&page={page}" if page > 1 else ""),
            finds(query, page),
            target_ms=SEARCH_MS,
        )
        for what, query, page in terms
    ]


def _person_forms(known: Known) -> list[Probe]:
    """A person's forms (GET): their floor is the person's row."""

    def person(db: Session) -> object:
        return live_get(db, Member, known.regular)

    forms = ("edit", "renew", "badges", "trainings", "pin", "forget", "outcomes")
    return [
        Probe("new person: the form", "/members/new", "/members/new", lambda db: None),
        *(
            Probe(
                f"a person's form: {form}",
                f"/members/{{member_id}}/{form}",
                f"/members/{known.regular}/{form}",
                person,
            )
            for form in forms
        ),
    ]


def _site_pages(site: str) -> list[Probe]:
    def commands(db: Session) -> object:
        resources = select_live(Resource).where(
            Resource.site_id == site, Resource.kind != ResourceKind.SPACE
        )
        return list(db.scalars(resources)), recent(db, site)

    return [
        Probe("sites", "/sites", "/sites", lambda db: site_list(db, NOW)),
        Probe(
            "a live site (who is in, doors, machines)",
            "/sites/{site_id}",
            f"/sites/{site}",
            lambda db: (live_site(db, site, NOW), recent(db, site)),
        ),
        Probe(
            "a site's commands", "/sites/{site_id}/commands", f"/sites/{site}/commands", commands
        ),
    ]


def _reports(site: str, config: StationConfig) -> list[Probe]:
    five = f"from={FIRST}&to={LAST}"
    asked = [
        ("report: this year by month (the form's default)", "", Report.ENTRIES, ("month",), None),
        ("report: five years by month", f"?{five}&by=month", Report.ENTRIES, ("month",), None),
        ("report: five years by day", f"?{five}&by=day", Report.ENTRIES, ("day",), None),
        (
            "report: five years by commune",
            f"?{five}&by=commune",
            Report.ENTRIES,
            ("commune",),
            None,
        ),
        (
            "report: five years by weekday and hour, one site",
            f"?{five}&by=weekday&then=hour&site={site}",
            Report.ENTRIES,
            ("weekday", "hour"),
            site,
        ),
        (
            "report: machine use over five years",
            f"?report=usage&{five}&by=machine",
            Report.USAGE,
            ("machine",),
            None,
        ),
        (
            "report: five years by month, CSV",
            f"?{five}&by=month&format=csv",
            Report.ENTRIES,
            ("month",),
            None,
        ),
    ]
    this_year = NOW.date().replace(month=1, day=1)

    def figures(report: Report, dims: tuple[str, ...], where: str | None, query: str) -> Floor:
        first = FIRST if "from=" in query else this_year
        last = LAST if "from=" in query else NOW.date()

        def floor(db: Session) -> object:
            connection = db.connection()
            known_sites(connection)
            return compute(connection, checked(Asked(report, first, last, dims, where)), config)

        return floor

    chart = f"?{five}&by=month"
    return [
        *(
            Probe(name, "/reports", f"/reports{query}", figures(report, dims, where, query))
            for name, query, report, dims, where in asked
        ),
        Probe(
            "yearly summary 2025, every site",
            "/reports/summary",
            "/reports/summary?year=2025",
            lambda db: yearly_summary(db.connection(), None, 2025, NOW.date(), config),
        ),
        Probe(
            "report's chart: five years by month (SVG)",
            "/reports/chart.svg",
            f"/reports/chart.svg{chart}",
            figures(Report.ENTRIES, ("month",), None, chart),
        ),
    ]


def _merge_floor(db: Session, twins: tuple[uuid.UUID, uuid.UUID]) -> object:
    found = pair(db, *twins)
    for member in (found.kept, found.gone):
        db.scalar(select(func.count()).select_from(Visit).where(Visit.member_id == member.id))
        db.scalars(select(Visit.site_id).where(Visit.member_id == member.id).distinct()).all()
    return found


def _preview_floor(db: Session, batch_id: uuid.UUID, config: StationConfig) -> object:
    batch = batches.load(db, batch_id)
    assert batch is not None and batch.content is not None
    plans = {code: (p.fr, p.en) for code, p in config.plans.items()}
    shown = preview(db, batch.content, None, today=NOW.date(), badge_key=BADGE_KEY, plans=plans)
    return shown, batches.earlier_import(db, batch)


# -- what the pages need ------------------------------------------------------------------


def prepare(
    engine: Engine, sessions: sessionmaker[Session], people: Registry, config: StationConfig
) -> Known:
    """The site's live rows and an import batch (written again each run: small), and the
    people the probes name."""
    site = config.site.id
    with sessions() as db, db.begin():
        _live_site(db, config)
        earlier = delete(ImportBatch).where(
            ImportBatch.filename == IMPORT_NAME, ImportBatch.applied_at.is_(None)
        )
        db.execute(earlier)  # the bench's batch of the run before
        batch = batches.store(
            db, _sheet(people), filename=IMPORT_NAME, account=ROLES[Role.ADMIN], now=NOW
        )
    with engine.connect() as connection:
        regular = connection.execute(
            text(
                "SELECT member_id FROM visits WHERE member_id IS NOT NULL AND site_id = :s "
                "GROUP BY member_id ORDER BY count(*) DESC LIMIT 1"
            ),
            {"s": site},
        ).scalar_one()
        commune = connection.execute(
            text(
                "SELECT home_commune FROM members WHERE home_commune IS NOT NULL "
                "GROUP BY home_commune ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        twins = connection.execute(
            text(
                "SELECT min(id::text), max(id::text) FROM members WHERE deleted_at IS NULL "
                "AND email IS NOT NULL GROUP BY lower(email) HAVING count(*) = 2 LIMIT 1"
            )
        ).one()
    return Known(
        regular=uuid.UUID(str(regular)),
        holder=_holder(engine, people),
        email=next(
            e
            for n, e in enumerate(people.emails)
            if e and people.live[n] and n > people.people // 2
        ),
        commune=str(commune),
        twins=(uuid.UUID(twins[0]), uuid.UUID(twins[1])),
        batch=batch.id,
    )


def _holder(engine: Engine, people: Registry) -> int:
    with engine.connect() as connection:
        for n in range(people.people // 2, people.people):
            found = connection.execute(
                text(
                    "SELECT 1 FROM credentials c JOIN members m ON m.id = c.member_id "
                    "WHERE c.hash = :h AND c.deleted_at IS NULL AND m.deleted_at IS NULL"
                ),
                {"h": Credential.uid(uid_of(n)).keyed_hash(BADGE_KEY)},
            ).scalar()
            if found:
                return n
    raise RuntimeError("nobody holds a badge")


def _live_site(db: Session, config: StationConfig) -> None:
    """The site as its sync reports it: heard a few seconds ago, every agent online."""
    site = config.site.id
    link = db.get(SiteLink, site) or SiteLink(site_id=site, name=site)
    link.heard_at, link.poll_s = NOW - dt.timedelta(seconds=5), 30.0
    link.version = (link.version or 0) + 1
    db.add(link)
    for agent_id, agent in config.agents.items():
        kind = ResourceKind.DOOR if agent.kind == AgentKind.DOOR else ResourceKind.MACHINE
        here = select_live(Resource).where(
            Resource.site_id == site, Resource.code == agent.resource
        )
        if db.scalar(here) is None:
            db.add(Resource(site_id=site, code=agent.resource, kind=kind, name=agent.name))
        row = db.get(SiteAgent, (site, agent_id)) or SiteAgent(
            site_id=site, agent_id=agent_id, name=agent.name, kind=AgentKind(agent.kind)
        )
        status: dict[str, Any] = {
            StatusField.ONLINE: True,
            StatusField.KIND: agent.kind,
            StatusField.RELAY: False,
        }
        row.resource, row.online, row.seen_at = agent.resource, True, NOW
        row.status, row.alarms = {str(k): v for k, v in status.items()}, []
        db.add(row)


def _sheet(people: Registry) -> bytes:
    """A sign-up sheet of 1,000 rows: 300 people already at central, 694 new, 6 wrong."""
    lines = ["Prénom;Nom;Courriel;Commune;Date d'inscription;Badge"]
    start = people.people // 3
    for n in range(start, start + 300):
        email = people.emails[n] or ""
        lines.append(
            f"{people.first_names[n]};{people.last_names[n]};{email};{people.home[n] or ''};"
            f"{1 + n % 28:02d}/09/2024;"
        )
    for n in range(694):
        lines.append(
            f"{people.first_names[n]};Nouveau{n};nouveau{n}@exemple.fr;62765;"
            f"{1 + n % 28:02d}/11/2026;0C{n:012X}"
        )
    bad = ["Camille;Martin;pas-un-courriel;62765;02/11/2026;", ";;;;;", "Léa;Roux;;99999;;04A1"]
    lines += bad * 2
    return ("\n".join(lines) + "\n").encode()
