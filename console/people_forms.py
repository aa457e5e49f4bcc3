"""What every form on a person's record shares: finding the person, the refusals said
next to their fields (in the page's language), the audit entry, the way back.

A refusal is answered 422 with the form as it was typed; a success is a 303 back to
the person's page, whose `done` parameter says what was done (`console/templates/
people/actions.html`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import RedirectResponse, Response

from console import audit
from console.guard import Page
from console.people_rules import Write, may
from station.ages import FIRST_BIRTH_YEAR
from station.db import Member
from station.db.live import live_get
from station.db.staff import AuditAction
from station.fields import MAX_LENGTH, Field, FieldRefused, Rule
from station.person_record import Identity

Errors = dict[str, str]  # a form field's name -> what is wrong with it, in words


def member_of(here: Page) -> Member | None:
    """The live person the path names, if any."""
    try:
        member_id = uuid.UUID(here.request.path_params["member_id"])
    except ValueError:
        return None
    return live_get(here.db, Member, member_id)


def refused_page(here: Page, write: Write, member: Member | None = None) -> Response | None:
    """404 when the path names nobody, 403 when the account may not do `write` to
    them; None when the page may go on."""
    if member is None and write is not Write.CREATE:
        return here.render("not_found.html", status_code=404)
    assert here.account is not None  # the guard let only accounts in
    if not may(here.account, write, member):
        return here.render("forbidden.html", status_code=403)
    return None


def today(here: Page) -> dt.date:
    """The day of the console's time zone (a membership ends on a local day)."""
    return here.now.astimezone(ZoneInfo(here.console.timezone)).date()


def done(member: Member, what: str) -> Response:
    return RedirectResponse(f"/members/{member.id}?done={what}", 303)


def record(
    here: Page, action: AuditAction, member: Member, detail: dict[str, Any] | None = None
) -> None:
    """The audit entry of a write to `member`, by this page's account."""
    assert here.account is not None
    audit.record(
        here.db,
        here.now,
        here.account.email,
        action,
        target=str(member.id),
        address=here.address,
        detail={"name": member.display_name, "site": here.account.site_id, **(detail or {})},
    )


def field_errors(here: Page, refusals: Iterable[FieldRefused]) -> Errors:
    """Each refusal in the page's language, keyed by its form field (the Field's value)."""
    return {r.field.value: message(here, r) for r in refusals}


def message(here: Page, refusal: FieldRefused) -> str:
    t, rule = here.t, refusal.rule
    if rule is Rule.TOO_LONG:
        return t("Trop long : {n} caractères au plus.").format(n=MAX_LENGTH[refusal.field])
    if rule is Rule.BIRTH_YEAR:
        return t("Une année de {first} à {last}, ou rien.").format(
            first=FIRST_BIRTH_YEAR, last=today(here).year
        )
    messages = {
        Rule.REQUIRED: t("Obligatoire."),
        Rule.CONTROL_CHARACTER: t(
            "Contient un caractère invisible interdit (contrôle ou inversion du sens du texte)."
        ),
        Rule.EMAIL_FORMAT: t("Ce n'est pas une adresse e-mail."),
        Rule.EMAIL_TAKEN: t("Cette adresse est déjà celle d'une autre personne inscrite."),
        Rule.UNKNOWN_COMMUNE: t("Commune inconnue : choisissez-la dans la liste."),
        Rule.UID_LENGTH: t(
            "Un UID de badge fait 4, 7 ou 10 octets (8, 14 ou 20 chiffres hexadécimaux)."
        ),
        Rule.NOT_HEX: t("Un UID s'écrit en hexadécimal (0-9, A-F), séparateurs permis."),
        Rule.UNKNOWN_PLAN: t("Formule inconnue."),
    }
    return messages[rule]


def birth_year(text: str) -> int | FieldRefused | None:
    """The birth year typed (None: left empty), or the refusal of what is no year."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        return FieldRefused(Field.BIRTH_YEAR, Rule.BIRTH_YEAR, f"not a year: {text!r}")
    return int(text)


def date_of(text: str) -> dt.date | None:
    """A date from a form's date field (YYYY-MM-DD), None if empty or not a date."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def identity_of(form: dict[str, str]) -> tuple[Identity, list[FieldRefused]]:
    """The identity typed in `form`, with the refusal of a birth year that is no number."""
    year = birth_year(form.get("birth_year", ""))
    refused = [year] if isinstance(year, FieldRefused) else []
    identity = Identity(
        first_name=form.get("first_name", ""),
        last_name=form.get("last_name", ""),
        email=form.get("email", "") or None,
        home_commune=form.get("home_commune", "") or None,
        birth_year=year if isinstance(year, int) else None,
    )
    return identity, refused


def identity_form(member: Member) -> dict[str, str]:
    """A person's identity as the correction form shows it."""
    return {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email or "",
        "home_commune": member.home_commune or "",
        "birth_year": "" if member.birth_year is None else str(member.birth_year),
        "kind": member.kind.value,
    }
