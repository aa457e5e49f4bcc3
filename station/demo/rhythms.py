"""The shapes of the demo's history: who comes for what, when, for how long.

Plain data and small pure helpers for `station.demo.history`: visit profiles per
purpose, how busy each weekday and month is, the names people are drawn from, and
the people and days the history is drawn for.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
import uuid
from dataclasses import dataclass, field

from station.db import MemberKind
from station.schedule import Schedule


@dataclass(frozen=True)
class Profile:
    """How a purpose is lived: its share of visits, when people arrive, how long they stay."""

    weight: float
    arrival_h: float  # most likely arrival, local hour
    stay_min: tuple[float, float, float]  # shortest, most likely, longest
    wednesday: float = 1.0  # how much busier on Wednesdays (afternoons: children, workshops)
    saturday: float = 1.0
    visitors: float = 0.0  # share among visitors' purposes


PROFILES = {
    "coworking": Profile(0.34, 9.25, (60, 270, 480), saturday=0.3, visitors=0.15),
    "fablab": Profile(0.26, 14.5, (45, 150, 300), wednesday=1.5, saturday=1.8, visitors=0.25),
    "creativity": Profile(0.14, 15.0, (45, 110, 210), wednesday=1.8, saturday=1.5, visitors=0.2),
    "digital-help": Profile(0.16, 14.0, (20, 45, 90), wednesday=1.4, saturday=0.6, visitors=0.4),
}
OTHER_PROFILE = Profile(0.08, 14.0, (30, 90, 240), visitors=0.05)
EVENT_STAY = (75.0, 120.0, 160.0)

WEEKDAY = (0.85, 0.95, 1.1, 0.95, 1.0, 1.2, 0.6)  # Monday first: how busy each day is
MONTH = (0.95, 0.95, 1.0, 0.95, 0.9, 0.85, 0.6, 0.45, 1.05, 1.0, 1.0, 0.85)  # summer: quiet

FIRST_NAMES = (
    "Adèle",
    "Alexandre",
    "Alice",
    "Amandine",
    "Anaïs",
    "Antoine",
    "Arthur",
    "Aurélie",
    "Baptiste",
    "Bastien",
    "Benjamin",
    "Bernadette",
    "Brigitte",
    "Céline",
    "Charlotte",
    "Chloé",
    "Christophe",
    "Claire",
    "Clément",
    "Colette",
    "Corentin",
    "Damien",
    "Daniel",
    "Delphine",
    "Denis",
    "Dominique",
    "Élise",
    "Éloïse",
    "Éric",
    "Estelle",
    "Étienne",
    "Fabien",
    "Florence",
    "François",
    "Gabriel",
    "Gaëlle",
    "Guillaume",
    "Hélène",
    "Inès",
    "Isabelle",
    "Jacques",
    "Jade",
    "Jean",
    "Jérôme",
    "Joël",
    "Julie",
    "Julien",
    "Justine",
    "Karim",
    "Laetitia",
    "Laura",
    "Léa",
    "Léo",
    "Louis",
    "Louise",
    "Lucie",
    "Manon",
    "Marc",
    "Margaux",
    "Marie",
    "Martine",
    "Mathilde",
    "Maxime",
    "Mélanie",
    "Michel",
    "Monique",
    "Nathalie",
    "Nicolas",
    "Noémie",
    "Océane",
    "Olivier",
    "Pascal",
    "Patrick",
    "Pauline",
    "Philippe",
    "Pierre",
    "Quentin",
    "Raphaël",
    "Rémi",
    "Romain",
    "Sabrina",
    "Samuel",
    "Sandrine",
    "Sarah",
    "Sébastien",
    "Sophie",
    "Stéphane",
    "Sylvie",
    "Théo",
    "Thomas",
    "Valentin",
    "Valérie",
    "Véronique",
    "Vincent",
    "Yasmine",
    "Yves",
    "Zoé",
)
LAST_NAMES = (
    "Bailleul",
    "Barbier",
    "Becquart",
    "Bernard",
    "Boulanger",
    "Bourgeois",
    "Caron",
    "Carpentier",
    "Coppin",
    "Courtois",
    "Decool",
    "Decroix",
    "Defrance",
    "Delattre",
    "Delahaye",
    "Delplace",
    "Deneuville",
    "Descamps",
    "Deschamps",
    "Devos",
    "Dewitte",
    "Dufour",
    "Dumont",
    "Duquesne",
    "Durand",
    "Fauquembergue",
    "Flament",
    "Fournier",
    "François",
    "Gallet",
    "Garcia",
    "Gosselin",
    "Guilbert",
    "Hochart",
    "Hennebelle",
    "Lambert",
    "Leclercq",
    "Lecomte",
    "Lefebvre",
    "Legrand",
    "Lemaire",
    "Lemoine",
    "Lenoir",
    "Leroy",
    "Lesage",
    "Lheureux",
    "Masson",
    "Mercier",
    "Moreau",
    "Morel",
    "Noël",
    "Obert",
    "Petit",
    "Poulain",
    "Ramet",
    "Richard",
    "Robert",
    "Roussel",
    "Ruckebusch",
    "Sagot",
    "Sueur",
    "Thomas",
    "Vandenbussche",
    "Vasseur",
    "Verbeke",
    "Vincent",
    "Wallet",
    "Wimet",
    "Wyart",
)


# -- the people ------------------------------------------------------------------------


@dataclass
class Person:
    id: uuid.UUID
    kind: MemberKind
    first_name: str
    last_name: str
    email: str | None
    commune: str
    created_at: dt.datetime
    habits: dict[str, float]  # purpose -> weight
    main: str  # the purpose they come for most
    origin_site: str | None = None  # the site, for a visitor who signed up at its kiosk
    rate: float = 0.0  # members: chance of coming on an ordinary open day
    terms: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # memberships
    plan: str = ""  # the plan of those memberships
    badge: str | None = None  # keyed hash
    badge_at: dt.datetime | None = None  # enrolled at (members: when registered)
    trainings: dict[str, dt.datetime] = field(default_factory=dict)  # code -> granted at
    last_purpose: str | None = None
    days: set[dt.date] = field(default_factory=set)  # days with a visit: one a day

    def member_on(self, day: dt.date) -> bool:
        return any(start <= day <= end for start, end in self.terms)


Ranges = tuple[tuple[int, int], ...]  # opening ranges of a day, minutes after local midnight


@dataclass(frozen=True)
class Day:
    day: dt.date
    ranges: Ranges  # when the site is open
    open_for: dict[str, Ranges]  # purpose -> when its space is open too (absent: closed)
    factor: float  # how busy: weekday, season, a little chance


def profile(purpose: str) -> Profile:
    """How people come for `purpose` (an undeclared one: the ordinary profile)."""
    return PROFILES.get(purpose, OTHER_PROFILE)


def day_ranges(schedule: Schedule, day: dt.date) -> Ranges:
    return tuple((minutes(start), minutes(end)) for start, end in schedule.ranges_on(day))


def overlap(first: Ranges, second: Ranges) -> Ranges:
    return tuple(
        (max(a, c), min(b, d)) for a, b in first for c, d in second if max(a, c) < min(b, d)
    )


def minutes(value: dt.time) -> int:
    return 24 * 60 if value == dt.time.max else value.hour * 60 + value.minute


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in plain if ch.isascii() and (ch.isalnum() or ch == "-"))


def uuid4_from(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def uuid7_from(rng: random.Random, at: dt.datetime) -> uuid.UUID:
    """A time-ordered identifier (UUIDv7) for `at`, like `station.ids.new_event_id`."""
    millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    value = (
        (millis << 80)
        | (0x7 << 76)
        | (rng.getrandbits(12) << 64)
        | (0b10 << 62)
        | rng.getrandbits(62)
    )
    return uuid.UUID(int=value)
