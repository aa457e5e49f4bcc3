"""/members/<id>/renew: renew a membership, or change its plan (effective today), as
`station member renew` does (station.memberships.renew_membership)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from console import people_choices as choices
from console.guard import Page, page
from console.people_forms import Errors, date_of, done, member_of, message, record, refused_page
from console.people_forms import today as local_today
from console.people_rules import ROLES, Write
from station import plans
from station.db import Member, Membership
from station.db.live import live
from station.db.staff import AuditAction
from station.errors import Conflict, InvalidInput
from station.fields import FieldRefused
from station.memberships import current_membership, renew_membership


@page(*ROLES[Write.RENEW])
def member_renew(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.RENEW, member)
    if blocked is not None:
        return blocked
    assert member is not None
    if here.request.method != "POST":
        return _form(here, member, {"plan": _latest_plan(here, member)}, {})
    form, errors = here.form, Errors()
    day = local_today(here)
    plan = None
    try:
        plan = plans.membership_plan(here.console.config, form.get("plan", "") or None)
    except FieldRefused as exc:
        errors["plan"] = message(here, exc)
    until = date_of(form.get("until", "")) if form.get("until", "").strip() else None
    if form.get("until", "").strip() and until is None:
        errors["until"] = here.t("Une date, comme 2026-12-31.")
    elif until is not None and until < day:
        # Said here, before renew_membership has ended anything (it refuses only later).
        errors["until"] = here.t("Cette date est passée : l'adhésion serait déjà finie.")
    if errors:
        return _form(here, member, form, errors, 422)
    try:
        membership = renew_membership(
            here.db,
            member,
            today=day,
            plan=plan,
            until=until,
            default_days=lambda code: choices.plan_days(here, code),
            default_plan=choices.default_plan(here),
        )
    except Conflict:
        errors["plan"] = here.t(
            "Cette adhésion est déjà ouverte sans fin : "
            "choisissez une autre formule pour en changer."
        )
        return _form(here, member, form, errors, 422)
    except InvalidInput:
        errors["until"] = _until_refused(here, member, until)
        return _form(here, member, form, errors, 422)
    record(
        here,
        AuditAction.MEMBERSHIP_RENEWED,
        member,
        {
            "plan": membership.plan,
            "valid_from": membership.valid_from.isoformat(),
            "valid_until": membership.valid_until.isoformat() if membership.valid_until else None,
        },
    )
    return done(member, "renewed")


def _until_refused(here: Page, member: Member, until: object) -> str:
    current = current_membership(here.db, member, local_today(here))
    if current is not None and current.valid_until is not None and until is not None:
        return here.t("Cette date précède la fin de l'adhésion en cours ({end}).").format(
            end=current.valid_until.isoformat()
        )
    return here.t("Cette date est passée : l'adhésion serait déjà finie.")


def _latest_plan(here: Page, member: Member) -> str:
    latest = here.db.scalar(
        select(Membership.plan)
        .where(Membership.member_id == member.id, live(Membership))
        .order_by(Membership.valid_from.desc())
        .limit(1)
    )
    return latest or choices.default_plan(here)


def _form(
    here: Page, member: Member, form: dict[str, str], errors: Errors, status: int = 200
) -> Response:
    return here.render(
        "people/renew.html",
        status_code=status,
        member=member,
        form=form,
        errors=errors,
        plans=choices.plan_choices(here),
        current=current_membership(here.db, member, local_today(here)),
    )
