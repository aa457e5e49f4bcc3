"""Importing people in the console: upload, the mapping on screen, the preview naming
every problem row, nothing written before the confirmation, a tampered or stale
confirmation refused, a second run of the same file creating nobody."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from console.i18n import Language, catalogue
from console.import_view import NOTES, RULES, TARGET_NAMES
from station.db import Member, MemberTraining, Training
from station.db.staff import AuditAction, AuditEntry, ImportBatch, Role
from station.importer.values import ImportRule
from tests.console.conftest import csrf_of, log_in
from tests.support.import_sheets import BAD_ROWS, NO_CONSENT_ROWS, SAMPLE, sheet


def _people(sessions: sessionmaker[Session]) -> int:
    with sessions() as db:
        return db.scalar(select(func.count()).select_from(Member)) or 0


def _upload(client: TestClient, data: bytes, name: str = "inscriptions.csv") -> str:
    """The preview's path of `data`, uploaded through the form."""
    token = csrf_of(client.get("/import").text)
    answer = client.post("/import", data={"csrf": token}, files={"file": (name, data, "text/csv")})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def _confirmation(html: str) -> dict[str, str]:
    form = html[html.index('class="confirm"') :]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form[: form.index("</form>")]))
    del fields["csrf"]
    return fields


def _count(html: str, name: str) -> int:
    found = re.search(rf'id="{name}">(\d+)<', html)
    assert found, name
    return int(found.group(1))


def test_the_sample_sheet_previewed_then_imported(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    assert log_in(client, accounts[Role.RECEPTION]) == 303
    where = _upload(client, SAMPLE.read_bytes(), "inscriptions-exemple.csv")
    html = client.get(where).text
    assert 'id="c0"' in html and '<option value="last_name" selected>' in html
    problems = re.findall(r'<tr data-row="(\d+)"><td>\d+</td><td>([^<]*)</td>', html)
    refused = [(str(row), "Accord RGPD") for row in NO_CONSENT_ROWS]
    assert sorted(problems, key=lambda p: int(p[0])) == sorted(
        [("7", "Courriel"), ("11", "Date d&#39;inscription"), ("23", "Nom"), ("29", "Courriel"),
         *refused], key=lambda p: int(p[0]))  # fmt: skip
    assert "adresse déjà donnée ligne 5 du fichier" in html
    assert html.count("pas d&#39;accord RGPD : la personne ne sera pas enregistrée") == 8
    assert "date lue comme 14/07/2025" in html
    assert _count(html, "new-count") == 29 and _count(html, "problem-count") == 11
    assert _people(sessions) == 0  # a preview writes nothing

    answer = client.post(where, data={"csrf": csrf_of(html), **_confirmation(html)})
    assert answer.status_code == 303 and answer.headers["location"] == where
    done = client.get(where).text
    assert _count(done, "created-count") == 29
    assert "7, 11, 12, 16, 23, 26, 29, 30, 31, 34, 37" in done
    assert "importé le 10/03/2026 10:30 par" in done  # the clock's 09:30 UTC, in Paris
    assert _people(sessions) == 29
    with sessions() as db:
        origins = set(db.scalars(select(Member.origin_site)))
        assert origins == {"gare"}  # the reception's site, as the person form does
        assert set(db.scalars(select(Member.dirty))) == {False}  # central's own rows
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == AuditAction.IMPORT))
        batch = db.scalar(select(ImportBatch))
    assert entry is not None and entry.account == accounts[Role.RECEPTION]
    assert entry.detail["created"] == 29 and entry.target == "inscriptions-exemple.csv"
    with sessions() as db:
        uploaded = db.scalar(
            select(AuditEntry).where(AuditEntry.action == AuditAction.IMPORT_UPLOADED)
        )
    assert uploaded is not None and uploaded.detail["rows"] == 40
    assert batch is not None and batch.content is None  # no copy of the people is kept
    # A second click on the same confirmation imports nothing more.
    again = client.post(where, data={"csrf": csrf_of(html), **_confirmation(html)})
    assert again.status_code == 303 and _people(sessions) == 29


def test_the_same_file_again_creates_nobody(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.MANAGER])
    data = sheet(1000)
    where = _upload(client, data)
    html = client.get(where).text
    assert [int(r) for r in re.findall(r'<tr data-row="(\d+)">', html)] == sorted(BAD_ROWS)
    client.post(where, data={"csrf": csrf_of(html), **_confirmation(html)})
    assert _people(sessions) == 997

    second = client.get(_upload(client, data)).text
    assert _count(second, "new-count") == 0 and _count(second, "present-count") == 997
    assert 'id="nothing"' in second and 'id="earlier"' in second
    assert 'class="confirm"' not in second
    assert second.count('href="/members/') >= 20  # the first ones, each with its record
    assert "… et 977 autres." in second
    assert _people(sessions) == 997


