"""Erasing a person everywhere: central first, then this site (GDPR's right to erasure).

Central masters people, so the erasure starts there: its tombstones reach every
site and every agent's grants. This site is then erased at once, without waiting
for the next sync. A person created here and not uploaded yet is unknown at
central: erased here only, marked for upload, so the tombstones go up.

The sessions come from the caller (the command line): a central session must
assign revisions to what it writes (`sync.central.session`), which the domain does
not know how to do.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from station import registry
from station.errors import NotFound
from station.privacy import forget

SessionScope = Callable[[], AbstractContextManager[Session]]  # committed on success


def forget_everywhere(
    ref: str,
    *,
    central: SessionScope,
    site: SessionScope,
    site_id: str,
    confirm: Callable[[str], None],
) -> str:
    """Erase the person `ref` names (id, email or full name); returns their name.

    `confirm(name)` is called before anything is erased and raises to stop it.
    `NotFound` when neither central nor this site knows the person.
    """
    member_ref, name, at_central = ref, "", False
    try:
        with central() as session:
            member = registry.find_member(session, ref)
            member_ref, name, at_central = str(member.id), member.display_name, True
            confirm(name)
            forget(session, member)
    except NotFound:
        pass  # created here and not uploaded yet: erased here, the tombstones go up
    with site() as session:
        try:
            member = registry.find_member(session, member_ref)
        except NotFound:
            if not at_central:
                raise
        else:
            name = member.display_name
            confirm(name)
            forget(session, member, origin_site=None if at_central else site_id)
    return name
