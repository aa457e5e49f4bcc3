"""The registry bench_console.py measures: central with five years of history
(bench/tallies_history.py), topped up to 100,000 people with French names, emails,
badges, memberships, trainings, five years of audit log and the console's accounts.

Written into the copy of the history that bench/console_central.py makes, by COPY, from
one seeded generator (the same people every time).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from bench.tallies_history import FIRST, ROOT, _copy, _uuid
from console.accounts import add_account
from station.config import StationConfig
from station.credential import Credential
from station.db.staff import AuditAction, Role
from sync import central

BADGE_KEY = b"bench-console-badge-key"
PASSWORD = "bench console password"
# The console's "now": the history's last day, a Monday, 16:00 in Paris (people are in).
NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
READY = "bench_console_ready"
GONE = ""  # the kind the top-up gives a tombstone: no badge, membership or training
ROLES = {  # the bench's accounts; the site ones belong to the history's site
    Role.ADMIN: "admin@bench.example",
    Role.MANAGER: "manager@bench.example",
    Role.FABMANAGER: "fabmanager@bench.example",
    Role.RECEPTION: "reception@bench.example",
}
FIRST_NAMES = (
    "Camille Léa Manon Chloé Emma Inès Jade Louise Lina Zoé Sarah Anaïs Julie Marie Élodie "
    "Hélène Nathalie Isabelle Sophie Céline Sandrine Valérie Christine Martine Monique "
    "Françoise Catherine Aurélie Émilie Lucie Pauline Margaux Clara Alice Jeanne Rose Ambre "
    "Océane Mathilde Justine Lucas Hugo Louis Gabriel Arthur Jules Adam Nathan Léo Raphaël "
    "Enzo Thomas Théo Maxime Nicolas Julien Antoine Alexandre Quentin Kévin Romain Sébastien "
    "Christophe Stéphane Philippe Pierre Jean Michel Alain Patrick Bernard Éric Frédéric "
    "Laurent Olivier David Jérôme François Mathis Noah Yanis Mohamed Karim Sami"
)
LAST_NAMES = (
    "Martin,Bernard,Dubois,Thomas,Robert,Richard,Petit,Durand,Leroy,Moreau,Simon,Laurent,"
    "Lefebvre,Michel,Garcia,David,Bertrand,Roux,Vincent,Fournier,Morel,Girard,André,Lefèvre,"
    "Mercier,Dupont,Lambert,Bonnet,François,Martinez,Legrand,Garnier,Faure,Rousseau,Blanc,"
    "Guérin,Muller,Henry,Roussel,Nicolas,Perrin,Morin,Mathieu,Clément,Gauthier,Dumont,Lopez,"
    "Fontaine,Chevalier,Robin,Masson,Sanchez,Gérard,Nguyen,Boyer,Denis,Lemaire,Duval,Joly,"
    "Gautier,Roger,Roche,Roy,Noël,Meyer,Lucas,Meunier,Jean,Pérez,Marchand,Dufour,Blanchard,"
    "Marie,Barbier,Brun,Dumas,Brunet,Schmitt,Leroux,Colin,Fernandez,Pierre,Renard,Arnaud,"
    "Rolland,Caron,Aubert,Giraud,Leclerc,Vidal,Bourgeois,Renaud,Lemoine,Picard,Gaillard,"
    "Philippe,Leclercq,Lacroix,Fabre,Dupuis,Olivier,Rodriguez,Da Silva,Hubert,Louis,Charles,"
    "Guillot,Rivière,Le Gall,Guillaume,Adam,Rey,Moulin,Gonzalez,Berger,Lecomte,Ménard,Fleury,"
    "Deschamps,Carpentier,Julien,Benoît,Paris,Maillard,Marchal,Aubry,Vasseur,Le Roux,Renault,"
    "Jacquet,Collet,Prévost,Poirier,Charpentier,Royer,Huet,Baron,Dupuy,Pons,Paul,Laine,Carré,"
    "Breton,Rémy,Schneider,Perrot,Guyot,Barre,Marty,Cousin,Delattre,Delannoy,Vandenbussche,"
    "Declercq,Dewaele,Vanhove,Hennebelle,Lheureux,Wallet,Delplace,Lefranc,Vasseur,Boulanger"
)
# The long tail of surnames: syllables put together (4,368 of them), for the 55 % of
# people whose name is none of the common ones, as in a real register.
ONSETS = "Bou Ca De Fo Ga Ha Jo La Le Ma Mo Pe Ri Sa Ta Va Wa Dou Lam Ver Hen Bri Cor Mer"
MIDDLES = "ba che de gne la li mon ne ra ri ta ve -"
ENDINGS = "rt ux t s nd rd l n au el in on ier et"
DOMAINS = ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "wanadoo.fr")


@dataclass(frozen=True)
class Registry:
    """What the bench looks up: people it knows the name, email, badge and commune of."""

    people: int
    first_names: list[str]
    last_names: list[str]
    emails: list[str | None]
    home: list[str | None]
    live: list[bool]


def uid_of(n: int) -> str:
    """Person n's active badge: a 7-byte UID (NXP's 04 prefix)."""
    return f"04{n:012X}"


def registry(engine: Engine) -> Registry:
    """The people as the top-up wrote them, read back (n is the order of their ids)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT first_name, last_name, email, home_commune, deleted_at IS NULL "
                "FROM members ORDER BY id"
            )
        ).all()
    return Registry(
        people=len(rows),
        first_names=[r[0] for r in rows],
        last_names=[r[1] for r in rows],
        emails=[r[2] for r in rows],
        home=[r[3] for r in rows],
        live=[bool(r[4]) for r in rows],
    )


