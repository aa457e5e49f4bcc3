"""A person's rights from the console: their data exported (what `station member export
--central` gives), and their record forgotten at every site (station.erasure).

Forgetting is asked on a page of its own that says what goes and what stays, and is
done only once the person's name is typed there: a slip of the mouse erases nobody.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import update
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from console.guard import Page, page
from console.people_forms import member_of, record, refused_page
from console.people_rules import ROLES, Write
from station.db import Member
from station.db.staff import AuditAction, AuditEntry
from station.erasure import forget_everywhere
from station.privacy import export


@page(*ROLES[Write.EXPORT])
def member_export(here: Page) -> Response:
    """POST /members/<id>/export: the JSON file of everything central holds of them."""
    member = member_of(here)
    blocked = refused_page(here, Write.EXPORT, member)
    if blocked is not None:
        return blocked
    assert member is not None
    data = export(here.db, member)
    record(here, AuditAction.MEMBER_EXPORTED, member)
    name = f"station-{str(member.id)[:8]}-{here.now:%Y%m%d}.json"
    return Response(
        json.dumps(data, ensure_ascii=False, indent=1) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@page(*ROLES[Write.FORGET])
def member_forget(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.FORGET, member)
    if blocked is not None:
        return blocked
    assert member is not None
    if here.request.method != "POST":
        return _page(here, member, "")
    if _plain(here.form.get("name", "")) != _plain(member.display_name):
        error = here.t("Tapez le nom exactement comme il est écrit ci-dessus.")
        return _page(here, member, error, 422)
    member_id = str(member.id)
    # The console is central: the erasure is written in this page's transaction (with
    # its audit entry) and each site applies the tombstones at its next sync.
    forget_everywhere(
        member_id,
        central=lambda: _this(here.db),
        site=lambda: _this(here.db),
        site_id="",
        confirm=lambda _name: None,  # confirmed above, by the name typed
    )
    # The log keeps who did what to this record, and when; no longer whose it was.
    here.db.execute(update(AuditEntry).where(AuditEntry.target == member_id).values(detail={}))
    record(here, AuditAction.MEMBER_FORGOTTEN, member)
    return RedirectResponse("/members?done=forgotten", 303)


@contextmanager
def _this(db: Session) -> Iterator[Session]:
    yield db


def _plain(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def _page(here: Page, member: Member, error: str, status: int = 200) -> Response:
    return here.render(
        "people/forget.html",
        status_code=status,
        member=member,
        error=error,
        badges=sum(1 for b in member.badges if b.deleted_at is None),
    )