def test_the_mapping_chosen_on_screen(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.ADMIN])
    where = _upload(client, b"Qui;Adresse\nAna;ana@exemple.fr\n")
    html = client.get(where).text
    assert 'id="mapping-problem"' in html and 'class="confirm"' not in html
    chosen = client.get(where, params={"c0": "first_name", "c1": "email"}).text
    assert _count(chosen, "new-count") == 1
    fields = _confirmation(chosen)
    assert (fields["c0"], fields["c1"]) == ("first_name", "email")
    assert client.post(where, data={"csrf": csrf_of(chosen), **fields}).status_code == 303
    with sessions() as db:
        ana = db.scalar(select(Member))
    assert ana is not None and (ana.first_name, ana.email) == ("Ana", "ana@exemple.fr")


def test_a_tampered_or_stale_confirmation_is_refused(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.RECEPTION])
    data = "Prénom;Nom;Courriel\nAna;Roux;ana@exemple.fr\nLéa;Simon;lea@exemple.fr\n".encode()
    where = _upload(client, data)
    html = client.get(where).text
    token, fields = csrf_of(html), _confirmation(html)
    # The mapping changed behind the preview: names swapped, the digest kept.
    swapped = fields | {"c0": "last_name", "c1": "first_name"}
    refused = client.post(where, data={"csrf": token, **swapped})
    assert refused.status_code == 409 and 'id="error"' in refused.text
    # A digest of another preview.
    forged = client.post(where, data={"csrf": token, **fields, "digest": "0" * 64})
    assert forged.status_code == 409
    # A mapping that does not fit the file.
    short = client.post(where, data={"csrf": token, "c0": "first_name", "digest": fields["digest"]})
    assert short.status_code == 409
    # Without the CSRF token.
    assert client.post(where, data=fields).status_code == 403
    assert _people(sessions) == 0
    # The registry changed since the preview: Léa was added meanwhile.
    other = _upload(client, "Prénom;Courriel\nLéa;lea@exemple.fr\n".encode())
    other_html = client.get(other).text
    client.post(other, data={"csrf": csrf_of(other_html), **_confirmation(other_html)})
    assert _people(sessions) == 1
    stale = client.post(where, data={"csrf": token, **fields})
    assert stale.status_code == 409 and _people(sessions) == 1
    assert _count(stale.text, "new-count") == 1  # the preview shown again, as it is now


def test_who_may_import_and_whose_batch(client: TestClient, accounts: dict[Role, str]) -> None:
    log_in(client, accounts[Role.FABMANAGER])
    assert client.get("/import").status_code == 403
    log_in(client, accounts[Role.RECEPTION])
    where = _upload(client, b"Prenom\nAna\n")
    assert client.get(where).status_code == 200
    log_in(client, accounts[Role.MANAGER])  # another account: not theirs
    assert client.get(where).status_code == 404
    assert client.get("/import/not-an-id").status_code == 404
    log_in(client, accounts[Role.ADMIN])
    assert client.get(where).status_code == 200


def test_an_empty_or_missing_file_is_said(client: TestClient, accounts: dict[Role, str]) -> None:
    log_in(client, accounts[Role.RECEPTION])
    token = csrf_of(client.get("/import").text)
    empty = client.post("/import", data={"csrf": token}, files={"file": ("a.csv", b"", "text/csv")})
    assert empty.status_code == 422 and 'id="file-error"' in empty.text
    blank = client.post(
        "/import", data={"csrf": token}, files={"file": ("a.csv", b"\n\n", "text/csv")}
    )
    assert blank.status_code == 422


def test_the_import_pages_words_have_their_english() -> None:
    english = catalogue(Language.EN)
    words = [*TARGET_NAMES.values(), *RULES.values(), *NOTES.values(), "autre commune"]
    assert [w for w in words if w not in english] == []
    assert set(ImportRule) <= set(RULES)  # every importer's rule said in words


def test_a_training_column_is_offered_and_granted(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    with sessions() as db, db.begin():
        db.add(Training(code="laser", name_fr="Découpe laser", name_en="Laser", valid_days=0))
    log_in(client, accounts[Role.RECEPTION])
    where = _upload(client, SAMPLE.read_bytes(), "inscriptions-exemple.csv")
    html = client.get(where).text
    assert '<option value="training:laser" selected>' in html  # "Formation laser"
    client.post(where, data={"csrf": csrf_of(html), **_confirmation(html)})
    with sessions() as db:
        held = list(db.scalars(select(MemberTraining)))
    assert held and {h.granted_by for h in held} == {"import inscriptions-exemple.csv"}