# -- the top-up ---------------------------------------------------------------------------


def top_up(engine: Engine, config: StationConfig, people: int) -> None:
    """`people` live people, every one named; badges, memberships, trainings, audit log,
    and the console's accounts."""
    started = time.perf_counter()
    rng = np.random.default_rng(13)
    with engine.begin() as connection:
        rows = connection.execute(
            text(
                "SELECT id::text, kind, created_at::date, deleted_at IS NULL FROM members "
                "ORDER BY id"
            )
        ).all()
    existing = len(rows)
    total = existing + max(0, people - sum(1 for r in rows if r[3]))
    names = _names(rng, total)
    home = _communes(rng, total)
    span = (NOW.date() - FIRST).days
    created = [r[2] for r in rows] + [
        FIRST + dt.timedelta(days=int(d)) for d in rng.integers(0, span, total - existing)
    ]
    kind = [r[1] if r[3] else GONE for r in rows] + [
        "member" if r < 0.4 else "visitor" for r in rng.random(total - existing)
    ]
    assert all(r[0] == _uuid(0, n) for n, r in enumerate(rows)), "people as generated"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET session_replication_role = replica")  # a bulk load: no FK checks
        cursor.execute("SET maintenance_work_mem = '256MB'")
        with engine.begin() as connection:
            revision = central.allocate(connection, 4 * total)
        _people(cursor, names, home, created, kind, existing, revision)
        _badges(cursor, kind, created, revision + total, rng)
        _memberships(cursor, kind, created, revision + 2 * total, rng, list(config.plans))
        _trainings(cursor, config, kind, revision + 3 * total, rng)
        _audit(cursor, total, rng)
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    with central.sessions(engine)() as db, db.begin():
        for role, email in ROLES.items():
            site = config.site.id if role in (Role.MANAGER, Role.RECEPTION) else None
            add_account(db, email, PASSWORD, role, NOW, site)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {READY} (people int)"))
        connection.execute(text(f"INSERT INTO {READY} VALUES ({total})"))
    print(f"  {total:,} people topped up in {time.perf_counter() - started:.0f} s")


