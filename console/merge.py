"""Merging two records of one person: `/merge?a=<kept>&b=<merged>` shows both side by
side and what the kept one will hold; its POST merges (`station.merge`), audited.

An administrator may merge any two records; a manager only two that an open refusal
of their site names (the badge refused at their site for being the other's).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console.audit import record
from console.guard import Page, page
from console.refusals import scope
from station.db import Member, Visit
from station.db.live import live_rows
from station.db.staff import AuditAction, Role
from station.errors import InvalidInput, NotFound
from station.merge import Pair, filled_fields, merge, pair
from station.refusals import named_by_open_refusal


@dataclass(frozen=True)
class Side:
    member: Member
    visits: int
    sites: list[str]


def _side(here: Page, member: Member) -> Side:
    visits = here.db.scalar(
        select(func.count()).select_from(Visit).where(Visit.member_id == member.id)
    )
    sites = here.db.scalars(
        select(Visit.site_id).where(Visit.member_id == member.id).distinct().order_by(Visit.site_id)
    )
    return Side(member, visits or 0, list(sites))


def _ids(values: Mapping[str, str]) -> tuple[uuid.UUID, uuid.UUID] | None:
    try:
        return uuid.UUID(values.get("a", "")), uuid.UUID(values.get("b", ""))
    except ValueError:
        return None


def _allowed(here: Page, found: Pair) -> bool:
    site = scope(here)
    return site is None or named_by_open_refusal(here.db, found.kept.id, found.gone.id, site)


def _confirmation(here: Page, found: Pair, error: str = "", status: int = 200) -> Response:
    kept, gone = found.kept, found.gone
    return here.render(
        "merge.html",
        status_code=status,
        kept=_side(here, kept),
        gone=_side(here, gone),
        filled=filled_fields(found),
        rights={
            "memberships": (len(live_rows(kept.memberships)), len(live_rows(gone.memberships))),
            "badges": (live_rows(kept.badges), live_rows(gone.badges)),
            "trainings": (live_rows(kept.trainings), live_rows(gone.trainings)),
        },
        error=error,
    )


@page(Role.MANAGER)
def merge_page(here: Page) -> Response:
    assert here.account is not None
    posted = here.request.method == "POST"
    ids = _ids(here.form if posted else here.request.query_params)
    try:
        if ids is None:
            raise NotFound("two record ids are needed")
        found = pair(here.db, *ids)
    except (NotFound, InvalidInput):  # unknown, deleted, or one record twice
        return here.render("not_found.html", status_code=404)
    if not _allowed(here, found):
        return here.render("forbidden.html", status_code=403)
    if not posted:
        return _confirmation(here, found)
    try:
        done = merge(here.db, found.kept.id, found.gone.id, here.now)
    except InvalidInput as refused:  # a field of the other record breaks a rule
        return _confirmation(here, found, error=str(refused), status=422)
    record(
        here.db,
        here.now,
        here.account.email,
        AuditAction.MEMBER_MERGED,
        target=str(done.kept_id),
        address=here.address,
        detail={
            "merged": str(done.gone_id),
            "visits": done.visits,
            "badges": done.badges,
            "memberships": done.memberships,
            "trainings": done.trainings,
            "filled": list(done.filled),
            "refusals_resolved": done.resolved,
        },
    )
    return RedirectResponse(f"/members/{done.kept_id}", 303)


ROUTES = [Route("/merge", merge_page, methods=["GET", "POST"])]
