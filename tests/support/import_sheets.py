"""Sign-up sheets for the importer's tests: the sample of /work/shared/data (kept in
tests/data), and a generated one of any size with named bad rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from station.db.staff import ImportBatch

SAMPLE = Path(__file__).parents[1] / "data" / "inscriptions-exemple.csv"
HEADER = "Nom;Prénom;Courriel;Commune;Date d'inscription;Formule;Accord RGPD"
COMMUNES = ("Saint-Omer", "Arques", "Longuenesse", "Wizernes", "Blendecques", "Lille")
# The spreadsheet rows (header: row 1) that `sheet` spoils, and how.
BAD_ROWS = {
    101: ("Courriel", "pas-une-adresse"),
    502: ("Date d'inscription", "31/02/2025"),
    903: ("Prénom", ""),
}
# The sample's rows whose "Accord RGPD" says "non": problem rows, never imported.
NO_CONSENT_ROWS = (11, 12, 16, 26, 30, 31, 34, 37)


def person_row(number: int) -> list[str]:
    return [
        f"NOM{number:05d}",
        f"Prénom{number}",
        f"personne{number}@exemple.fr",
        COMMUNES[number % len(COMMUNES)],
        f"{1 + number % 28:02d}/{1 + number % 12:02d}/2025",
        "Adhérent",
        "oui",
    ]


def sheet(people: int = 1000, *, bad: bool = True, encoding: str = "cp1252") -> bytes:
    """A sheet of `people` rows (";", CRLF, French headers), BAD_ROWS spoiled if `bad`."""
    columns = HEADER.split(";")
    lines = [HEADER]
    for number in range(people):
        row = person_row(number)
        spoiled = BAD_ROWS.get(number + 2) if bad else None
        if spoiled is not None:
            row[columns.index(spoiled[0])] = spoiled[1]
        lines.append(";".join(row))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# The screenshots' import batches (tests/support/console_data.py): fixed ids, so that
# tests/support/console_pages.py names their pages without a placeholder.
PREVIEW_BATCH = uuid.UUID("1a2b3c4d-0000-4000-8000-00000000a001")
DONE_BATCH = uuid.UUID("1a2b3c4d-0000-4000-8000-00000000a002")


def seed_batches(db: Session, now: dt.datetime, account: str) -> None:
    """The sample sheet uploaded by `account`, not yet imported, and one imported."""
    data = SAMPLE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    name = SAMPLE.name
    db.add(ImportBatch(id=PREVIEW_BATCH, created_at=now, account=account, filename=name,
                       sha256=digest, content=data, result={}))  # fmt: skip
    done = {"created": 36, "present": 0, "problem_rows": [7, 11, 23, 29], "filename": "liste.csv"}
    db.add(ImportBatch(id=DONE_BATCH, created_at=now, account=account, filename="liste.csv",
                       sha256="0" * 64, content=None, applied_at=now, result=done))  # fmt: skip