def _names(rng: np.random.Generator, total: int) -> list[tuple[str, str, str | None]]:
    given = FIRST_NAMES.split()
    first_weights = 1 / (np.arange(len(given)) + 10)
    firsts = rng.choice(given, total, p=first_weights / first_weights.sum())
    common = list(dict.fromkeys(LAST_NAMES.split(",")))
    last_weights = 1 / (np.arange(len(common)) + 20)
    commons = rng.choice(common, total, p=last_weights / last_weights.sum())
    onsets, middles, endings = ONSETS.split(), MIDDLES.split(), ENDINGS.split()
    tails = [
        (onsets[a] + middles[b].strip("-") + endings[c]).capitalize()
        for a, b, c in zip(
            rng.integers(0, len(onsets), total),
            rng.integers(0, len(middles), total),
            rng.integers(0, len(endings), total),
            strict=True,
        )
    ]
    has_email = rng.random(total) < 0.8
    common_name = rng.random(total) < 0.45
    result = []
    for n in range(total):
        first = str(firsts[n])
        last = str(commons[n]) if common_name[n] else tails[n]
        email = None
        if has_email[n]:
            local = f"{_ascii(first)}.{_ascii(last)}{n % 1000 if n % 3 else ''}"
            email = f"{local}@{DOMAINS[n % len(DOMAINS)]}"
        result.append((first, last, email))
    return result


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return folded.lower().replace(" ", "")


def _communes(rng: np.random.Generator, total: int) -> list[str | None]:
    communes = np.loadtxt(
        ROOT / "station/data/capso-communes.csv",
        delimiter=",",
        skiprows=1,
        usecols=(0, 2),
        dtype=str,
    )
    weights = communes[:, 1].astype(float)
    home = rng.choice(communes[:, 0], size=total, p=weights / weights.sum()).astype(object)
    home[rng.random(total) > 0.93] = None
    return [None if h is None else str(h) for h in home.tolist()]


