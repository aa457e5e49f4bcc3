"""Which column of a sheet holds what: the targets (and the trainings of the catalogue,
a yes/no column each), and a guess from the column names.

A sign-up sheet names its columns in French or in English, with or without accents,
in any case ("Prénom", "PRENOM", "First name"); a name is compared by its key
(accents, case, punctuation and spaces dropped) with the names below. A column that
matches nothing, or a target already taken by an earlier column, is ignored.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from station.errors import InvalidInput


class Target(enum.StrEnum):
    """What a column may be imported as (IGNORE: not imported)."""

    IGNORE = ""
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    COMMUNE = "commune"  # a commune's name or INSEE code
    JOINED = "joined"  # the sign-up day: the membership starts then
    PLAN = "plan"
    CONSENT = "consent"  # yes/no: the person agreed to the processing of their data
    BIRTH_YEAR = "birth_year"
    BADGE = "badge"  # a badge UID in hex


# Column names by target, as keys (see `header_key`).
SYNONYMS: Mapping[Target, tuple[str, ...]] = {
    Target.FIRST_NAME: ("prenom", "firstname", "givenname", "forename", "prenoms"),
    Target.LAST_NAME: ("nom", "nomdefamille", "lastname", "surname", "familyname"),
    Target.EMAIL: (
        "courriel",
        "email",
        "mail",
        "adressemail",
        "adresseemail",
        "adressecourriel",
        "mel",
        "emailaddress",
    ),
    Target.COMMUNE: (
        "commune",
        "ville",
        "city",
        "town",
        "codeinsee",
        "insee",
        "communederesidence",
        "homecommune",
    ),
    Target.JOINED: (
        "datedinscription",
        "inscription",
        "datedadhesion",
        "adhesion",
        "dateinscription",
        "dateadhesion",
        "joined",
        "signupdate",
        "datejoined",
        "membersince",
    ),
    Target.PLAN: ("formule", "abonnement", "offre", "plan", "membership", "membershipplan"),
    Target.CONSENT: ("accordrgpd", "rgpd", "consentement", "consent", "accord", "gdprconsent"),
    Target.BIRTH_YEAR: ("anneedenaissance", "naissance", "birthyear", "yearofbirth"),
    Target.BADGE: ("badge", "badgeuid", "uid", "uidbadge", "numerodebadge", "carte", "nbadge"),
}
_BY_KEY = {key: target for target, keys in SYNONYMS.items() for key in keys}

TRAINING = "training:"  # a column of yes/no: the training of this code is held


@dataclass(frozen=True)
class Granted:
    """A column saying, yes or no, whether each person holds the training `code`."""

    code: str

    @property
    def value(self) -> str:
        return f"{TRAINING}{self.code}"


Choice = Target | Granted
ColumnMap = list[Choice]  # one choice per column of the sheet


def header_key(name: str) -> str:
    """`name` without accents, case, punctuation or spaces: "Date d'inscription" ->
    "datedinscription"."""
    plain = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "OE"))
    letters = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^a-z0-9]", "", letters)


def guess_mapping(headers: Sequence[str], trainings: Mapping[str, str] | None = None) -> ColumnMap:
    """A choice for each column, from its name; each for one column at most.
    `trainings`: {code: name} of the catalogue; "Formation laser" is training `laser`."""
    by_key: dict[str, Choice] = {**_training_keys(trainings or {}), **_BY_KEY}
    taken: set[Choice] = set()
    mapping: ColumnMap = []
    for header in headers:
        choice = by_key.get(header_key(header), Target.IGNORE)
        if choice in taken:
            choice = Target.IGNORE
        taken.add(choice)
        mapping.append(choice)
    return mapping


def _training_keys(trainings: Mapping[str, str]) -> dict[str, Choice]:
    keys: dict[str, Choice] = {}
    for code, name in trainings.items():
        for word in {header_key(code), header_key(name)}:
            for key in (f"formation{word}", f"training{word}", f"{word}training", word):
                keys.setdefault(key, Granted(code))
    return keys


def mapping_problem(mapping: Sequence[Choice], trainings: Collection[str] = ()) -> str | None:
    """Why `mapping` cannot be imported (None: it can); `trainings`: the catalogue's codes."""
    chosen = [t for t in mapping if t is not Target.IGNORE]
    twice = sorted({t.value for t in chosen if chosen.count(t) > 1})
    if twice:
        return f"a target is chosen for more than one column: {', '.join(twice)}"
    if Target.FIRST_NAME not in chosen:
        return "no column is imported as the first name"
    unknown = [t.code for t in chosen if isinstance(t, Granted) and t.code not in trainings]
    if unknown:
        return f"no training {', '.join(unknown)} in the catalogue"
    return None


def encode_mapping(mapping: Sequence[Choice]) -> str:
    """The mapping as text (for the digest and the command line): "last_name,first_name,"."""
    return ",".join(t.value for t in mapping)


def decode_mapping(text: str, columns: int) -> ColumnMap:
    """The mapping written by `encode_mapping`, for a sheet of `columns` columns."""
    values = text.split(",") if text else []
    if len(values) != columns:
        raise InvalidInput(f"the mapping names {len(values)} columns; the file has {columns}")
    try:
        return [_choice(v.strip()) for v in values]
    except ValueError as exc:
        known = ", ".join(t.value for t in Target if t.value)
        raise InvalidInput(
            f"{exc}; the targets are {known}, {TRAINING}<code> (empty: ignored)"
        ) from exc


def _choice(text: str) -> Choice:
    if text.startswith(TRAINING) and len(text) > len(TRAINING):
        return Granted(text[len(TRAINING) :])
    return Target(text)
