"""/members/new: register a person at central, with a first membership if asked."""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response

from console import people_choices as choices
from console.guard import Page, page
from console.people_forms import (
    Errors,
    date_of,
    done,
    field_errors,
    identity_of,
    record,
    refused_page,
    today,
)
from console.people_rules import ROLES, Write, kinds
from station import plans
from station.db import MemberKind
from station.db.staff import SITE_ROLES, AuditAction
from station.errors import Conflict, InvalidInput
from station.fields import FieldRefused
from station.person_record import RecordRefused, checked_identity, create_member


@page(*ROLES[Write.CREATE])
def member_new(here: Page) -> Response:
    blocked = refused_page(here, Write.CREATE)
    if blocked is not None:
        return blocked
    if here.request.method != "POST":
        start = {"kind": MemberKind.MEMBER.value, "plan": choices.default_plan(here)}
        return _form(here, start, {})
    return _create(here)


def _create(here: Page) -> Response:
    assert here.account is not None
    form, day = here.form, today(here)
    identity, refused = identity_of(form)
    errors: Errors = {}
    kind = _kind(here, form.get("kind", ""), errors)
    plan = _plan(here, form.get("plan", ""), refused)
    until = _until(here, form.get("until", ""), day, errors)
    try:
        checked_identity(here.db, identity, today=day, refused=refused)
    except RecordRefused as exc:
        errors |= field_errors(here, exc.refusals)
    if errors or kind is None:
        return _form(here, form, errors, 422)
    try:
        member = create_member(
            here.db,
            identity,
            kind=kind,
            consent_at=here.now if form.get("consent") else None,
            today=day,
            plan=plan,
            until=until,
            default_days=lambda code: choices.plan_days(here, code),
            default_plan=choices.default_plan(here),
            created_for=here.account.site_id if here.account.role in SITE_ROLES else None,
        )
    except (Conflict, InvalidInput):  # the same day's race for one email: said as a refusal
        errors["email"] = here.t("Cette adresse est déjà celle d'une autre personne inscrite.")
        return _form(here, form, errors, 422)
    record(
        here,
        AuditAction.MEMBER_CREATED,
        member,
        {"kind": kind.value, "plan": plan, "until": until.isoformat() if until else None},
    )
    return done(member, "created")


def _kind(here: Page, code: str, errors: Errors) -> MemberKind | None:
    assert here.account is not None
    allowed = {k.value: k for k in kinds(here.account)}
    if code not in allowed:
        errors["kind"] = here.t("Votre rôle ne permet pas de donner ce type.")
        return None
    return allowed[code]


def _plan(here: Page, code: str, refused: list[FieldRefused]) -> str | None:
    if not code:
        return None  # no membership for now
    try:
        return plans.membership_plan(here.console.config, code)
    except FieldRefused as exc:
        refused.append(exc)
        return None


def _until(here: Page, text: str, day: dt.date, errors: Errors) -> dt.date | None:
    if not text.strip():
        return None
    until = date_of(text)
    if until is None:
        errors["until"] = here.t("Une date, comme 2026-12-31.")
    elif until < day:
        errors["until"] = here.t("Cette date est passée : l'adhésion serait déjà finie.")
    return until


def _form(here: Page, form: dict[str, str], errors: Errors, status: int = 200) -> Response:
    assert here.account is not None
    return here.render(
        "people/new.html",
        status_code=status,
        form=form,
        errors=errors,
        communes=choices.communes(here),
        plans=choices.plan_choices(here),
        kinds=kinds(here.account),
    )
