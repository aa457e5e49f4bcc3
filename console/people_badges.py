"""/members/<id>/badges: enrol a badge by its typed UID, revoke one (or say it lost),
accept only the person's secure badges (`secure_only`) or their plain UIDs too.

Central holds only the keyed hash of a UID (the site badge key, `Console.badge_key`,
hashes it as the kiosk does); the revocation reaches the agents' grants with the
next sync, as every registry change does.
"""

from __future__ import annotations

import uuid

from starlette.responses import RedirectResponse, Response

from console.guard import Page, page
from console.people_forms import Errors, field_errors, member_of, record, refused_page
from console.people_rules import ROLES, Write
from station import registry
from station.credential import CredentialKind
from station.db import Badge, BadgeStatus, Member
from station.db.live import live_get, live_rows
from station.db.staff import AuditAction
from station.errors import Conflict
from station.fields import Field, FieldRefused, clean_text, parse_uid


@page(*ROLES[Write.BADGES])
def member_badges(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.BADGES, member)
    if blocked is not None:
        return blocked
    assert member is not None
    if here.request.method != "POST":
        return _page(here, member, {}, {})
    return _enrol(here, member)


def _enrol(here: Page, member: Member) -> Response:
    form, errors = here.form, Errors()
    credential = label = None
    try:
        credential = parse_uid(form.get("uid", ""))
    except FieldRefused as exc:
        errors |= field_errors(here, [exc])
    try:
        label = clean_text(Field.BADGE_LABEL, form.get("badge_label", ""))
    except FieldRefused as exc:
        errors |= field_errors(here, [exc])
    if credential is not None:
        held = registry.badge_by_hash(here.db, credential.keyed_hash(here.console.badge_key))
        if held is not None and held.status is BadgeStatus.ACTIVE:
            errors[Field.BADGE.value] = here.t("Ce badge est déjà celui de {name}.").format(
                name=held.member.display_name
            )
    if errors or credential is None or label is None:
        return _page(here, member, form, errors, 422)
    try:
        badge = registry.enroll_badge(
            here.db, member, credential, here.console.badge_key, label=label
        )
    except Conflict:  # enrolled elsewhere between the check and now
        errors[Field.BADGE.value] = here.t("Ce badge est déjà enrôlé.")
        return _page(here, member, form, errors, 422)
    record(here, AuditAction.BADGE_ENROLLED, member, {"badge": str(badge.id), "label": label})
    return RedirectResponse(f"/members/{member.id}/badges?done=enrolled", 303)


@page(*ROLES[Write.BADGES])
def badge_revoke(here: Page) -> Response:
    """POST /members/<id>/badges/<badge id>/revoke (`status=lost` to say it lost)."""
    member = member_of(here)
    blocked = refused_page(here, Write.BADGES, member)
    if blocked is not None:
        return blocked
    assert member is not None
    badge = _badge(here, member)
    if badge is None:
        return here.render("not_found.html", status_code=404)
    lost = here.form.get("status") == BadgeStatus.LOST.value
    if badge.status is BadgeStatus.ACTIVE:
        status = BadgeStatus.LOST if lost else BadgeStatus.REVOKED
        registry.revoke_badge(here.db, badge, status=status)
        record(
            here,
            AuditAction.BADGE_REVOKED,
            member,
            {"badge": str(badge.id), "label": badge.label, "status": status.value},
        )
    return RedirectResponse(f"/members/{member.id}/badges?done=revoked", 303)


@page(*ROLES[Write.BADGES])
def secure_only(here: Page) -> Response:
    """POST /members/<id>/secure-only, `secure_only=on|off` (anything else changes nothing)."""
    member = member_of(here)
    blocked = refused_page(here, Write.BADGES, member)
    if blocked is not None:
        return blocked
    assert member is not None
    wanted = {"on": True, "off": False}.get(here.form.get("secure_only", ""))
    if wanted is None:
        return _page(here, member, {}, {}, 422)
    if member.secure_only is not wanted:
        member.secure_only = wanted
        record(here, AuditAction.MEMBER_CORRECTED, member, {"secure_only": wanted})
    return RedirectResponse(f"/members/{member.id}/badges?done=secure_only", 303)


def _badge(here: Page, member: Member) -> Badge | None:
    try:
        badge_id = uuid.UUID(here.request.path_params["badge_id"])
    except ValueError:
        return None
    badge = live_get(here.db, Badge, badge_id)
    return badge if badge is not None and badge.member_id == member.id else None


def _page(
    here: Page, member: Member, form: dict[str, str], errors: Errors, status: int = 200
) -> Response:
    badges = sorted(live_rows(member.badges), key=lambda b: b.enrolled_at)
    return here.render(
        "people/badges.html",
        status_code=status,
        member=member,
        badges=badges,
        form=form,
        errors=errors,
        done=here.request.query_params.get("done", ""),
        active=BadgeStatus.ACTIVE,
        secure_badges=sum(
            b.credential_kind is CredentialKind.SECURE and b.status is BadgeStatus.ACTIVE
            for b in badges
        ),
    )
