"""The live site page's server-sent events: every POLL_S the stream reads the site's
version (one row, `station.site_view.live_key`) in a session of its own, closed
before it sleeps, and on a change renders the page's fragments again and sends those
that differ (`event: fragment`, data `{"id": ..., "html": ...}`; static/site_live.js
puts each in place). Nothing is kept outside the database but what this one stream
last sent, so any instance serves any page. The stream ends when the client goes
(Starlette cancels it), when the account's session ends, or after LIFETIME_S (the
browser's EventSource reconnects, through the guard again).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from jinja2 import TemplateNotFound
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from console.guard import Console, Page
from console.labels import french
from console.site_scope import Scope
from station.command_requests import recent
from station.db.staff import StaffAccount
from station.site_view import LiveSite, live_key, live_site

POLL_S = 1.0
LIFETIME_S = 300.0
KEEPALIVE_S = 15.0  # a comment line now and then: a gone client is noticed
RETRY_MS = 2000  # how soon the browser reconnects


@dataclass(frozen=True)
class Viewer:
    """Who the stream is for, checked again at every poll."""

    account_id: uuid.UUID
    session_version: int
    scope: Scope


def response(here: Page, site_id: str, scope: Scope, extra: Mapping[str, Any]) -> Response:
    assert here.account is not None
    viewer = Viewer(here.account.id, here.account.session_version, scope)
    context = {
        "account": here.account,
        "csrf": here.console.codec.csrf_token(here.new_cookie or here.cookie),
        "t": here.t,
        "label": lambda value: here.t(french(value)),
        "lang": here.language.value,
        "scope": scope,
        **extra,
    }
    return StreamingResponse(
        _events(here.console, site_id, viewer, context),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},  # nginx: pass each event on at once
    )


async def _events(
    console: Console, site_id: str, viewer: Viewer, context: dict[str, Any]
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    sent: dict[str, str] = {}
    key: object = None
    end = time.monotonic() + LIFETIME_S
    quiet_since = time.monotonic()
    while time.monotonic() < end:
        polled = await run_in_threadpool(_poll, console, site_id, viewer, key, context)
        if polled is None:
            return  # the session ended (logged out, disabled): no more to see
        key, fragments = polled
        for element, html in (fragments or {}).items():
            if sent.get(element) != html:
                sent[element] = html
                yield _event("fragment", {"id": element, "html": html})
                quiet_since = time.monotonic()
        if time.monotonic() - quiet_since >= KEEPALIVE_S:
            yield ": still here\n\n"
            quiet_since = time.monotonic()
        await anyio.sleep(POLL_S)


def _poll(
    console: Console, site_id: str, viewer: Viewer, key: object, context: dict[str, Any]
) -> tuple[object, dict[str, str] | None] | None:
    """The site's key now, and its fragments if the key moved; None once the session
    is over. One short session: no connection is held between polls."""
    now = console.clock()
    with console.sessions() as db:
        account = db.get(StaffAccount, viewer.account_id)
        if (
            account is None
            or account.disabled_at is not None
            or account.session_version != viewer.session_version
        ):
            return None
        requests = recent(db, site_id, now)  # the office's commands, their results
        current = (
            live_key(db, site_id, now),
            tuple((r.id, r.state, r.result) for r in requests),
        )
        if current == key:
            return current, None
        site = live_site(db, site_id, now)
    return current, fragments(console, site, {**context, "command_requests": requests})


def fragments(console: Console, site: LiveSite, context: dict[str, Any]) -> dict[str, str]:
    """The page's live parts by element id, rendered as the page renders them."""
    scope = context["scope"]
    env = console.templates.env
    shown = {**context, "site": site}
    parts = {"site-state": env.get_template("site_state.html").render(shown)}
    if scope.people:
        parts["present"] = env.get_template("site_present.html").render(shown)
    resources = [*(site.doors if scope.doors else []), *site.machines]
    resource_template = env.get_template("site_resource.html")
    for resource in resources:
        parts[resource.element_id] = resource_template.render({**shown, "resource": resource})
    with contextlib.suppress(TemplateNotFound):  # a console without commands from the office
        parts["command-log"] = env.get_template("site_command_log.html").render(shown)
    return parts


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