def _stamp(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        return moment.isoformat()
    return f"{moment.isoformat()}T09:00:00+00:00"


def _people(
    cursor: Any,
    names: list[tuple[str, str, str | None]],
    home: list[str | None],
    created: Any,
    kind: list[str],
    existing: int,
    revision: int,
) -> None:
    """The history's people renamed (one UPDATE from a staged copy), the others added."""
    null = "\\N"
    cursor.execute(
        "CREATE TEMP TABLE bench_people (id uuid, first_name text, last_name text, "
        "email text, home_commune text)"
    )
    _copy(
        cursor,
        "bench_people",
        "id, first_name, last_name, email, home_commune",
        (
            f"{_uuid(0, n)}\t{first}\t{last}\t{email or null}\t{home[n] or null}\n"
            for n, (first, last, email) in enumerate(names[:existing])
        ),
    )
    cursor.execute(
        "UPDATE members m SET first_name = b.first_name, last_name = b.last_name, "
        "email = b.email FROM bench_people b WHERE m.id = b.id AND m.deleted_at IS NULL"
    )
    _copy(
        cursor,
        "members",
        "id, kind, first_name, last_name, email, home_commune, consent_at, created_at, "
        "revision, updated_at, dirty",
        (
            f"{_uuid(0, n)}\t{kind[n]}\t{first}\t{last}\t{email or null}\t{home[n] or null}"
            f"\t{_stamp(created[n])}\t{_stamp(created[n])}\t{revision + n}"
            f"\t{_stamp(created[n])}\tf\n"
            for n, (first, last, email) in enumerate(names)
            if n >= existing
        ),
    )


def _badges(
    cursor: Any, kind: list[str], created: Any, revision: int, rng: np.random.Generator
) -> None:
    """Nine people in ten hold a badge; one in twelve has an older one revoked or lost."""
    total = len(kind)
    holds = rng.random(total) < 0.9
    older = rng.random(total) < 0.08

    def lines() -> Iterator[str]:
        for n in range(total):
            if kind[n] == GONE:
                continue
            at = _stamp(created[n])
            if holds[n]:
                badge_hash = Credential.uid(uid_of(n)).keyed_hash(BADGE_KEY)
                yield (
                    f"{_uuid(1, n)}\t{_uuid(0, n)}\tuid\t{badge_hash}\t\tactive\t{at}\t\\N"
                    f"\t{revision + n}\t{at}\tf\n"
                )
            if older[n]:
                badge_hash = Credential.uid(f"08{n:012X}").keyed_hash(BADGE_KEY)
                status = "lost" if n % 2 else "revoked"
                yield (
                    f"{_uuid(2, n)}\t{_uuid(0, n)}\tuid\t{badge_hash}\tancien\t{status}\t{at}"
                    f"\t{at}\t{revision + n}\t{at}\tf\n"
                )

    _copy(
        cursor,
        "credentials",
        "id, member_id, kind, hash, label, status, enrolled_at, revoked_at, revision, "
        "updated_at, dirty",
        lines(),
    )


def _memberships(
    cursor: Any,
    kind: list[str],
    created: Any,
    revision: int,
    rng: np.random.Generator,
    plans: list[str],
) -> None:
    """A member renews yearly from sign-up, seven years in ten."""
    plans = [p for p in plans if p != "visitor"] or ["member"]

    def lines() -> Iterator[str]:
        for n, k in enumerate(kind):
            if k != "member":
                continue
            start: dt.date = created[n]
            year = 0
            while start <= NOW.date():
                if year == 0 or rng.random() < 0.7:
                    until = _next_year(start) - dt.timedelta(days=1)
                    plan = plans[n % len(plans)]
                    yield (
                        f"{_uuid(3, n * 8 + year)}\t{_uuid(0, n)}\t{plan}\t{start}\t{until}"
                        f"\t{revision + n}\t{_stamp(start)}\tf\n"
                    )
                start = _next_year(start)
                year += 1

    _copy(
        cursor,
        "memberships",
        "id, member_id, plan, valid_from, valid_until, revision, updated_at, dirty",
        lines(),
    )


def _next_year(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        day = day.replace(day=28)
    return day.replace(year=day.year + 1)


def _trainings(
    cursor: Any, config: StationConfig, kind: list[str], revision: int, rng: np.random.Generator
) -> None:
    """The machines' users (the first fifth of members, as the sessions have them) trained."""
    codes = list(config.trainings)
    for code, training in config.trainings.items():
        cursor.execute(
            "INSERT INTO trainings (code, name_fr, name_en, valid_days, revision, updated_at, "
            "dirty) VALUES (%s, %s, %s, %s, %s, %s, false) ON CONFLICT DO NOTHING",
            (code, training.fr, training.en, training.valid_days, revision, NOW),
        )
    members = [n for n, k in enumerate(kind) if k == "member"]
    trained = members[: max(10, len(members) // 5)]

    def lines() -> Iterator[str]:
        for n in trained:
            for c, code in enumerate(codes):
                if rng.random() < 0.65:
                    yield (
                        f"{_uuid(4, n * 4 + c)}\t{_uuid(0, n)}\t{code}\tfabmanager@bench.example"
                        f"\t{_stamp(NOW - dt.timedelta(days=int(rng.integers(1, 1800))))}"
                        f"\t{revision + n}\t{_stamp(NOW)}\tf\n"
                    )

    _copy(
        cursor,
        "member_trainings",
        "id, member_id, training_code, granted_by, granted_at, revision, updated_at, dirty",
        lines(),
    )


def _audit(cursor: Any, total: int, rng: np.random.Generator, entries: int = 100_000) -> None:
    """Five years of the console's log: a dozen staff, mostly logins, some failures."""
    staff = [*ROLES.values(), *(f"accueil{n}@bench.example" for n in range(8))]
    actions = list(AuditAction)
    weights = np.array([8.0 if a is AuditAction.LOGIN else 1.0 for a in actions])
    chosen = rng.choice(len(actions), entries, p=weights / weights.sum())
    span = (NOW - dt.datetime.combine(FIRST, dt.time(), dt.UTC)).total_seconds()
    at = np.sort(NOW.timestamp() - span * rng.random(entries))
    who = rng.integers(0, len(staff), entries)
    target = rng.integers(0, total, entries)

    def lines() -> Iterator[str]:
        for n in range(entries):
            moment = dt.datetime.fromtimestamp(float(at[n]), dt.UTC)
            detail = json.dumps({"bench": True})
            yield (
                f"{_uuid(int(at[n] * 1000), n)}\t{_stamp(moment)}\t{staff[who[n]]}"
                f"\t{actions[chosen[n]].value}\t{_uuid(0, int(target[n]))}\t{detail}"
                f"\t10.0.{n % 7}.{n % 250}\n"
            )

    _copy(cursor, "audit_log", "id, at, account, action, target, detail, remote_address", lines())
