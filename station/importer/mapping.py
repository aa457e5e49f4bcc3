"""Which column of a sheet holds what: the targets, and a guess from the column names.

A sign-up sheet names its columns in French or in English, with or without accents,
in any case ("Prénom", "PRENOM", "First name"); a name is compared by its key
(accents, case, punctuation and spaces dropped) with the names below. A column that
matches nothing, or a target already taken by an earlier column, is ignored.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping, Sequence

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

ColumnMap = list[Target]  # one target per column of the sheet


def header_key(name: str) -> str:
    """`name` without accents, case, punctuation or spaces: "Date d'inscription" ->
    "datedinscription"."""
    plain = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "OE"))
    letters = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^a-z0-9]", "", letters)


def guess_mapping(headers: Sequence[str]) -> ColumnMap:
    """A target for each column, from its name; each target for one column at most."""
    taken: set[Target] = set()
    mapping: ColumnMap = []
    for header in headers:
        target = _BY_KEY.get(header_key(header), Target.IGNORE)
        if target in taken:
            target = Target.IGNORE
        taken.add(target)
        mapping.append(target)
    return mapping


def mapping_problem(mapping: Sequence[Target]) -> str | None:
    """Why `mapping` cannot be imported (None: it can)."""
    chosen = [t for t in mapping if t is not Target.IGNORE]
    twice = sorted({t.value for t in chosen if chosen.count(t) > 1})
    if twice:
        return f"a target is chosen for more than one column: {', '.join(twice)}"
    if Target.FIRST_NAME not in chosen:
        return "no column is imported as the first name"
    return None


def encode_mapping(mapping: Sequence[Target]) -> str:
    """The mapping as text (for the digest and the command line): "last_name,first_name,"."""
    return ",".join(t.value for t in mapping)


def decode_mapping(text: str, columns: int) -> ColumnMap:
    """The mapping written by `encode_mapping`, for a sheet of `columns` columns."""
    values = text.split(",") if text else []
    if len(values) != columns:
        raise InvalidInput(f"the mapping names {len(values)} columns; the file has {columns}")
    try:
        return [Target(v.strip()) for v in values]
    except ValueError as exc:
        known = ", ".join(t.value for t in Target if t.value)
        raise InvalidInput(f"{exc}; the targets are {known} (empty: ignored)") from exc
