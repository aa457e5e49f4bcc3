"""/members/<id>/edit: correct a person's names, email, commune, birth year (and, for a
manager or the administrator, their kind)."""

from __future__ import annotations

from starlette.responses import Response

from console import people_choices as choices
from console.guard import Page, page
from console.people_forms import (
    Errors,
    done,
    field_errors,
    identity_form,
    identity_of,
    member_of,
    record,
    refused_page,
    today,
)
from console.people_rules import ROLES, STAFF_MAKERS, Write
from station.db import Member, MemberKind
from station.db.staff import AuditAction
from station.person_record import RecordRefused, update_member


@page(*ROLES[Write.CORRECT])
def member_edit(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.CORRECT, member)
    if blocked is not None:
        return blocked
    assert member is not None
    if here.request.method != "POST":
        return _form(here, member, identity_form(member), {})
    identity, refused = identity_of(here.form)
    try:
        changes = update_member(
            here.db,
            member,
            identity,
            today=today(here),
            kind=_kind(here, member),
            refused=refused,
        )
    except RecordRefused as exc:
        return _form(here, member, here.form, field_errors(here, exc.refusals), 422)
    if changes:
        # Before and after: the audit log is where a wrong correction is undone from.
        record(
            here,
            AuditAction.MEMBER_CORRECTED,
            member,
            {"changes": {k: [_plain(a), _plain(b)] for k, (a, b) in changes.items()}},
        )
    return done(member, "corrected" if changes else "unchanged")


def _kind(here: Page, member: Member) -> MemberKind | None:
    """The kind asked, when the account may give it; None keeps the person's own."""
    assert here.account is not None
    code = here.form.get("kind", "")
    if here.account.role not in STAFF_MAKERS or code not in MemberKind._value2member_map_:
        return None
    return MemberKind(code)


def _plain(value: object) -> object:
    return value.value if isinstance(value, MemberKind) else value


def _form(
    here: Page, member: Member, form: dict[str, str], errors: Errors, status: int = 200
) -> Response:
    assert here.account is not None
    return here.render(
        "people/edit.html",
        status_code=status,
        member=member,
        form=form,
        errors=errors,
        communes=choices.communes(here),
        kinds=list(MemberKind) if here.account.role in STAFF_MAKERS else [],
    )
