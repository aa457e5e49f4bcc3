"""Commands from the office: a button writes a command request at central (audited);
the site's sync carries it out and writes back what came of it (sync.commands).

Who may ask what: an administrator everything everywhere; a site manager everything
at their own site; a fabmanager the machines' commands at any site; reception, at
their own site, only to unlock a door once (someone at the door without a badge).

The site page (/sites/<id>) includes ``site_commands.html`` once per resource (its
context: `panel(here, site_id)` and a ``resource``) and ``site_command_log.html`` once;
/sites/<id>/commands is a page of its own with both.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import audit
from console.guard import Page, page
from station.command_requests import (
    RequestRefused,
    commands_for,
    expire_overdue,
    recent,
    request_command,
    site_resource,
)
from station.db.command_requests import CommandRequest
from station.db.live import select_live
from station.db.models import Resource, ResourceKind
from station.db.staff import SITE_ROLES, AuditAction, Role, StaffAccount
from station.protocol.vocabulary import Command
from station.site_view import site_zone
from sync import central

_REFUSALS = {
    "resource": "Cette ressource n'existe pas sur ce site.",
    "command": "Cette commande ne s'applique pas à cette ressource.",
    "until": "Indiquez une date et une heure dans les 24 heures.",
}


def may_command(account: StaffAccount, site_id: str, kind: ResourceKind, command: Command) -> bool:
    """Whether `account` may send `command` to a resource of `kind` at `site_id`."""
    if account.role in SITE_ROLES and account.site_id != site_id:
        return False
    if account.role in (Role.ADMIN, Role.MANAGER):
        return True
    if account.role is Role.FABMANAGER:
        return kind is ResourceKind.MACHINE
    return account.role is Role.RECEPTION and command is Command.UNLOCK_ONCE


def may_see(account: StaffAccount, site_id: str) -> bool:
    return account.role not in SITE_ROLES or account.site_id == site_id


def panel(here: Page, site_id: str) -> dict[str, Any]:
    """What the two templates need, to merge into the site page's context. Requests no
    site took before they expired are marked so first: that site is offline."""
    assert here.account is not None
    account = here.account
    expire_overdue(here.db, site_id, here.now)

    def buttons(resource: Resource) -> list[Command]:
        return [
            c
            for c in commands_for(resource.kind)
            if may_command(account, site_id, resource.kind, c)
        ]

    return {
        "command_site": site_id,
        "command_buttons": buttons,
        "command_requests": recent(here.db, site_id, here.now),
        "command_back": here.request.url.path,
        # A time typed for this site (hold open until) is the site's, said by the field.
        "command_zone": site_zone(here.db, site_id, ZoneInfo(here.console.timezone)).key,
    }


@page(Role.MANAGER, Role.FABMANAGER, Role.RECEPTION)
def commands_page(here: Page) -> Response:
    site_id = here.request.path_params["site_id"]
    assert here.account is not None
    if not may_see(here.account, site_id):
        return here.render("forbidden.html", status_code=403)
    resources = list(
        here.db.scalars(
            select_live(Resource)
            .where(Resource.site_id == site_id, Resource.kind != ResourceKind.SPACE)
            .order_by(Resource.kind, Resource.code)
        )
    )
    return here.render(
        "site_commands_page.html", site_id=site_id, resources=resources, **panel(here, site_id)
    )


@page(Role.MANAGER, Role.FABMANAGER, Role.RECEPTION)
def send(here: Page) -> Response:
    site_id = here.request.path_params["site_id"]
    account = here.account
    assert account is not None
    code, command = here.form.get("resource", ""), here.form.get("command", "")
    found = site_resource(here.db, site_id, code)
    chosen = Command(command) if command in Command._value2member_map_ else None
    if not may_see(account, site_id) or (
        found is not None
        and chosen is not None
        and not may_command(account, site_id, found.kind, chosen)
    ):
        return here.render("forbidden.html", status_code=403)
    try:  # an unknown resource or command is refused here, with the form's page
        row = request_command(
            here.db,
            site_id=site_id,
            resource=code,
            command=command,
            author=account.email,
            now=here.now,
            until=here.form.get("until", ""),
            zone=site_zone(here.db, site_id, ZoneInfo(here.console.timezone)),
        )
    except RequestRefused as refused:
        return _refused(here, site_id, refused)
    _audit(here, row)
    central.notify_commands(here.db.connection(), site_id)  # the site's sync, at commit
    return RedirectResponse(_back(here.form.get("back", ""), site_id), 303)


def _audit(here: Page, row: CommandRequest) -> None:
    assert here.account is not None
    audit.record(
        here.db,
        here.now,
        here.account.email,
        AuditAction.COMMAND_REQUESTED,
        target=f"{row.site_id}/{row.resource}",
        address=here.address,
        detail={"request": str(row.id), "command": row.command.value, "args": row.args},
    )


def _refused(here: Page, site_id: str, refused: RequestRefused) -> Response:
    message = here.t(_REFUSALS.get(refused.field, "Commande refusée."))
    return here.render(
        "site_command_refused.html",
        status_code=422,
        site_id=site_id,
        message=message,
        field=refused.field,
        back=_back(here.form.get("back", ""), site_id),
    )


def _back(path: str, site_id: str) -> str:
    """Where the form came from if it is a page of this site, else the site's page."""
    home = f"/sites/{site_id}"
    ours = path == home or (path.startswith(home + "/") and "//" not in path)
    return path if ours else home


ROUTES = [
    Route("/sites/{site_id}/commands", commands_page, methods=["GET"]),
    Route("/sites/{site_id}/commands", send, methods=["POST"]),
]
