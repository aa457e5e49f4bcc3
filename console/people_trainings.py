"""/members/<id>/trainings: grant a training (naming who trained the person) or revoke it.

A machine agent lets a person start a machine only with its training: the grant and
the revocation reach the agents with the next sync."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from console import people_choices as choices
from console.guard import Page, page
from console.people_forms import Errors, field_errors, member_of, record, refused_page
from console.people_rules import ROLES, Write
from station import registry
from station.db import Member
from station.db.live import live_rows
from station.db.staff import AuditAction
from station.errors import NotFound
from station.fields import Field, FieldRefused, clean_text


@page(*ROLES[Write.TRAININGS])
def member_trainings(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.TRAININGS, member)
    if blocked is not None:
        return blocked
    assert member is not None
    if here.request.method != "POST":
        return _page(here, member, {}, {})
    form, errors = here.form, Errors()
    code = form.get("training", "")
    if code not in {c.code for c in choices.trainings(here)}:
        errors["training"] = here.t("Choisissez une formation du catalogue.")
    trainer = ""
    try:
        trainer = clean_text(Field.GRANTED_BY, form.get("granted_by", ""), required=True)
    except FieldRefused as exc:
        errors |= field_errors(here, [exc])
    if errors:
        return _page(here, member, form, errors, 422)
    held = registry.grant_training(here.db, member, code, granted_by=trainer, now=here.now)
    record(
        here,
        AuditAction.TRAINING_GRANTED,
        member,
        {
            "training": code,
            "granted_by": trainer,
            "expires_at": held.expires_at.isoformat() if held.expires_at else None,
        },
    )
    return RedirectResponse(f"/members/{member.id}/trainings?done=granted", 303)


@page(*ROLES[Write.TRAININGS])
def training_revoke(here: Page) -> Response:
    """POST /members/<id>/trainings/<code>/revoke."""
    member = member_of(here)
    blocked = refused_page(here, Write.TRAININGS, member)
    if blocked is not None:
        return blocked
    assert member is not None
    code = here.request.path_params["code"]
    try:
        registry.revoke_training(here.db, member, code)
    except NotFound:
        return here.render("not_found.html", status_code=404)
    record(here, AuditAction.TRAINING_REVOKED, member, {"training": code})
    return RedirectResponse(f"/members/{member.id}/trainings?done=revoked", 303)


def _page(
    here: Page, member: Member, form: dict[str, str], errors: Errors, status: int = 200
) -> Response:
    return here.render(
        "people/trainings.html",
        status_code=status,
        member=member,
        held=sorted(live_rows(member.trainings), key=lambda t: t.training_code),
        catalogue=choices.trainings(here),
        form=form,
        errors=errors,
        done=here.request.query_params.get("done", ""),
    )
