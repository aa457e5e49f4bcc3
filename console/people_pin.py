"""/members/<id>/pin: set or clear a staff member's PIN (station.staff_pin), at central.

Only its argon2id hash is kept; it reaches the sites' kiosks with the next sync, never
the agents. The PIN is typed twice, and is never written to the audit log."""

from __future__ import annotations

from starlette.responses import Response

from console.guard import Page, page
from console.people_forms import Errors, done, member_of, record, refused_page
from console.people_rules import ROLES, Write
from station import staff_pin
from station.db import Member, MemberKind
from station.db.staff import AuditAction


@page(*ROLES[Write.PIN])
def member_pin(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.PIN, member)
    if blocked is not None:
        return blocked
    assert member is not None
    if here.request.method != "POST":
        return _page(here, member, {})
    if here.form.get("clear"):
        staff_pin.clear_pin(here.db, member)
        record(here, AuditAction.STAFF_PIN_CLEARED, member)
        return done(member, "pin_cleared")
    errors: Errors = {}
    pin = here.form.get("pin", "")
    if member.kind is not MemberKind.STAFF:
        errors["pin"] = here.t("Seule l'équipe a un code : il garde le mode équipe de la borne.")
    elif here.form.get("pin_again", "") != pin:
        errors["pin_again"] = here.t("Les deux codes diffèrent.")
    else:
        try:
            staff_pin.set_pin(here.db, member, pin)
        except staff_pin.InvalidPin:
            errors["pin"] = here.t("Un code fait de {low} à {high} chiffres (0-9).").format(
                low=staff_pin.MIN_DIGITS, high=staff_pin.MAX_DIGITS
            )
    if errors:
        return _page(here, member, errors, 422)
    record(here, AuditAction.STAFF_PIN_SET, member)
    return done(member, "pin_set")


def _page(here: Page, member: Member, errors: Errors, status: int = 200) -> Response:
    return here.render(
        "people/pin.html",
        status_code=status,
        member=member,
        errors=errors,
        form={},  # a PIN is never typed back into the page
        is_staff=member.kind is MemberKind.STAFF,
        has_pin=member.staff_pin_hash is not None,
    )
