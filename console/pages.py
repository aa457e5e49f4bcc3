"""The read-only pages: dashboard, member search, a member, the audit log."""

from __future__ import annotations

import uuid

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import audit
from console.dashboard import dashboard as figures
from console.guard import Page, page
from console.members import member_page, search
from station.db.staff import SITE_ROLES, AuditAction, Role
from station.merge import kept_for

AUDIT_PAGE = 50


@page()
def dashboard(here: Page) -> Response:
    assert here.account is not None
    site = here.account.site_id if here.account.role in SITE_ROLES else None
    data = figures(here.db, here.now, here.console.timezone, site)
    return here.render("dashboard.html", data=data, site=site)


@page(Role.MANAGER, Role.FABMANAGER, Role.RECEPTION)
def members(here: Page) -> Response:
    query = here.request.query_params.get("q", "")[:200]
    number = _int(here.request.query_params.get("page", "1"))
    found = search(here.db, query, here.console.badge_key, page=number) if query else None
    return here.render("members.html", q=query, found=found)


@page(Role.MANAGER, Role.FABMANAGER, Role.RECEPTION)
def member(here: Page) -> Response:
    try:
        member_id = uuid.UUID(here.request.path_params["member_id"])
    except ValueError:
        member_id = None
    shown = member_page(here.db, member_id) if member_id is not None else None
    kept = kept_for(here.db, member_id) if shown is None and member_id is not None else None
    if kept is not None:  # a record merged into another: that one is the person now
        return RedirectResponse(f"/members/{kept}", 303)
    if shown is None:
        return here.render("not_found.html", status_code=404)
    return here.render("member.html", shown=shown)


@page(Role.ADMIN)
def audit_log(here: Page) -> Response:
    params = here.request.query_params
    account = params.get("account", "")[:254]
    action = params.get("action", "")
    chosen = AuditAction(action) if action in AuditAction._value2member_map_ else None
    number = max(1, _int(params.get("page", "1")))
    found = audit.entries(
        here.db,
        account=account,
        action=chosen,
        offset=(number - 1) * AUDIT_PAGE,
        limit=AUDIT_PAGE,
    )
    pages = max(1, -(-found.total // AUDIT_PAGE))
    return here.render(
        "audit.html",
        found=found,
        account_filter=account,
        action_filter=chosen.value if chosen else "",
        actions=list(AuditAction),
        number=min(number, pages),
        pages=pages,
    )


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 1


ROUTES = [
    Route("/", dashboard),
    Route("/members", members),
    Route("/members/{member_id}", member),
    Route("/audit", audit_log),
]
