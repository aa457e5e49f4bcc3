"""The sites: /sites (every site, online or not), /sites/<id> (the live site: who is in,
doors and machines with their state and alarms, kept up to date by
/sites/<id>/live, `console.live_stream`), and the check-out asked from there."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import audit, commands, live_stream
from console.guard import Console, Page, page
from console.i18n import Language
from console.site_scope import Scope
from console.site_words import GRANTS, french
from station.db.staff import SITE_ROLES, AuditAction, Role
from station.errors import NotFound
from station.site_view import ask_checkout, live_site, site_list
from sync import central

VIEW_ROLES = (Role.MANAGER, Role.RECEPTION, Role.FABMANAGER)


@page(*VIEW_ROLES)
def sites(here: Page) -> Response:
    assert here.account is not None
    if here.account.role in SITE_ROLES:  # one site of their own: straight to it
        return RedirectResponse(f"/sites/{here.account.site_id}", 303)
    return here.render("sites.html", sites=site_list(here.db, here.now), **view_context(here))


@page(*VIEW_ROLES)
def site(here: Page) -> Response:
    site_id = here.request.path_params["site_id"]
    scope = _scope(here, site_id)
    if scope is None:
        return here.render("forbidden.html", status_code=403)
    shown = live_site(here.db, site_id, here.now)
    context: dict[str, Any] = {
        "site": shown,
        "scope": scope,
        **view_context(here),
        **commands.panel(here, site_id),  # the command buttons (console.commands)
    }
    return here.render("site.html", **context)


@page(Role.MANAGER, Role.RECEPTION)
def check_out(here: Page) -> Response:
    assert here.account is not None
    site_id = here.request.path_params["site_id"]
    scope = _scope(here, site_id)
    if scope is None or not scope.checkout:
        return here.render("forbidden.html", status_code=403)
    try:
        visit_id = uuid.UUID(here.request.path_params["visit_id"])
        request = ask_checkout(here.db, site_id, visit_id, here.account.email, here.now)
    except (ValueError, NotFound):
        return here.render("not_found.html", status_code=404)
    audit.record(
        here.db,
        here.now,
        here.account.email,
        AuditAction.CHECKOUT_REQUESTED,
        target=str(visit_id),
        address=here.address,
        detail={"site": site_id, "request": str(request.id)},
    )
    central.notify(here.db.connection(), 0)  # a PostgreSQL central wakes the site's sync
    return RedirectResponse(f"/sites/{site_id}", 303)


@page(*VIEW_ROLES)
def live(here: Page) -> Response:
    assert here.account is not None
    site_id = here.request.path_params["site_id"]
    scope = _scope(here, site_id)
    if scope is None:
        return here.render("forbidden.html", status_code=403)
    return live_stream.response(here, site_id, scope, view_context(here))


def view_context(here: Page) -> dict[str, Any]:
    """What the site templates use beside the guard's own context (t, csrf, lang)."""
    return {
        "word": lambda value: here.t(french(str(value))),
        "grants_word": lambda state: here.t(GRANTS[state]),
        "local": local_time(here.console),
        "purpose": purpose_names(here.console, here.language),
    }


def purpose_names(console: Console, language: Language) -> Callable[[str], str]:
    """A visit's purpose by its name in the configuration (its code without one)."""
    config = console.config
    names = {
        p.id: p.en if language is Language.EN else p.fr
        for p in (config.purposes if config is not None else [])
    }
    return lambda code: names.get(code, code)


def local_time(console: Console) -> Any:
    zone = ZoneInfo(console.timezone)

    def local(moment: dt.datetime | None) -> str:
        if moment is None:
            return "—"
        at = moment.astimezone(zone)
        today = console.clock().astimezone(zone).date()
        return at.strftime("%H:%M:%S" if at.date() == today else "%Y-%m-%d %H:%M")

    return local


def _scope(here: Page, site_id: str) -> Scope | None:
    assert here.account is not None
    return Scope.of(here.account, site_id)


ROUTES = [
    Route("/sites", sites),
    Route("/sites/{site_id}", site),
    Route("/sites/{site_id}/live", live),
    Route("/sites/{site_id}/visits/{visit_id}/checkout", check_out, methods=["POST"]),
]
