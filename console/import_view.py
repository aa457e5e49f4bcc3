"""What the import's preview page shows: the columns and their mapping, the counts,
every problem row in words, the notes, the first people to be created.

The words are French (the templates translate them); a problem's or a note's `hint`
(an earlier row, the commune meant) fills its `{hint}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from station.communes import OTHER_COMMUNE, load_communes
from station.db.staff import ImportBatch
from station.fields import Rule
from station.importer.mapping import Choice, Target, encode_mapping
from station.importer.preview import Preview
from station.importer.values import ImportRule, NoteKind

SAMPLE = 20  # the first people to be created, shown to check the mapping
EXAMPLES = 3  # values shown under each column

TARGET_NAMES: Mapping[Target, str] = {
    Target.IGNORE: "(ne pas importer)",
    Target.FIRST_NAME: "Prénom",
    Target.LAST_NAME: "Nom de famille",
    Target.EMAIL: "E-mail",
    Target.COMMUNE: "Commune (nom ou code INSEE)",
    Target.JOINED: "Date d'inscription",
    Target.PLAN: "Formule",
    Target.CONSENT: "Accord RGPD (oui/non)",
    Target.BIRTH_YEAR: "Année de naissance",
    Target.BADGE: "Badge (UID)",
}

RULES: Mapping[Rule | ImportRule, str] = {
    Rule.REQUIRED: "obligatoire, et vide ici",
    Rule.TOO_LONG: "trop long pour être enregistré",
    Rule.CONTROL_CHARACTER: "contient un caractère invisible interdit",
    Rule.EMAIL_FORMAT: "n'est pas une adresse e-mail",
    Rule.UNKNOWN_COMMUNE: "aucune commune du territoire ne s'écrit ainsi : est-ce {hint} ?",
    Rule.BIRTH_YEAR: "année de naissance impossible",
    Rule.UID_LENGTH: "un UID de badge a 4, 7 ou 10 octets",
    Rule.NOT_HEX: "un UID de badge s'écrit en hexadécimal",
    Rule.UNKNOWN_PLAN: "formule inconnue (formules : {hint})",
    ImportRule.DATE: "n'est pas une date (JJ/MM/AAAA)",
    ImportRule.YES_NO: "ni oui ni non",
    ImportRule.DUPLICATE_EMAIL: "adresse déjà donnée ligne {hint} du fichier",
    ImportRule.DUPLICATE_PERSON: "mêmes nom, prénom et commune que la ligne {hint}, sans e-mail",
    ImportRule.DUPLICATE_BADGE: "badge déjà donné ligne {hint} du fichier",
    ImportRule.BADGE_HELD: "badge déjà attribué à une autre personne",
    ImportRule.NO_CONSENT: "pas d'accord RGPD : la personne ne sera pas enregistrée",
}

NOTES: Mapping[NoteKind, str] = {
    NoteKind.OUTSIDE: "hors du territoire : comptée « autre commune »",
    NoteKind.READ_AS: "lue comme {hint}",
    NoteKind.DAY_FORMAT: "date lue comme {hint}",
}


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    target: Choice
    examples: list[str]


def preview_context(shown: Preview, earlier: ImportBatch | None) -> dict[str, Any]:
    """The template's variables for `shown` (earlier: the same file imported before)."""
    sheet = shown.sheet
    columns = [
        Column(i, name, shown.mapping[i], _examples(shown, i))
        for i, name in enumerate(sheet.headers)
    ]
    return {
        "preview": shown,
        "columns": columns,
        "targets": list(TARGET_NAMES.items()),
        "rules": RULES,
        "notes": NOTES,
        "sample": shown.new[:SAMPLE],
        "present_sample": shown.present[:SAMPLE],
        "communes": commune_names(),
        "mapping_text": encode_mapping(shown.mapping),
        "earlier": earlier,
    }


def commune_names() -> dict[str, str]:
    names = {c.insee: c.name for c in load_communes()}
    names[OTHER_COMMUNE] = "autre commune"
    return names


def _examples(shown: Preview, column: int) -> list[str]:
    found: list[str] = []
    for row in shown.sheet.rows:
        value = shown.sheet.cell(row, column)
        if value and value not in found:
            found.append(value)
        if len(found) == EXAMPLES:
            break
    return found
